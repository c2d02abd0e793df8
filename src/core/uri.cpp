#include "polydb/uri.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "polydb/error.hpp"

namespace polydb {
namespace {

constexpr std::string_view kNoSchemeHint =
    "it has no scheme (expected e.g. sqlite:///path.db or postgresql://user@host/db)";
constexpr std::string_view kSplitCredentialsHint =
    "the user name or password seems to contain '/', '?', '#' or '@'; percent-encode them as "
    "%2F, %3F, %23 and %40";
constexpr std::string_view kBadEscapeHint =
    "('%' must be followed by two hex digits; write a literal '%' as %25)";

// Characters kept unencoded when rendering each component (besides the
// unreserved set). '@' is encoded in user, password and query so that
// redact_url_text's "last '@'" rule finds the real end of the userinfo.
constexpr std::string_view kUserinfoKeep = "!$&'()*+,;=";
constexpr std::string_view kHostKeep = "!$&'()*+,;=";
constexpr std::string_view kPathKeep = "/:@!$&'()*+,;=";
constexpr std::string_view kOpaquePathKeep = "/:!$&'()*+,;=";
// '+' is encoded because other parsers read it as a space; '&' '=' '#' split.
constexpr std::string_view kQueryKeep = "/:?!$'()*,;";
constexpr std::string_view kFragmentKeep = "/:?@!$&'()*+,;=";

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_unreserved(char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
bool is_sub_delim(char c) {
  return std::string_view("!$&'()*+,;=").find(c) != std::string_view::npos;
}
bool is_control(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}
char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  return ascii_lower(c) - 'a' + 10;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

// Lowercase, with '_' folded into '-': `SSL_Mode` and `ssl-mode` are one key.
std::string normalize_option_key(std::string_view key) {
  std::string out(key);
  for (char& c : out) c = (c == '_') ? '-' : ascii_lower(c);
  return out;
}

bool try_percent_decode(std::string_view text, std::string& out) {
  out.clear();
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (text.size() - i < 3 || !is_hex(text[i + 1]) || !is_hex(text[i + 2])) return false;
    out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
    i += 2;
  }
  return true;
}

// Control characters in a message would garble a terminal or a log line.
std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : text) {
    if (is_control(c)) {
      auto u = static_cast<unsigned char>(c);
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

// Redact before escaping control characters: the redaction rules need the
// raw separators.
[[noreturn]] void fail(std::string_view text, std::string_view problem) {
  throw Error(ErrorCode::invalid_argument,
              "malformed URL '" + printable(redact_url_text(text)) + "': " + std::string(problem));
}

// Decodes one component; the message names the component but never quotes
// it, since it may be the password or a secret option value.
std::string decode_component(std::string_view what, std::string_view component,
                             std::string_view url) {
  std::string out;
  if (!try_percent_decode(component, out)) {
    fail(url, "bad percent escape in the " + std::string(what) + " " + std::string(kBadEscapeHint));
  }
  return out;
}

// --- redact_url_text helpers -------------------------------------------------

bool is_key_char(char c) { return is_alpha(c) || is_digit(c) || c == '_' || c == '-' || c == '.'; }

bool is_raw_separator(char c) {
  return std::string_view("?&;, \t\r\n#({\"'").find(c) != std::string_view::npos;
}

// %-encoded '?', '&', ';', ',', ' ', '#': separators inside an encoded value.
bool is_encoded_separator(std::string_view three) {
  static constexpr std::array<std::string_view, 6> kEncoded = {"%3F", "%26", "%3B",
                                                               "%2C", "%20", "%23"};
  return std::any_of(kEncoded.begin(), kEncoded.end(),
                     [&](std::string_view e) { return iequals(three, e); });
}

bool key_starts_at(std::string_view text, std::size_t i) {
  if (i == 0) return true;
  if (is_raw_separator(text[i - 1])) return true;
  return i >= 3 && is_encoded_separator(text.substr(i - 3, 3));
}

// End of the value starting at `begin`: a {braced} (ODBC, '}}' escapes '}')
// or quoted (libpq, backslash escapes) value as a whole, else up to the next
// separator.
std::size_t value_end(std::string_view text, std::size_t begin) {
  const std::size_t n = text.size();
  if (begin < n && text[begin] == '{') {
    std::size_t i = begin + 1;
    while (i < n) {
      if (text[i] == '}') {
        if (i + 1 < n && text[i + 1] == '}') {
          i += 2;
          continue;
        }
        return i + 1;
      }
      ++i;
    }
    return n;
  }
  if (begin < n && (text[begin] == '\'' || text[begin] == '"')) {
    const char quote = text[begin];
    for (std::size_t i = begin + 1; i < n; ++i) {
      if (text[i] == '\\') {
        ++i;
      } else if (text[i] == quote) {
        return i + 1;
      }
    }
    return n;
  }
  std::size_t i = begin;
  while (i < n) {
    const char c = text[i];
    if (c == '&' || c == ';' || c == '#' || c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
        c == '"' || c == '\'') {
      break;
    }
    if (c == '%' && i + 3 <= n) {
      std::string_view three = text.substr(i, 3);
      if (iequals(three, "%26") || iequals(three, "%3B") || iequals(three, "%20") ||
          iequals(three, "%23")) {
        break;
      }
    }
    ++i;
  }
  return i;
}

// Replaces the password of one `user:password@` candidate in text[begin, end).
void redact_userinfo_region(std::string_view text, std::size_t begin, std::size_t end,
                            std::string& out) {
  // No stop at whitespace or newlines: a password may contain them.
  const std::string_view region = text.substr(begin, end - begin);
  const std::size_t at = region.rfind('@');
  if (at == std::string_view::npos) return;
  const std::size_t colon = region.substr(0, at).find(':');
  if (colon == std::string_view::npos) return;
  out.replace(begin + colon + 1, at - colon - 1, "***");
}

std::string redact_userinfo(std::string_view text) {
  std::string out(text);
  std::vector<std::size_t> starts;
  for (std::size_t p = text.find("://"); p != std::string_view::npos; p = text.find("://", p + 3)) {
    starts.push_back(p + 3);
  }
  if (starts.empty()) {
    redact_userinfo_region(text, 0, text.size(), out);
    return out;
  }
  // Back to front, so a replacement never shifts a region still to be done.
  for (std::size_t k = starts.size(); k-- > 0;) {
    const std::size_t end = (k + 1 < starts.size()) ? starts[k + 1] - 3 : text.size();
    redact_userinfo_region(text, starts[k], end, out);
  }
  return out;
}

std::string redact_secret_options(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    if (!is_key_char(text[i]) || !key_starts_at(text, i)) {
      out += text[i++];
      continue;
    }
    std::size_t key_end = i;
    while (key_end < n && is_key_char(text[key_end])) ++key_end;
    const std::string_view key = text.substr(i, key_end - i);
    // libpq conninfo allows spaces around '=' ("password = x").
    std::size_t eq = key_end;
    while (eq < n && text[eq] == ' ') ++eq;
    std::size_t value_begin = std::string_view::npos;
    if (eq < n && text[eq] == '=') {
      value_begin = eq + 1;
      while (value_begin < n && text[value_begin] == ' ') ++value_begin;
    } else if (eq == key_end && n - eq >= 3 && iequals(text.substr(eq, 3), "%3D")) {
      value_begin = eq + 3;
    }
    if (value_begin == std::string_view::npos || !is_secret_option_key(key)) {
      out.append(key);
      i = key_end;
      continue;
    }
    out.append(text.substr(i, value_begin - i));
    if (text.substr(value_begin, 3) == "***") {
      // Already redacted (a message redacted twice): keep what follows it.
      out += "***";
      i = value_begin + 3;
      continue;
    }
    const std::size_t end = value_end(text, value_begin);
    if (end > value_begin) out += "***";
    i = end;
  }
  return out;
}

// --- parsing -----------------------------------------------------------------

bool starts_with_scheme(std::string_view text, std::size_t& colon) {
  if (text.empty() || !is_alpha(text[0])) return false;
  std::size_t i = 1;
  while (i < text.size() && (is_alpha(text[i]) || is_digit(text[i]) || text[i] == '+' ||
                             text[i] == '-' || text[i] == '.')) {
    ++i;
  }
  if (i >= text.size() || text[i] != ':') return false;
  colon = i;
  return true;
}

// The inside of [...]: hex digits, ':' and '.' (IPv4 tail), then an optional
// zone "%25<zone>" (RFC 6874). Returns false when it is not of that shape.
bool valid_ip_literal(std::string_view inside) {
  std::size_t zone = inside.find('%');
  std::string_view address = inside.substr(0, zone);
  if (address.find(':') == std::string_view::npos) return false;
  if (!std::all_of(address.begin(), address.end(),
                   [](char c) { return is_hex(c) || c == ':' || c == '.'; })) {
    return false;
  }
  if (zone == std::string_view::npos) return true;
  std::string_view rest = inside.substr(zone);
  if (rest.size() < 4 || !iequals(rest.substr(0, 3), "%25")) return false;
  return std::all_of(rest.begin() + 3, rest.end(),
                     [](char c) { return is_unreserved(c) || c == '%'; });
}

std::uint16_t parse_port(std::string_view url, std::string_view digits) {
  if (!std::all_of(digits.begin(), digits.end(), is_digit)) {
    fail(url, "port '" + printable(digits) + "' is not a number");
  }
  std::size_t first = digits.find_first_not_of('0');
  std::string_view significant =
      first == std::string_view::npos ? std::string_view("0") : digits.substr(first);
  unsigned long value = 0;
  if (significant.size() <= 6) {
    for (char c : significant) value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  if (significant.size() > 6 || value == 0 || value > 65535) {
    fail(url, "port " + std::string(significant) + " is out of range (1-65535)");
  }
  return static_cast<std::uint16_t>(value);
}

void parse_host_port(std::string_view url, std::string_view hostport, Uri& uri) {
  std::string_view port_text;
  bool has_port = false;
  if (!hostport.empty() && hostport[0] == '[') {
    const std::size_t close = hostport.find(']');
    if (close == std::string_view::npos) {
      fail(url, "the IPv6 address has no closing ']' (write it as e.g. [::1]:5432)");
    }
    const std::string_view inside = hostport.substr(1, close - 1);
    if (!valid_ip_literal(inside)) {
      fail(url, "'[" + std::string(inside) +
                    "]' is not an IPv6 address (write e.g. [::1] or [fe80::1%25eth0])");
    }
    uri.host = decode_component("IPv6 zone", inside, url);
    const std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        fail(url, "unexpected '" + std::string(after) +
                      "' after the IPv6 address (expected ':PORT' or the end of the host)");
      }
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    const std::size_t colon = hostport.find(':');
    const std::string_view host = hostport.substr(0, colon);
    for (char c : host) {
      if (!is_unreserved(c) && !is_sub_delim(c) && c != '%') {
        fail(url, "the host contains the invalid character '" + printable(std::string(1, c)) + "'" +
                      (c == '[' || c == ']' ? " (write IPv6 addresses as [::1])" : ""));
      }
    }
    uri.host = decode_component("host", host, url);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = hostport.substr(colon + 1);
    }
  }
  // RFC 3986 allows an empty port ("host:"); it means the default port.
  if (has_port && !port_text.empty()) uri.port = parse_port(url, port_text);
}

void parse_query(std::string_view url, std::string_view query, Uri& uri) {
  std::size_t begin = 0;
  while (begin <= query.size()) {
    std::size_t end = query.find('&', begin);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view item = query.substr(begin, end - begin);
    begin = end + 1;
    if (item.empty()) continue;  // "a=1&&b=2", a trailing '&'
    const std::size_t eq = item.find('=');
    const std::string_view raw_key = item.substr(0, eq);
    if (raw_key.empty()) fail(url, "a query option has an empty name (write ?name=value)");
    std::string key = decode_component("query option name", raw_key, url);
    std::string value;
    if (eq != std::string_view::npos) {
      value = decode_component("value of query option '" + key + "'", item.substr(eq + 1), url);
    }
    uri.query.emplace_back(std::move(key), std::move(value));
  }
}

}  // namespace

std::string percent_decode(std::string_view text) {
  std::string out;
  if (!try_percent_decode(text, out)) {
    throw Error(ErrorCode::invalid_argument, "bad percent escape " + std::string(kBadEscapeHint));
  }
  return out;
}

std::string percent_encode(std::string_view text, std::string_view keep_extra) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (is_unreserved(c) || keep_extra.find(c) != std::string_view::npos) {
      out += c;
    } else {
      auto u = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

bool option_keys_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && normalize_option_key(a) == normalize_option_key(b);
}

bool is_secret_option_key(std::string_view key) {
  // clang-format off
  static constexpr std::array<std::string_view, 31> kExact = {
      "password", "passwd", "pwd", "pass", "key", "secret", "token", "sig", "signature",
      "sas", "sas-token", "auth", "authorization", "credential", "credentials",
      "api-key", "apikey", "x-api-key", "access-key", "access-key-id", "secret-key",
      "secret-access-key", "session-token", "account-key", "accountkey", "master-key",
      "masterkey", "private-key", "client-secret", "sharedaccesskey", "sharedaccesssignature"};
  // clang-format on
  static constexpr std::array<std::string_view, 7> kContained = {
      "password", "passwd", "pwd", "secret", "token", "credential", "signature"};
  const std::string normalized = normalize_option_key(key);
  if (std::find(kExact.begin(), kExact.end(), normalized) != kExact.end()) return true;
  return std::any_of(kContained.begin(), kContained.end(), [&](std::string_view part) {
    return normalized.find(part) != std::string::npos;
  });
}

std::string redact_url_text(std::string_view text) {
  return redact_secret_options(redact_userinfo(text));
}

Uri Uri::parse(std::string_view text) {
  if (text.empty()) {
    throw Error(ErrorCode::invalid_argument,
                "empty URL (expected e.g. sqlite:///path.db or postgresql://user@host/db)");
  }
  for (char c : text) {
    if (is_control(c)) {
      static constexpr char kHex[] = "0123456789abcdef";
      auto u = static_cast<unsigned char>(c);
      fail(text, std::string("it contains the control character 0x") + kHex[u >> 4] +
                     kHex[u & 0xf] + "; remove it");
    }
  }
  std::size_t colon = 0;
  if (!starts_with_scheme(text, colon)) fail(text, kNoSchemeHint);

  Uri uri;
  uri.scheme = text.substr(0, colon);
  for (char& c : uri.scheme) c = ascii_lower(c);
  std::string_view rest = text.substr(colon + 1);

  // Split off "#fragment" and "?query" first: neither may appear in the
  // path or authority unencoded.
  std::string_view fragment;
  bool has_fragment = false;
  std::string_view query;
  bool has_query = false;

  if (rest.starts_with("//")) {
    rest.remove_prefix(2);
    const std::size_t authority_end = rest.find_first_of("/?#");
    const std::string_view authority = rest.substr(0, authority_end);
    const std::string_view after =
        authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
    // A password with a raw '/', '?' or '#' cuts the authority short and
    // leaves its tail, with the real '@', behind: say so instead of quoting
    // the pieces (they are parts of the password).
    const bool suspicious =
        authority.find('@') == std::string_view::npos && after.find('@') != std::string_view::npos;

    for (char c : authority) {
      if (c == ' ') {
        fail(text, "the user, password, host or port contains a space; percent-encode it as %20");
      }
    }
    const std::size_t at = authority.rfind('@');
    std::string_view hostport = authority;
    if (at != std::string_view::npos) {
      const std::string_view userinfo = authority.substr(0, at);
      hostport = authority.substr(at + 1);
      const std::size_t pw = userinfo.find(':');
      uri.user = decode_component("user name", userinfo.substr(0, pw), text);
      if (pw != std::string_view::npos) {
        uri.password = Secret(decode_component("password", userinfo.substr(pw + 1), text));
      }
    }
    try {
      parse_host_port(text, hostport, uri);
    } catch (const Error&) {
      if (suspicious) fail(text, kSplitCredentialsHint);
      throw;
    }
    rest = after;
  } else {
    uri.opaque = true;
    if (rest.empty()) {
      fail(text, "nothing follows '" + uri.scheme + ":' (expected e.g. " + uri.scheme +
                     ":///path or " + uri.scheme + "://host/db)");
    }
    const std::string_view body = rest.substr(0, rest.find_first_of("?#"));
    if (body.find('@') != std::string_view::npos) {
      fail(text, "'@' in '" + uri.scheme + ":...' looks like credentials without '//' (write " +
                     uri.scheme + "://user:password@host/...)");
    }
  }

  if (const std::size_t hash = rest.find('#'); hash != std::string_view::npos) {
    fragment = rest.substr(hash + 1);
    has_fragment = true;
    rest = rest.substr(0, hash);
  }
  if (const std::size_t question = rest.find('?'); question != std::string_view::npos) {
    query = rest.substr(question + 1);
    has_query = true;
    rest = rest.substr(0, question);
  }
  uri.path = decode_component("path", rest, text);
  if (has_query) parse_query(text, query, uri);
  if (has_fragment) uri.fragment = decode_component("fragment", fragment, text);
  // "x:#" or "x:?" leave nothing, like "x:" (and would be written back as "x:").
  if (uri.opaque && uri.path.empty() && uri.query.empty() && uri.fragment.empty()) {
    fail(text, "nothing follows '" + uri.scheme + ":' (expected e.g. " + uri.scheme +
                   ":///path or " + uri.scheme + "://host/db)");
  }

  // A password with a raw '/' or '#' after a numeric port-like start
  // ("u:123/x@h") or with a raw '@' plus '/' ("u:p@ss/w@h") parses, but
  // wrongly; an '@' left in the path, fragment or an option name betrays it.
  const bool has_authority =
      !uri.opaque && (!uri.host.empty() || uri.port || !uri.user.empty() || !uri.password.empty());
  if (has_authority) {
    const bool stray_at =
        uri.path.find('@') != std::string::npos || uri.fragment.find('@') != std::string::npos ||
        std::any_of(uri.query.begin(), uri.query.end(),
                    [](const auto& kv) { return kv.first.find('@') != std::string::npos; });
    if (stray_at) fail(text, kSplitCredentialsHint);
  }
  return uri;
}

std::optional<std::string> Uri::option(std::string_view key) const {
  for (const auto& [k, v] : query) {
    if (option_keys_equal(k, key)) return v;
  }
  return std::nullopt;
}

void Uri::set_option(std::string_view key, std::string value) {
  auto matches = [&](const auto& entry) { return option_keys_equal(entry.first, key); };
  const auto first = std::find_if(query.begin(), query.end(), matches);
  if (first == query.end()) {
    query.emplace_back(std::string(key), std::move(value));
    return;
  }
  first->first = std::string(key);
  first->second = std::move(value);
  query.erase(std::remove_if(std::next(first), query.end(), matches), query.end());
}

std::string Uri::database() const { return path.starts_with('/') ? path.substr(1) : path; }

namespace {

std::string render(const Uri& uri, bool with_secrets) {
  std::string out = uri.scheme + ":";
  if (uri.opaque) {
    std::string body = percent_encode(uri.path, kOpaquePathKeep);
    // A leading "//" would read back as an authority.
    if (body.starts_with("//")) body.replace(0, 1, "%2F");
    out += body;
  } else {
    out += "//";
    if (!uri.user.empty() || !uri.password.empty()) {
      out += percent_encode(uri.user, kUserinfoKeep);
      if (!uri.password.empty()) {
        out += ':';
        out += with_secrets ? percent_encode(uri.password.reveal(), kUserinfoKeep) : "***";
      }
      out += '@';
    }
    // Brackets only for what reads back as an IP literal: a host name with an
    // encoded ':' ("eu-west%3A2") stays a host name, encoded again.
    const std::string literal = percent_encode(uri.host, ":");
    if (uri.host.find(':') != std::string::npos && valid_ip_literal(literal)) {
      out += '[' + literal + ']';
    } else {
      out += percent_encode(uri.host, kHostKeep);
    }
    if (uri.port) out += ':' + std::to_string(*uri.port);
    if (!uri.path.empty() && uri.path[0] != '/') out += '/';
    out += percent_encode(uri.path, kPathKeep);
  }
  for (std::size_t i = 0; i < uri.query.size(); ++i) {
    const auto& [key, value] = uri.query[i];
    out += i == 0 ? '?' : '&';
    out += percent_encode(key, kQueryKeep);
    out += '=';
    if (with_secrets) {
      out += percent_encode(value, kQueryKeep);
    } else if (is_secret_option_key(key)) {
      out += value.empty() ? "" : "***";
    } else {
      out += percent_encode(redact_url_text(value), kQueryKeep);
    }
  }
  if (!uri.fragment.empty()) out += '#' + percent_encode(uri.fragment, kFragmentKeep);
  return out;
}

}  // namespace

std::string Uri::to_string() const { return render(*this, false); }

std::string Uri::to_string_with_secrets() const { return render(*this, true); }

}  // namespace polydb
