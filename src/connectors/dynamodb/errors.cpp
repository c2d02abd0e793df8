#include "connectors/dynamodb/errors.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>

#include "net/retry.hpp"
#include "polydb/uri.hpp"

namespace polydb::dynamodb {

namespace {

bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

std::string_view hint(ErrorCode code) {
  switch (code) {
    case ErrorCode::not_found:
      return "check the table name; the connection's table list shows the names";
    case ErrorCode::auth:
      return "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, the profile and the region";
    case ErrorCode::throttled:
      return "the table is throttled: retry later or raise its capacity";
    case ErrorCode::conflict: return "the item or table was changed or exists already";
    case ErrorCode::type_mismatch: return "the attribute types do not match the key schema";
    case ErrorCode::unsupported: return "this DynamoDB endpoint does not support the operation";
    default: return "";
  }
}

}  // namespace

bool is_throttling_code(std::string_view code) noexcept {
  return code == "ProvisionedThroughputExceededException" || code == "ThrottlingException" ||
         code == "RequestLimitExceeded" || code == "LimitExceededException" ||
         code == "Throttling" || code == "TooManyRequestsException";
}

std::string_view short_code(std::string_view type) noexcept {
  const auto hash = type.rfind('#');
  return hash == std::string_view::npos ? type : type.substr(hash + 1);
}

ErrorCode classify(long status, std::string_view code, std::string_view message) noexcept {
  if (is_throttling_code(code)) return ErrorCode::throttled;
  if (code == "ResourceNotFoundException") return ErrorCode::not_found;
  if (code == "ConditionalCheckFailedException" || code == "ResourceInUseException" ||
      code == "TransactionConflictException" || code == "TransactionCanceledException")
    return ErrorCode::conflict;
  if (code == "AccessDeniedException" || code == "UnrecognizedClientException" ||
      code == "InvalidSignatureException" || code == "MissingAuthenticationTokenException" ||
      code == "MissingAuthenticationToken" || code == "IncompleteSignatureException" ||
      code == "ExpiredTokenException" || code == "InvalidClientTokenId")
    return ErrorCode::auth;
  if (code == "UnknownOperationException") return ErrorCode::unsupported;
  if (code == "InternalServerError" || code == "ServiceUnavailable")
    return ErrorCode::connection;
  if (code == "ValidationException" || code == "SerializationException") {
    if (contains(message, "Type mismatch") || contains(message, "type mismatch") ||
        contains(message, "does not match the schema") ||
        contains(message, "attribute type") || contains(message, "Invalid attribute value type"))
      return ErrorCode::type_mismatch;
    return ErrorCode::invalid_argument;
  }
  return net::error_code_for_status(status);
}

Error make_error(const net::HttpResponse& response, std::string_view what) {
  std::string code, message;
  try {
    const auto body = nlohmann::json::parse(response.body);
    if (body.is_object()) {
      if (auto t = body.find("__type"); t != body.end() && t->is_string())
        code = std::string(short_code(t->get<std::string>()));
      for (const char* key : {"message", "Message"})
        if (auto m = body.find(key); m != body.end() && m->is_string())
          message = m->get<std::string>();
    }
  } catch (const nlohmann::json::exception&) {
    message = response.body.substr(0, 300);
  }
  const ErrorCode ec = classify(response.status, code, message);
  const std::string_view h = hint(ec);
  Error e(ec,
          fmt::format("{} failed: HTTP {}{}{}{}{}", what, response.status,
                      code.empty() ? "" : " " + code, message.empty() ? "" : ": " + message,
                      h.empty() ? "" : " (", h.empty() ? "" : std::string(h) + ")"),
          "dynamodb", redact_url_text(code.empty() ? message : code + ": " + message));
  e.set_retryable(ec == ErrorCode::throttled || ec == ErrorCode::connection ||
                  ec == ErrorCode::timeout || response.status >= 500);
  e.set_native_code(net::http_native_code(response.status, code));
  if (ec == ErrorCode::not_found) e.set_hint(Hint::list_tables);
  return e;
}

}  // namespace polydb::dynamodb
