#pragma once

// Azure Cosmos DB request authorization (private header of polydb_net):
// master-key signatures (HMAC-SHA256 over verb, resource type, resource link
// and date) and resource tokens, as the REST API's "Access control on Cosmos
// DB resources" describes. Checked against Microsoft's worked example and the
// official Node SDK (tests/unit/net/cosmos_auth_test.cpp): the Cosmos
// emulator does not verify signatures.

#include <chrono>
#include <string>
#include <string_view>

#include "polydb/secret.hpp"

namespace polydb::net {

/// The date as the `x-ms-date` header carries it, RFC 1123 in GMT:
/// "Thu, 27 Apr 2017 00:51:12 GMT".
std::string cosmos_date(std::chrono::system_clock::time_point when);

/// The text a master-key signature covers: lowercase verb, lowercase
/// resource type, resource link as given (case kept), lowercase date, each
/// followed by "\n", plus a final empty line.
std::string cosmos_string_to_sign(std::string_view verb, std::string_view resource_type,
                                  std::string_view resource_link, std::string_view date);

/// The `authorization` header value for a master key (base64, as the portal
/// shows it): URL-encoded `type=master&ver=1.0&sig=BASE64(HMAC-SHA256)`, with
/// uppercase %XX escapes (as encodeURIComponent writes them). Throws
/// Error(auth) when the key is not base64; the message never quotes it.
std::string cosmos_master_key_authorization(const Secret& master_key, std::string_view verb,
                                            std::string_view resource_type,
                                            std::string_view resource_link,
                                            std::string_view date);

/// The `authorization` header value for a resource token (from a permission
/// resource, `type=resource&ver=1.0&sig=...`): the token URL-encoded as is.
std::string cosmos_resource_token_authorization(const Secret& token);

/// Signs Cosmos DB requests with a master key or a resource token.
/// Immutable after construction; thread-safe.
class CosmosSigner {
 public:
  enum class Kind { master_key, resource_token };

  CosmosSigner(Kind kind, Secret credential)
      : kind_(kind), credential_(std::move(credential)) {}

  /// The `authorization` value for one request made at `date` (as sent in
  /// x-ms-date). `resource_link` is the link of the resource addressed (for
  /// a feed such as /dbs/d/colls, the parent: "dbs/d"), without leading '/'.
  std::string authorization(std::string_view verb, std::string_view resource_type,
                            std::string_view resource_link, std::string_view date) const;

  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
  Secret credential_;
};

}  // namespace polydb::net
