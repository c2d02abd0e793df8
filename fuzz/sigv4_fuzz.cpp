// Fuzz target: AWS SigV4 canonicalisation (src/net/sigv4.cpp, src/net/url.cpp):
// canonical URI, query and headers of arbitrary requests, signing and presigning.
//
// Input (FuzzedDataProvider): service (s3 or dynamodb), options, method, a
// URL or a path + query on 127.0.0.1, up to 8 headers, a body.
// Properties: only polydb::Error escapes; the canonical URI and query use
// only unreserved characters, '/', '&', '=' and %XX; canonicalising a
// canonical query changes nothing; signed header names are lowercase, sorted
// and unique; the canonical request has its six lines and the signature 64
// hex digits.

#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "net/sigv4.hpp"
#include "net/url.hpp"

namespace {

namespace net = polydb::net;

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

bool is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Only unreserved characters, `extra` and %XX escapes with uppercase hex.
bool canonical_chars(std::string_view s, std::string_view extra) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~' || extra.find(static_cast<char>(c)) != extra.npos)
      continue;
    if (c != '%' || i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) return false;
    if ((s[i + 1] >= 'a' && s[i + 1] <= 'f') || (s[i + 2] >= 'a' && s[i + 2] <= 'f')) return false;
    i += 2;
  }
  return true;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (true) {
    const auto end = s.find(sep, i);
    out.push_back(s.substr(i, end == s.npos ? s.npos : end - i));
    if (end == s.npos) return out;
    i = end + 1;
  }
}

void check_canonical_parts(std::string_view path, std::string_view query) {
  for (const bool normalize : {true, false}) {
    const std::string uri = net::sigv4_canonical_uri(path, normalize);
    // split_url hands over paths that start with '/' (or "/" for none).
    if (path.starts_with('/') || path.empty()) FUZZ_CHECK(uri.starts_with('/'));
    FUZZ_CHECK(canonical_chars(uri, "/"));
  }
  const std::string q = net::sigv4_canonical_query(query);
  FUZZ_CHECK(canonical_chars(q, "&="));
  FUZZ_CHECK(net::sigv4_canonical_query(q) == q);
  const std::string encoded = net::aws_uri_encode(path, false);
  FUZZ_CHECK(canonical_chars(encoded, ""));
}

void check_signature(const net::SigV4Signature& s) {
  const auto lines = split(s.canonical_request, '\n');
  FUZZ_CHECK(lines.size() >= 6);
  FUZZ_CHECK(s.signature.size() == 64);
  const auto names = split(s.signed_headers, ';');
  for (size_t i = 0; i < names.size(); ++i) {
    FUZZ_CHECK(i == 0 || names[i - 1] < names[i]);
    for (char c : names[i]) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
  }
  FUZZ_CHECK(s.signed_headers.find("host") != std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string service = in.ConsumeBool() ? "s3" : "dynamodb";
  net::AwsCredentials creds;
  creds.access_key_id = "AKIDEXAMPLE";
  creds.secret_access_key = polydb::Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  if (in.ConsumeBool()) creds.session_token = polydb::Secret("FQoGZXIvYXdzEXAMPLE");
  const net::SigV4Signer signer(creds, "us-east-1", service);

  net::SigV4Options options;
  options.unsigned_payload = in.ConsumeBool();
  options.sign_session_token = in.ConsumeBool();
  if (in.ConsumeBool()) options.payload_hash = in.ConsumeRandomLengthString(70);

  net::HttpRequest request;
  request.method = in.ConsumeRandomLengthString(12);
  const std::string path = in.ConsumeRandomLengthString(200);
  const std::string query = in.ConsumeRandomLengthString(200);
  if (in.ConsumeBool()) {
    request.url = in.ConsumeRandomLengthString(200);  // any URL text: split_url decides
  } else {
    request.url = "http://127.0.0.1:8000";
    if (!path.starts_with('/')) request.url += '/';
    request.url += path;
    if (!query.empty()) request.url += "?" + query;
  }
  const int nheaders = in.ConsumeIntegralInRange(0, 8);
  for (int i = 0; i < nheaders; ++i) {
    // Field names are HTTP tokens (ours are constants); values are arbitrary.
    std::string name = in.ConsumeRandomLengthString(24);
    std::erase_if(name, [](char c) { return !is_token_char(c); });
    if (name.empty()) continue;
    std::string value = in.ConsumeRandomLengthString(64);
    request.headers.add(std::move(name), std::move(value));
  }
  const auto when = std::chrono::system_clock::time_point(
      std::chrono::seconds(in.ConsumeIntegralInRange<int64_t>(0, 4'102'444'800)));  // to 2100
  request.body = in.ConsumeRemainingBytesAsString();

  check_canonical_parts(path, query);

  const net::Headers extra = request.headers;
  net::SigV4Signature signature;
  if (polydb::fuzz::rejects_or_runs([&] { signature = signer.sign(request, when, options); })) {
    check_signature(signature);
    FUZZ_CHECK(request.headers.get("Authorization").has_value());
  }
  polydb::fuzz::rejects_or_runs([&] {
    const std::string url =
        signer.presign_url(request.method, request.url, std::chrono::seconds(900), extra, when);
    const net::UrlParts parts = net::split_url(url);
    FUZZ_CHECK(parts.query.find("X-Amz-Signature=") != std::string::npos);
  });
  return 0;
}
