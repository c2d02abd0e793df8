#pragma once

// libpq errors -> polydb::Error: SQLSTATEs for statements, libpq's message
// text for failures to connect (no SQLSTATE reaches the client then).

#include <libpq-fe.h>

#include <string>
#include <string_view>

// The C callbacks of the connection (notice receiver) use its test seam.
#include "core/c_callback.hpp"
#include "polydb/error.hpp"

namespace polydb::postgres {

/// The backend name in every Error this connector throws.
inline constexpr std::string_view kBackend = "postgresql";

/// What a SQLSTATE means to polydb.
struct Classified {
  ErrorCode code;
  bool retryable;
  std::string_view hint;  ///< what to do, for the message
  Hint remedy = Hint::none;  ///< the hint's key, for front ends (Error::hint)
};

/// Classifies a five-character SQLSTATE (e.g. "23505"). `message` is the
/// server's primary text, consulted only where one SQLSTATE covers two cases
/// (57014: a statement timeout or a cancel request). Unknown codes are
/// invalid_argument.
Classified classify_sqlstate(std::string_view sqlstate, std::string_view message = {});

/// Classifies libpq's message for a failed connection attempt (refused,
/// unreachable, TLS, bad password, unknown database, ...).
Classified classify_connect_failure(std::string_view libpq_message);

/// The Error for a failed statement. `res` may be null (libpq could not even
/// build a result, e.g. out of memory or the connection dropped); `conn`
/// supplies the message then. `what` says what polydb was doing ("cannot
/// describe table 'x'"). The server's words (primary, detail, hint, context)
/// go into the detail; the message carries the primary text and a hint.
Error make_error(const PGresult* res, PGconn* conn, std::string_view what);

/// The Error for a failed connection attempt to `display_url` (already
/// redacted). Never contains the password: libpq does not echo it.
Error make_connect_error(std::string_view libpq_message, std::string_view display_url);

}  // namespace polydb::postgres
