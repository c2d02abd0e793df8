#include "connectors/firestore/errors.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>

#include "net/retry.hpp"
#include "polydb/uri.hpp"

namespace polydb::firestore {

namespace {

bool mentions_index(std::string_view message) {
  return message.find("index") != std::string_view::npos;
}

std::string_view hint(ErrorCode code, std::string_view status, std::string_view message) {
  if (status == "FAILED_PRECONDITION" && mentions_index(message))
    return "the query needs a composite index: create it with the link in the message or "
           "`gcloud firestore indexes composite create`, or filter on fewer fields";
  switch (code) {
    case ErrorCode::not_found:
      return "check the project, database and collection path; the connection's collection "
             "list shows the names";
    case ErrorCode::auth:
      return "check GOOGLE_APPLICATION_CREDENTIALS and that the service account has a Cloud "
             "Datastore role on the project";
    case ErrorCode::throttled: return "quota or rate exhausted: retry later or write more slowly";
    case ErrorCode::conflict:
      return status == "ALREADY_EXISTS" ? "the document exists already (write in upsert mode)"
                                        : "the document changed or a precondition failed";
    case ErrorCode::invalid_argument: return "check the query, field paths and values";
    default: return "";
  }
}

}  // namespace

std::string_view status_name(int code) noexcept {
  static constexpr std::array<std::string_view, 17> kNames = {
      "OK",           "CANCELLED",         "UNKNOWN",        "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND",    "ALREADY_EXISTS", "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",         "UNAVAILABLE",    "DATA_LOSS",
      "UNAUTHENTICATED"};
  return code >= 0 && code < static_cast<int>(kNames.size()) ? kNames[code] : "UNKNOWN";
}

ErrorCode classify(std::string_view status, std::string_view message) noexcept {
  if (status == "INVALID_ARGUMENT" || status == "OUT_OF_RANGE") return ErrorCode::invalid_argument;
  if (status == "NOT_FOUND") return ErrorCode::not_found;
  if (status == "ALREADY_EXISTS" || status == "ABORTED") return ErrorCode::conflict;
  if (status == "FAILED_PRECONDITION")
    return mentions_index(message) ? ErrorCode::invalid_argument : ErrorCode::conflict;
  if (status == "RESOURCE_EXHAUSTED") return ErrorCode::throttled;
  if (status == "DEADLINE_EXCEEDED") return ErrorCode::timeout;
  if (status == "UNAUTHENTICATED" || status == "PERMISSION_DENIED") return ErrorCode::auth;
  if (status == "UNIMPLEMENTED") return ErrorCode::unsupported;
  if (status == "CANCELLED") return ErrorCode::cancelled;
  if (status == "DATA_LOSS") return ErrorCode::corruption;
  return ErrorCode::connection;  // UNAVAILABLE, INTERNAL, UNKNOWN
}

bool is_retryable_status(std::string_view status) noexcept {
  return status == "ABORTED" || status == "RESOURCE_EXHAUSTED" || status == "UNAVAILABLE" ||
         status == "DEADLINE_EXCEEDED" || status == "INTERNAL";
}

Error make_status_error(std::string_view status, std::string_view message, std::string_view what,
                        long http_status) {
  const ErrorCode code = classify(status, message);
  const std::string_view h = hint(code, status, message);
  const std::string http = http_status ? fmt::format("HTTP {} ", http_status) : std::string();
  Error e(code,
          fmt::format("{} failed: {}{}{}{}{}{}", what, http, status,
                      message.empty() ? "" : ": ", message, h.empty() ? "" : " (",
                      h.empty() ? "" : std::string(h) + ")"),
          "firestore", redact_url_text(fmt::format("{}: {}", status, message)));
  e.set_retryable(is_retryable_status(status));
  e.set_native_code(http_status ? net::http_native_code(http_status, status) : std::string(status));
  if (code == ErrorCode::not_found) e.set_hint(Hint::list_tables);
  if (status == "ALREADY_EXISTS") e.set_hint(Hint::upsert_mode);
  return e;
}

Error make_error(const net::HttpResponse& response, std::string_view what) {
  std::string status, message;
  try {
    auto body = nlohmann::json::parse(response.body);
    // runQuery answers with an array whose element holds the error.
    if (body.is_array() && !body.empty()) body = body[0];
    if (body.is_object() && body.contains("error") && body["error"].is_object()) {
      const auto& err = body["error"];
      status = err.value("status", "");
      message = err.value("message", "");
    }
  } catch (const nlohmann::json::exception&) {
    message = response.body.substr(0, 300);
  }
  if (status.empty()) {
    const Error e = net::http_status_error(response, "firestore", "", message);
    return e.with_message(fmt::format("{}: {}", what, e.message()));
  }
  return make_status_error(status, message, what, response.status);
}

}  // namespace polydb::firestore
