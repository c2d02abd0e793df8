#pragma once

// DynamoDB error responses -> polydb::Error (private to the connector).

#include <string>
#include <string_view>

#include "net/http.hpp"
#include "polydb/error.hpp"

namespace polydb::dynamodb {

/// The service error codes that mean "slow down" (retried with backoff).
bool is_throttling_code(std::string_view code) noexcept;

/// The ErrorCode for a DynamoDB error: `code` is the short name from the
/// body's `__type` ("ResourceNotFoundException"), `message` the service's
/// words (ValidationExceptions about attribute types become type_mismatch).
ErrorCode classify(long status, std::string_view code, std::string_view message) noexcept;

/// The short error code of a `__type` value
/// ("com.amazonaws.dynamodb.v20120810#ResourceNotFoundException" -> "ResourceNotFoundException").
std::string_view short_code(std::string_view type) noexcept;

/// The Error for a failed response to `what` ("DynamoDB Scan on orders"):
/// the service's code and message go into the detail and, with a hint, into
/// the message. Throttling and 5xx are retryable.
Error make_error(const net::HttpResponse& response, std::string_view what);

}  // namespace polydb::dynamodb
