#include "net/google_auth.hpp"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/encoding.hpp"
#include "core/log.hpp"
#include "net/handles.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"

namespace polydb::net {

namespace {

using Bio = std::unique_ptr<BIO, Free<&BIO_free>>;
using EvpPkey = std::unique_ptr<EVP_PKEY, Free<&EVP_PKEY_free>>;

std::string required(const nlohmann::json& doc, const char* key, std::string_view source) {
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_string() || it->get<std::string>().empty())
    throw Error(ErrorCode::auth,
                fmt::format("the service-account key {} has no \"{}\" (download a new JSON key "
                            "for the service account)",
                            source, key));
  return it->get<std::string>();
}

// application/x-www-form-urlencoded value.
std::string form_encode(std::string_view text) { return percent_encode(text); }

}  // namespace

ServiceAccountKey parse_service_account(std::string_view json_text, std::string_view source) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception&) {
    // The parser's message may quote the text around the error: the key itself.
    throw Error(ErrorCode::auth,
                fmt::format("the service-account key {} is not valid JSON (check "
                            "GOOGLE_APPLICATION_CREDENTIALS)",
                            source));
  }
  if (!doc.is_object())
    throw Error(ErrorCode::auth,
                fmt::format("the service-account key {} is not a JSON object", source));
  const std::string type = doc.value("type", "");
  if (type != "service_account")
    throw Error(ErrorCode::auth,
                fmt::format("{} holds credentials of type '{}'; polydb signs in with service-account "
                            "keys (\"type\": \"service_account\")",
                            source, type));
  ServiceAccountKey key;
  key.client_email = required(doc, "client_email", source);
  key.private_key = Secret(required(doc, "private_key", source));
  key.token_uri = required(doc, "token_uri", source);
  key.private_key_id = doc.value("private_key_id", "");
  key.project_id = doc.value("project_id", "");
  key.source = std::string(source);
  return key;
}

ServiceAccountKey load_service_account(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(ErrorCode::io,
                fmt::format("cannot read the service-account key {} (check "
                            "GOOGLE_APPLICATION_CREDENTIALS)",
                            path));
  std::ostringstream text;
  text << in.rdbuf();
  Secret content(text.str());
  return parse_service_account(content.reveal(), path);
}

std::string base64url_encode(std::string_view bytes) {
  std::string out = base64_encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::string rs256_sign(const Secret& pem_private_key, std::string_view data) {
  const std::string& pem = pem_private_key.reveal();
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EvpPkey pkey(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!pkey || EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_RSA)
    throw Error(ErrorCode::auth,
                "the service account's private_key is not a PEM RSA private key (download a new "
                "JSON key)");
  EvpMdCtx ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1)
    throw Error(ErrorCode::internal, "OpenSSL RS256 signing failed");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    throw Error(ErrorCode::internal, "OpenSSL RS256 signing failed");
  sig.resize(len);
  return sig;
}

Secret make_service_account_jwt(const ServiceAccountKey& key, std::string_view scope,
                                std::chrono::system_clock::time_point now,
                                std::chrono::seconds lifetime) {
  nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!key.private_key_id.empty()) header["kid"] = key.private_key_id;
  const auto iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const nlohmann::json claims = {{"iss", key.client_email},
                                 {"scope", scope},
                                 {"aud", key.token_uri},
                                 {"iat", iat},
                                 {"exp", iat + std::min<int64_t>(lifetime.count(), 3600)}};
  const std::string input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
  return Secret(input + "." + base64url_encode(rs256_sign(key.private_key, input)));
}

GoogleTokenSource::GoogleTokenSource(ServiceAccountKey key, std::string scope, HttpOptions http,
                                     RetryPolicy policy, Clock clock)
    : key_(std::move(key)),
      scope_(std::move(scope)),
      client_(std::move(http)),
      policy_(policy),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::system_clock::now(); })) {}

const Secret& GoogleTokenSource::token() {
  if (!expires_at_ || clock_() + kTokenRefreshMargin >= *expires_at_) fetch();
  return token_;
}

void GoogleTokenSource::fetch() {
  const std::string what = fmt::format("OAuth2 token request for {}", key_.client_email);
  const HttpResponse r = send_with_retry(
      client_, policy_,
      [&] {
        HttpRequest req;
        req.method = "POST";
        req.url = key_.token_uri;
        req.headers.add("Content-Type", "application/x-www-form-urlencoded");
        // A fresh assertion per attempt: its iat must be current.
        const Secret jwt = make_service_account_jwt(key_, scope_, clock_());
        req.body = "grant_type=" + form_encode("urn:ietf:params:oauth:grant-type:jwt-bearer") +
                   "&assertion=" + form_encode(jwt.reveal());
        return req;
      },
      [&](const HttpResponse& resp) -> std::optional<Error> {
        if (resp.ok()) return std::nullopt;
        std::string code, description;
        try {
          const auto body = nlohmann::json::parse(resp.body);
          code = body.value("error", "");
          description = body.value("error_description", "");
        } catch (const nlohmann::json::exception&) {
        }
        if (resp.status >= 500 || resp.status == 429)
          return http_status_error(resp, "google-auth", code, description);
        return Error(ErrorCode::auth,
                     fmt::format("{} at {} was refused: HTTP {} {}{}{} (check that the key in {} "
                                 "is current and the service account is enabled)",
                                 what, redact_url_text(key_.token_uri), resp.status, code,
                                 description.empty() ? "" : ": ", description, key_.source),
                     "google-auth", redact_url_text(resp.body.substr(0, 300)));
      },
      {.what = what, .log_name = "google-auth"});
  nlohmann::json body;
  try {
    body = nlohmann::json::parse(r.body);
  } catch (const nlohmann::json::exception&) {
  }
  auto tok = body.is_object() ? body.find("access_token") : body.end();
  if (!body.is_object() || tok == body.end() || !tok->is_string())
    throw Error(ErrorCode::auth,
                fmt::format("{}: the answer of {} holds no access_token", what,
                            redact_url_text(key_.token_uri)),
                "google-auth");
  token_ = Secret(tok->get<std::string>());
  const int64_t expires_in = body.value("expires_in", int64_t{3600});
  expires_at_ = clock_() + std::chrono::seconds(expires_in);
  ++fetches_;
  logger("google-auth")->debug("fetched an access token for {} (expires in {} s)",
                               key_.client_email, expires_in);
}

}  // namespace polydb::net
