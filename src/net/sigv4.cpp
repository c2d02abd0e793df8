#include "net/sigv4.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "net/url.hpp"
#include "polydb/error.hpp"

namespace polydb::net {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX; a '%' not followed by two hex digits stays literal (the
// signer describes what is sent, it does not validate it).
std::string lenient_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// RFC 3986 dot-segment removal plus collapsing of empty segments, keeping a
// trailing slash: "//example//" -> "/example/", "/a/b/../.." -> "/".
std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t i = 0;
  while (i <= path.size()) {
    const auto end = std::min(path.find('/', i), path.size());
    const std::string_view segment = path.substr(i, end - i);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    i = end + 1;
  }
  std::string out = "/";
  for (std::size_t s = 0; s < segments.size(); ++s) {
    if (s > 0) out += '/';
    out += segments[s];
  }
  if (path.ends_with('/') && out.size() > 1) out += '/';
  return out;
}

// Trims and collapses runs of spaces to one, as SigV4 canonical header values require.
std::string canonical_header_value(std::string_view value) {
  value = trim_http_space(value);
  std::string out;
  out.reserve(value.size());
  bool in_space = false;
  for (char c : value) {
    const bool space = c == ' ' || c == '\t';
    if (space && in_space) continue;
    out.push_back(space ? ' ' : c);
    in_space = space;
  }
  return out;
}

// Fields that are never signed: the signature itself, fields proxies and
// clients rewrite (hop-by-hop, Expect, User-Agent) and AWS X-Ray's trace id.
bool excluded_from_signing(std::string_view lower_name) {
  static constexpr std::array<std::string_view, 7> kExcluded = {
      "authorization", "user-agent",        "expect",    "x-amzn-trace-id",
      "connection",    "transfer-encoding", "keep-alive"};
  return std::find(kExcluded.begin(), kExcluded.end(), lower_name) != kExcluded.end();
}

struct CanonicalHeaders {
  std::string block;  // "name:value\n" per signed header
  std::string signed_headers;
};

CanonicalHeaders canonicalize_headers(const Headers& headers) {
  std::map<std::string, std::string> by_name;  // sorted by lowercase name
  for (const auto& [name, value] : headers) {
    std::string lower = ascii_lower(trim_http_space(name));
    if (excluded_from_signing(lower)) continue;
    auto [it, inserted] = by_name.try_emplace(std::move(lower));
    // Repeated fields join with ',' in their original order.
    if (!inserted) it->second += ',';
    it->second += canonical_header_value(value);
  }
  CanonicalHeaders out;
  for (const auto& [name, value] : by_name) {
    out.block += name + ":" + value + "\n";
    if (!out.signed_headers.empty()) out.signed_headers += ';';
    out.signed_headers += name;
  }
  return out;
}

std::string scope_of(std::string_view date, std::string_view region, std::string_view service) {
  return fmt::format("{}/{}/{}/aws4_request", date, region, service);
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
  return fmt::format("{}\n{}\n{}\n{}", kAlgorithm, amz_date, scope,
                     to_hex(sha256(canonical_request)));
}

}  // namespace

std::string aws_uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0f]);
    }
  }
  return out;
}

std::string sigv4_canonical_uri(std::string_view path, bool normalize) {
  if (path.empty()) return "/";
  if (normalize) return aws_uri_encode(normalize_path(path), true);
  return aws_uri_encode(lenient_decode(path), true);
}

std::string sigv4_canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  std::size_t i = 0;
  while (i <= query.size()) {
    const auto end = std::min(query.find('&', i), query.size());
    const std::string_view param = query.substr(i, end - i);
    if (!param.empty()) {
      const auto eq = param.find('=');
      params.emplace_back(aws_uri_encode(lenient_decode(param.substr(0, eq)), false),
                          eq == std::string_view::npos
                              ? std::string()
                              : aws_uri_encode(lenient_decode(param.substr(eq + 1)), false));
    }
    i = end + 1;
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += '&';
    out += key + "=" + value;
  }
  return out;
}

Digest sigv4_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                         std::string_view service) {
  std::string k_secret = "AWS4";
  k_secret += secret;
  const Digest k_date = hmac_sha256(k_secret, date);
  std::fill(k_secret.begin(), k_secret.end(), '\0');
  const Digest k_region = hmac_sha256(as_bytes(k_date), region);
  const Digest k_service = hmac_sha256(as_bytes(k_region), service);
  return hmac_sha256(as_bytes(k_service), "aws4_request");
}

std::string sigv4_amz_date(std::chrono::system_clock::time_point time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto days = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day date(days);
  const std::chrono::hh_mm_ss clock(seconds - days);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     clock.hours().count(), clock.minutes().count(), clock.seconds().count());
}

SigV4Signer::SigV4Signer(AwsCredentials credentials, std::string region, std::string service)
    : credentials_(std::move(credentials)),
      region_(std::move(region)),
      service_(std::move(service)),
      s3_rules_(service_ == "s3") {}

Digest SigV4Signer::signing_key(std::string_view date) const {
  std::lock_guard lock(cache_mutex_);
  if (auto it = key_cache_.find(date); it != key_cache_.end()) return it->second;
  // Keys are valid for one day: keep only the latest two (a long job crosses midnight).
  while (key_cache_.size() >= 2) key_cache_.erase(key_cache_.begin());
  const Digest key =
      sigv4_signing_key(credentials_.secret_access_key.reveal(), date, region_, service_);
  key_cache_.emplace(std::string(date), key);
  return key;
}

SigV4Signature SigV4Signer::sign(HttpRequest& request, std::chrono::system_clock::time_point when,
                                 const SigV4Options& options) const {
  const UrlParts url = split_url(request.url);
  Headers& headers = request.headers;
  if (!headers.contains("Host")) headers.add("Host", host_header(url));

  SigV4Signature out;
  out.amz_date = sigv4_amz_date(when);
  const std::string date = out.amz_date.substr(0, 8);
  out.credential_scope = scope_of(date, region_, service_);
  headers.set("X-Amz-Date", out.amz_date);

  const Secret& token = credentials_.session_token;
  if (!token.empty() && options.sign_session_token)
    headers.set("X-Amz-Security-Token", token.reveal());
  else if (!token.empty())
    headers.remove("X-Amz-Security-Token");

  std::string payload_hash;
  if (options.unsigned_payload) {
    payload_hash = kUnsignedPayload;
  } else if (options.payload_hash) {
    payload_hash = *options.payload_hash;
  } else if (request.body_reader) {
    throw Error(ErrorCode::invalid_argument,
                "cannot sign a streamed request body without its SHA-256 (give payload_hash, or "
                "an unsigned payload for S3)");
  } else {
    payload_hash = to_hex(sha256(request.body));
  }
  if (s3_rules_) headers.set("x-amz-content-sha256", payload_hash);

  const CanonicalHeaders canonical = canonicalize_headers(headers);
  out.signed_headers = canonical.signed_headers;
  out.canonical_request = fmt::format(
      "{}\n{}\n{}\n{}\n{}\n{}", request.method, sigv4_canonical_uri(url.path, !s3_rules_),
      sigv4_canonical_query(url.query), canonical.block, canonical.signed_headers, payload_hash);
  out.string_to_sign = string_to_sign(out.amz_date, out.credential_scope, out.canonical_request);
  out.signature = to_hex(hmac_sha256(as_bytes(signing_key(date)), out.string_to_sign));
  out.authorization = fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}", kAlgorithm,
                                  credentials_.access_key_id, out.credential_scope,
                                  out.signed_headers, out.signature);
  if (!token.empty() && !options.sign_session_token)
    headers.set("X-Amz-Security-Token", token.reveal());
  headers.set("Authorization", out.authorization);
  return out;
}

std::string SigV4Signer::presign_url(std::string_view method, std::string_view url_text,
                                     std::chrono::seconds expires, const Headers& headers,
                                     std::chrono::system_clock::time_point when) const {
  constexpr std::chrono::seconds kMaxExpiry{7 * 24 * 3600};
  if (expires.count() < 1 || expires > kMaxExpiry)
    throw Error(
        ErrorCode::invalid_argument,
        fmt::format("a presigned URL must expire in 1 s to 7 days, not {} s", expires.count()));
  const UrlParts url = split_url(url_text);
  Headers signed_fields = headers;
  if (!signed_fields.contains("Host")) signed_fields.add("Host", host_header(url));
  const CanonicalHeaders canonical = canonicalize_headers(signed_fields);

  const std::string amz_date = sigv4_amz_date(when);
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = scope_of(date, region_, service_);
  std::string query = url.query;
  auto append = [&](std::string_view key, std::string_view value) {
    if (!query.empty()) query += '&';
    query += fmt::format("{}={}", key, aws_uri_encode(value, false));
  };
  append("X-Amz-Algorithm", kAlgorithm);
  append("X-Amz-Credential", credentials_.access_key_id + "/" + scope);
  append("X-Amz-Date", amz_date);
  append("X-Amz-Expires", std::to_string(expires.count()));
  append("X-Amz-SignedHeaders", canonical.signed_headers);
  if (!credentials_.session_token.empty())
    append("X-Amz-Security-Token", credentials_.session_token.reveal());

  // S3 presigns an unsigned payload; other services (e.g. RDS IAM tokens) the empty body.
  const std::string payload_hash = s3_rules_ ? std::string(kUnsignedPayload) : to_hex(sha256(""));
  const std::string canonical_request = fmt::format(
      "{}\n{}\n{}\n{}\n{}\n{}", method, sigv4_canonical_uri(url.path, !s3_rules_),
      sigv4_canonical_query(query), canonical.block, canonical.signed_headers, payload_hash);
  const std::string signature = to_hex(
      hmac_sha256(as_bytes(signing_key(date)), string_to_sign(amz_date, scope, canonical_request)));

  const auto base_end = url_text.find_first_of("?#");
  std::string out(url_text.substr(0, base_end));
  if (url.path == "/" && out.find('/', out.find("://") + 3) == std::string::npos) out += '/';
  out += "?" + query + "&X-Amz-Signature=" + signature;
  return out;
}

}  // namespace polydb::net
