// Fuzz target: polydb::Uri::parse (src/core/uri.cpp).
// Properties: a URL that parses renders back (to_string_with_secrets) to a
// text that parses to the same Uri; the redacted form (to_string) never holds
// the password or a secret option's value; percent_decode inverts
// percent_encode for any bytes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "polydb/uri.hpp"

namespace {

constexpr std::string_view kMarker = "S3cr3tFuzzPw";

bool holds_marker(std::string_view s) { return s.find(kMarker) != std::string_view::npos; }

// Sets every credential of `u` to kMarker and checks that to_string() hides
// it, unless a non-secret part of the URL holds the marker text itself.
void check_redaction(polydb::Uri u) {
  u.password = polydb::Secret(std::string(kMarker));
  if (holds_marker(u.scheme) || holds_marker(u.user) || holds_marker(u.host) ||
      holds_marker(u.path) || holds_marker(u.fragment))
    return;
  for (auto& [key, value] : u.query) {
    if (holds_marker(key)) return;
    if (polydb::is_secret_option_key(key))
      value = std::string(kMarker);
    else if (holds_marker(value))
      return;
  }
  FUZZ_CHECK(!holds_marker(u.to_string()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const std::string encoded = polydb::percent_encode(text);
  FUZZ_CHECK(polydb::percent_decode(encoded) == text);
  (void)polydb::redact_url_text(text);

  polydb::Uri uri;
  if (!polydb::fuzz::rejects_or_runs([&] { uri = polydb::Uri::parse(text); })) return 0;

  const std::string again = uri.to_string_with_secrets();
  polydb::Uri reparsed;
  const bool ok = polydb::fuzz::rejects_or_runs([&] { reparsed = polydb::Uri::parse(again); });
  FUZZ_CHECK(ok);
  FUZZ_CHECK(reparsed == uri);
  FUZZ_CHECK(reparsed.to_string_with_secrets() == again);

  (void)uri.to_string();
  (void)uri.database();
  (void)uri.option("password");
  check_redaction(uri);
  return 0;
}
