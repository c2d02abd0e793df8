#pragma once

// Cosmos DB error responses -> polydb::Error (private to the connector).

#include <string_view>

#include "net/http.hpp"
#include "polydb/error.hpp"

namespace polydb::cosmos {

/// The ErrorCode of an HTTP status of the Cosmos DB REST API: 400 and 413
/// invalid_argument, 401/403 auth, 404 not_found, 408 timeout, 409 and 412
/// conflict, 429 throttled, 449 (retry with) and 5xx connection.
ErrorCode classify(long status) noexcept;

/// True for the statuses worth retrying: 408, 429, 449, 5xx.
bool is_retryable_status(long status) noexcept;

/// The Error for a failed response to `what` ("Cosmos DB read of item 'x' in
/// orders"): the server's code and message go into the detail and, with a
/// hint saying what to do, into the message.
Error make_error(const net::HttpResponse& response, std::string_view what);

}  // namespace polydb::cosmos
