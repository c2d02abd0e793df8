#include "net/redact.hpp"

#include <array>

#include "polydb/uri.hpp"

namespace polydb::net {

bool is_secret_header(std::string_view name) {
  const std::string n = ascii_lower(name);
  static constexpr std::array<std::string_view, 5> kExact = {
      "authorization", "proxy-authorization", "cookie", "set-cookie", "x-amz-security-token"};
  for (std::string_view e : kExact)
    if (n == e) return true;
  static constexpr std::array<std::string_view, 7> kParts = {
      "auth", "key", "token", "secret", "signature", "credential", "password"};
  for (std::string_view p : kParts)
    if (n.find(p) != std::string::npos) return true;
  // Azure shared-access signatures travel as x-ms-...-sas headers.
  return n.starts_with("x-ms-") && n.find("sas") != std::string::npos;
}

std::string redact_header_value(std::string_view name, std::string_view value) {
  return is_secret_header(name) ? std::string("***") : std::string(value);
}

std::string redact_url_for_log(std::string_view url) { return redact_url_text(url); }

std::string format_headers_for_log(const Headers& headers) {
  std::string out;
  for (const auto& [name, value] : headers) {
    if (!out.empty()) out += '\n';
    out += name;
    out += ": ";
    out += redact_header_value(name, value);
  }
  return out;
}

}  // namespace polydb::net
