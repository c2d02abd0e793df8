#pragma once

// Splitting request URLs into the parts HTTP signing needs (private header of polydb_net).

#include <string>
#include <string_view>

namespace polydb::net {

/// The parts of an absolute `http://` or `https://` URL, as written: nothing
/// is decoded or re-encoded, so a signer sees exactly what goes on the wire.
struct UrlParts {
  std::string scheme;      ///< lowercased: "http" or "https"
  std::string host;        ///< as written (IPv6 keeps its brackets), lowercased
  std::string port;        ///< digits as written; "" when absent
  std::string path;        ///< from the first '/' up to '?' or '#'; "/" when empty
  std::string query;       ///< after '?' up to '#', without the '?'; "" when absent
  bool has_query = false;  ///< true when a '?' was present (even with an empty query)
};

/// Splits `url` (`scheme://[userinfo@]host[:port][/path][?query][#fragment]`).
/// Throws Error(invalid_argument) for a URL without "scheme://", a scheme
/// other than http/https, an empty host or a non-numeric port; the message
/// quotes the URL through `redact_url_text`.
UrlParts split_url(std::string_view url);

/// The value of the `Host` header for `url`: host, plus ":port" when a port is
/// given and is not the scheme's default (80 for http, 443 for https) — what
/// curl sends, so that a signed Host header matches the wire.
std::string host_header(const UrlParts& url);

}  // namespace polydb::net
