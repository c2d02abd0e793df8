#pragma once

// Google service-account authentication (private header of polydb_net): a
// JWT signed RS256 with the key from a service-account JSON file, exchanged
// at the key's token_uri for an OAuth2 access token (RFC 7523,
// grant_type urn:ietf:params:oauth:grant-type:jwt-bearer), cached until
// shortly before it expires.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "net/http.hpp"
#include "net/retry.hpp"
#include "polydb/secret.hpp"

namespace polydb::net {

/// The parts of a service-account key file polydb uses.
struct ServiceAccountKey {
  std::string client_email;  ///< the JWT's issuer
  std::string private_key_id;  ///< the JWT header's "kid"; may be empty
  Secret private_key;        ///< PEM (PKCS#8) RSA private key
  std::string token_uri;     ///< where the JWT is exchanged
  std::string project_id;    ///< may be empty
  std::string source;        ///< where it came from (a path), for messages
};

/// Parses a service-account JSON document. `source` names it in errors.
/// Throws Error(auth) when it is not JSON, not of type "service_account", or
/// lacks client_email, private_key or token_uri. Never quotes the key.
ServiceAccountKey parse_service_account(std::string_view json_text, std::string_view source);

/// Reads and parses the file at `path`; Error(io) when it cannot be read.
ServiceAccountKey load_service_account(const std::string& path);

/// RFC 4648 base64url without padding.
std::string base64url_encode(std::string_view bytes);

/// RSASSA-PKCS1-v1_5 SHA-256 signature of `data` with a PEM private key
/// (OpenSSL EVP_DigestSign). Throws Error(auth) when the key does not load.
std::string rs256_sign(const Secret& pem_private_key, std::string_view data);

/// A signed JWT assertion for the token endpoint: header {"alg":"RS256",
/// "typ":"JWT","kid":...}, claims iss=client_email, scope, aud=token_uri,
/// iat=now, exp=now+lifetime (at most one hour).
Secret make_service_account_jwt(const ServiceAccountKey& key, std::string_view scope,
                                std::chrono::system_clock::time_point now,
                                std::chrono::seconds lifetime = std::chrono::seconds(3600));

/// Hands out OAuth2 access tokens for one service account and scope, fetching
/// a new one when none is cached or the cached one expires within
/// `refresh_margin`. Single-threaded (one HttpClient).
class GoogleTokenSource {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  /// `clock` defaults to system_clock::now (tests pass their own).
  GoogleTokenSource(ServiceAccountKey key, std::string scope, HttpOptions http,
                    RetryPolicy policy = {}, Clock clock = {});

  /// A valid access token. Throws Error(auth) when the token endpoint refuses
  /// the assertion (its error and error_description in the message), and the
  /// transport's errors (retried first).
  const Secret& token();

  /// Drops the cached token (e.g. after the service answered 401).
  void invalidate() noexcept { expires_at_.reset(); }

  /// How many tokens were fetched (for tests and logs).
  int fetches() const noexcept { return fetches_; }

 private:
  void fetch();

  ServiceAccountKey key_;
  std::string scope_;
  HttpClient client_;
  RetryPolicy policy_;
  Clock clock_;
  Secret token_;
  std::optional<std::chrono::system_clock::time_point> expires_at_;
  int fetches_ = 0;
};

/// Tokens are refreshed this long before they expire.
inline constexpr std::chrono::seconds kTokenRefreshMargin{300};

}  // namespace polydb::net
