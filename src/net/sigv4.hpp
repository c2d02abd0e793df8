#pragma once

// AWS Signature Version 4 (private header of polydb_net): the Authorization
// header form and presigned URLs, checked against AWS's published test suite
// (tests/unit/net/sigv4_test.cpp).

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "net/aws_credentials.hpp"
#include "net/crypto.hpp"
#include "net/headers.hpp"
#include "net/http.hpp"

namespace polydb::net {

/// The payload hash value that tells AWS the body is not signed (S3 only,
/// and presigned URLs).
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

/// Per-request choices of the signer.
struct SigV4Options {
  /// Send the body unsigned (`UNSIGNED-PAYLOAD`); only S3 accepts it.
  bool unsigned_payload = false;
  /// The hex SHA-256 of the body when the caller already has it (a streamed
  /// body, which the signer cannot read); otherwise the signer hashes `body`.
  std::optional<std::string> payload_hash;
  /// Sign the X-Amz-Security-Token header (most services). When false the
  /// token is added after signing, for services that want it unsigned.
  bool sign_session_token = true;
};

/// The intermediate texts and results of one signature (for tests and trace logs:
/// the canonical request holds no secret, the session token aside).
struct SigV4Signature {
  std::string amz_date;          ///< "20150830T123600Z"
  std::string credential_scope;  ///< "20150830/us-east-1/service/aws4_request"
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  ///< "host;x-amz-date"
  std::string signature;       ///< hex HMAC
  std::string authorization;   ///< the Authorization header value
};

/// Encodes per SigV4: every byte except A-Z a-z 0-9 - . _ ~ becomes %XX
/// (uppercase hex); '/' too unless `keep_slash`. Use it to build the paths
/// and queries of URLs that will be signed.
std::string aws_uri_encode(std::string_view text, bool keep_slash);

/// The canonical URI of a request path as it appears on the wire. With
/// `normalize` (every service but S3): dot segments and repeated slashes are
/// removed, then the path is URI-encoded again, so "%20" becomes "%2520"
/// ("double encoding"). Without (S3): the path is decoded once and encoded
/// once, i.e. kept as sent when it was built with `aws_uri_encode`.
std::string sigv4_canonical_uri(std::string_view path, bool normalize);

/// The canonical query string of a raw query (without '?'): parameters
/// decoded (%XX only), re-encoded with `aws_uri_encode`, sorted by name then
/// value; a parameter without '=' gets an empty value.
std::string sigv4_canonical_query(std::string_view query);

/// The signing key: HMAC chain "AWS4"+secret → date → region → service → "aws4_request".
Digest sigv4_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                         std::string_view service);

/// "20150830T123600Z" for `time` (UTC, whole seconds).
std::string sigv4_amz_date(std::chrono::system_clock::time_point time);

/// Signs requests for one service in one region with one set of credentials.
///
/// The derived signing key is cached per date/region/service, so signing
/// costs one HMAC-SHA256 chain per day plus two hashes and one HMAC per
/// request. Thread-safe (the cache has a lock); copying is not supported,
/// share it by reference.
class SigV4Signer {
 public:
  /// `service` is the signing name ("dynamodb", "s3", "sts"); for "s3" the
  /// S3 rules apply: the path is neither normalised nor double-encoded and
  /// every request carries x-amz-content-sha256.
  SigV4Signer(AwsCredentials credentials, std::string region, std::string service);
  SigV4Signer(const SigV4Signer&) = delete;
  SigV4Signer& operator=(const SigV4Signer&) = delete;

  /// Signs `request` in place: sets Host (from the URL, when absent),
  /// X-Amz-Date, X-Amz-Security-Token (with a session token),
  /// x-amz-content-sha256 (S3) and Authorization. Signs every header of the
  /// request except Authorization, User-Agent, Expect, X-Amzn-Trace-Id and
  /// hop-by-hop fields. Throws Error(invalid_argument) for a URL that
  /// `split_url` rejects, or a streamed body without `payload_hash` (unless
  /// `unsigned_payload`).
  SigV4Signature sign(HttpRequest& request,
                      std::chrono::system_clock::time_point when = std::chrono::system_clock::now(),
                      const SigV4Options& options = {}) const;

  /// A URL that grants `method` on `url` without other credentials for
  /// `expires` (1 s to 7 days), signing `headers` (Host is always signed)
  /// with an unsigned payload. The X-Amz-* parameters are appended to the
  /// URL's query. Throws Error(invalid_argument) for a bad URL or expiry.
  std::string presign_url(
      std::string_view method, std::string_view url, std::chrono::seconds expires,
      const Headers& headers = {},
      std::chrono::system_clock::time_point when = std::chrono::system_clock::now()) const;

  const std::string& region() const noexcept { return region_; }
  const std::string& service() const noexcept { return service_; }
  const AwsCredentials& credentials() const noexcept { return credentials_; }

 private:
  Digest signing_key(std::string_view date) const;

  AwsCredentials credentials_;
  std::string region_;
  std::string service_;
  bool s3_rules_;
  mutable std::mutex cache_mutex_;
  mutable std::map<std::string, Digest, std::less<>> key_cache_;  // date -> key
};

}  // namespace polydb::net
