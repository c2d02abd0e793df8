#include "connectors/cosmos/errors.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "net/retry.hpp"
#include "polydb/uri.hpp"

namespace polydb::cosmos {

namespace {

std::string_view hint(long status) {
  switch (status) {
    case 400: return "check the query or the item; Cosmos SQL names properties as c.name or c[\"name\"]";
    case 401:
    case 403:
      return "check the key (key= option, COSMOS_KEY) or the resource token, and the system clock";
    case 404:
      return "check the database, container and item names; the connection's container list "
             "shows the names";
    case 408: return "the request timed out: try again";
    case 409: return "it already exists: choose another id or use upsert";
    case 412: return "the item was changed by someone else since it was read (etag mismatch): read it again";
    case 413: return "the item or request is too large (items hold at most 2 MB)";
    case 429: return "the container is throttled (request units exhausted): retry later or raise its throughput";
    case 449: return "a transient conflict on the server: try again";
    default: return status >= 500 ? "a server-side failure: try again" : "";
  }
}

// Cosmos messages carry "Message: {...}\r\nActivityId: ..., Request URI: ...": keep the first line.
std::string first_line(std::string text) {
  if (auto nl = text.find_first_of("\r\n"); nl != std::string::npos) text.resize(nl);
  if (text.size() > 400) text.resize(400);
  return text;
}

}  // namespace

ErrorCode classify(long status) noexcept {
  switch (status) {
    case 400:
    case 413: return ErrorCode::invalid_argument;
    case 401:
    case 403: return ErrorCode::auth;
    case 404: return ErrorCode::not_found;
    case 408: return ErrorCode::timeout;
    case 409:
    case 412: return ErrorCode::conflict;
    case 429: return ErrorCode::throttled;
    case 449: return ErrorCode::connection;
    default: return status >= 500 ? ErrorCode::connection : ErrorCode::invalid_argument;
  }
}

bool is_retryable_status(long status) noexcept {
  return status == 408 || status == 429 || status == 449 || status >= 500;
}

Error make_error(const net::HttpResponse& response, std::string_view what) {
  std::string code, message;
  const auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object()) {
    if (auto c = body.find("code"); c != body.end() && c->is_string()) code = c->get<std::string>();
    if (auto m = body.find("message"); m != body.end() && m->is_string())
      message = m->get<std::string>();
  } else {
    message = response.body.substr(0, 300);
  }
  const std::string_view h = hint(response.status);
  const std::string said = first_line(message);
  Error e(classify(response.status),
          fmt::format("{} failed: HTTP {}{}{}{}", what, response.status,
                      code.empty() ? "" : " " + code, said.empty() ? "" : ": " + said,
                      h.empty() ? "" : fmt::format(" ({})", h)),
          "cosmos", redact_url_text(code.empty() ? message : code + ": " + message));
  e.set_retryable(is_retryable_status(response.status));
  e.set_native_code(net::http_native_code(response.status, code));
  if (response.status == 404) e.set_hint(Hint::list_tables);
  return e;
}

}  // namespace polydb::cosmos
