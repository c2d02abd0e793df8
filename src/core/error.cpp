#include "polydb/error.hpp"

#include <utility>

namespace polydb {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::connection: return "connection";
    case ErrorCode::auth: return "auth";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::type_mismatch: return "type_mismatch";
    case ErrorCode::throttled: return "throttled";
    case ErrorCode::timeout: return "timeout";
    case ErrorCode::conflict: return "conflict";
    case ErrorCode::unsupported: return "unsupported";
    case ErrorCode::io: return "io";
    case ErrorCode::corruption: return "corruption";
    case ErrorCode::cancelled: return "cancelled";
    case ErrorCode::internal: return "internal";
  }
  return "internal";
}

namespace {
bool default_retryable(ErrorCode code) {
  return code == ErrorCode::throttled || code == ErrorCode::timeout ||
         code == ErrorCode::connection;
}
std::string compose(const std::string& message, const std::string& backend) {
  return backend.empty() ? message : backend + ": " + message;
}
}  // namespace

Error::Error(ErrorCode code, std::string message, std::string backend, std::string detail)
    : std::runtime_error(compose(message, backend)),
      code_(code),
      message_(std::move(message)),
      backend_(std::move(backend)),
      detail_(std::move(detail)),
      retryable_(default_retryable(code)) {}

}  // namespace polydb
