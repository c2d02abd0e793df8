#include "net/url.hpp"

#include "net/headers.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"

namespace polydb::net {

namespace {
[[noreturn]] void bad_url(std::string_view url, std::string_view why) {
  throw Error(ErrorCode::invalid_argument,
              "invalid HTTP URL '" + redact_url_text(url) + "': " + std::string(why));
}
}  // namespace

UrlParts split_url(std::string_view url) {
  UrlParts parts;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) bad_url(url, "expected scheme://host");
  parts.scheme = ascii_lower(url.substr(0, scheme_end));
  if (parts.scheme != "http" && parts.scheme != "https")
    bad_url(url, "only http and https are supported");

  std::string_view rest = url.substr(scheme_end + 3);
  const auto authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  rest = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos)
    authority.remove_prefix(at + 1);

  // "[v6]:port" or "host:port": the port follows the last ':' outside brackets.
  const auto bracket = authority.rfind(']');
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    parts.port = std::string(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
    if (parts.port.empty() || parts.port.find_first_not_of("0123456789") != std::string::npos)
      bad_url(url, "the port is not a number");
  }
  parts.host = ascii_lower(authority);
  if (parts.host.empty()) bad_url(url, "the host is empty");

  if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  const auto question = rest.find('?');
  parts.path = std::string(rest.substr(0, question));
  if (question != std::string_view::npos) {
    parts.has_query = true;
    parts.query = std::string(rest.substr(question + 1));
  }
  if (parts.path.empty()) parts.path = "/";
  return parts;
}

std::string host_header(const UrlParts& url) {
  const bool default_port = url.port.empty() || (url.scheme == "http" && url.port == "80") ||
                            (url.scheme == "https" && url.port == "443");
  return default_port ? url.host : url.host + ":" + url.port;
}

}  // namespace polydb::net
