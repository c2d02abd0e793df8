#pragma once

// Firestore errors -> polydb::Error (private to the connector). REST errors
// carry a gRPC status: {"error": {"code": 404, "status": "NOT_FOUND", "message": ...}};
// batchWrite reports one google.rpc.Status (numeric code) per write.

#include <string_view>

#include "net/http.hpp"
#include "polydb/error.hpp"

namespace polydb::firestore {

/// The gRPC status name of a numeric google.rpc.Code (5 -> "NOT_FOUND").
std::string_view status_name(int code) noexcept;

/// The ErrorCode for a gRPC status: INVALID_ARGUMENT/OUT_OF_RANGE invalid_argument,
/// NOT_FOUND not_found, ALREADY_EXISTS and ABORTED conflict, FAILED_PRECONDITION
/// invalid_argument when `message` asks for an index, else conflict,
/// RESOURCE_EXHAUSTED throttled, UNAVAILABLE/INTERNAL/UNKNOWN connection,
/// DEADLINE_EXCEEDED timeout, UNAUTHENTICATED/PERMISSION_DENIED auth,
/// UNIMPLEMENTED unsupported, CANCELLED cancelled, DATA_LOSS corruption.
ErrorCode classify(std::string_view status, std::string_view message) noexcept;

/// True for statuses worth retrying: ABORTED, RESOURCE_EXHAUSTED,
/// UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL.
bool is_retryable_status(std::string_view status) noexcept;

/// The Error for status `status` with the server's `message`, about `what`
/// ("Firestore runQuery on users"): message with the status, the server's
/// words and a hint; retryable as is_retryable_status says.
Error make_status_error(std::string_view status, std::string_view message, std::string_view what,
                        long http_status = 0);

/// The Error for a failed HTTP response (its JSON error body, or the start of
/// a non-JSON one).
Error make_error(const net::HttpResponse& response, std::string_view what);

}  // namespace polydb::firestore
