#include "connectors/postgres/errors.hpp"

#include <fmt/format.h>

namespace polydb::postgres {

namespace {

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r'))
    s.remove_suffix(1);
  while (!s.empty() && (s.front() == '\n' || s.front() == ' ')) s.remove_prefix(1);
  return s;
}

// The part of a libpq connection message worth showing in one line: libpq
// prefixes `connection to server at "h" (addr), port p failed: ` and the
// server `FATAL:  `; only the last failure counts when several addresses were
// tried.
std::string_view connect_reason(std::string_view msg) {
  msg = trim(msg);
  if (auto last = msg.rfind("connection to server "); last != std::string_view::npos)
    msg = msg.substr(last);
  if (auto failed = msg.find(" failed: "); failed != std::string_view::npos)
    msg = msg.substr(failed + 9);
  if (msg.starts_with("FATAL:")) msg.remove_prefix(6);
  msg = trim(msg);
  if (auto nl = msg.find('\n'); nl != std::string_view::npos) msg = msg.substr(0, nl);
  return trim(msg);
}

const char* field(const PGresult* res, int code) {
  const char* v = res ? PQresultErrorField(res, code) : nullptr;
  return v ? v : "";
}

}  // namespace

Classified classify_sqlstate(std::string_view s, std::string_view message) {
  using E = ErrorCode;
  if (s.size() != 5) return {E::internal, false, "unexpected reply from the server"};
  const std::string_view cls = s.substr(0, 2);
  // Specific codes first, then whole classes.
  if (s == "3D000") return {E::not_found, false, "check the database name (psql -l lists them)"};
  if (s == "3F000") return {E::not_found, false, "check the schema name"};
  if (s == "42P01")
    return {E::not_found, false,
            "the connection's table list shows the names; names are case-sensitive",
            Hint::list_tables};
  if (s == "42703")
    return {E::not_found, false, "the table's description lists the columns", Hint::describe_table};
  if (s == "42704") return {E::not_found, false, "check the object or type name"};
  if (s == "42883")
    return {E::invalid_argument, false,
            "check the function or operator and the argument types (a parameter may need "
            "another type, e.g. text)",
            Hint::typed_param};
  if (s == "42601") return {E::invalid_argument, false, "check the SQL syntax"};
  if (s == "42501")
    return {E::auth, false,
            "the role lacks a privilege on this object (GRANT it, or connect as "
            "another user)"};
  if (s == "42P07" || s == "42P06" || s == "42710" || s == "42723")
    return {E::conflict, false,
            "it already exists; write into an existing table in append, replace or upsert mode",
            Hint::write_mode};
  if (s == "42P18")
    return {E::invalid_argument, false,
            "the server cannot tell a parameter's type: add a cast such as $1::text"};
  if (s == "40001" || s == "40P01")
    return {E::conflict, true,
            "a concurrent transaction conflicted (serialization failure or "
            "deadlock); retry"};
  if (s == "57014") {
    if (contains(message, "statement timeout"))
      return {E::timeout, true, "the statement ran longer than statement_timeout"};
    return {E::cancelled, false, "the statement was cancelled"};
  }
  if (s == "57P01" || s == "57P02" || s == "57P03" || s == "57P04" || s == "57P05")
    return {E::connection, true,
            "the server is shutting down, restarting or not accepting connections yet; retry"};
  if (s == "53100") return {E::io, false, "the server's disk is full; free space and retry"};
  if (s == "53300")
    return {E::connection, true, "the server has too many connections; retry later"};
  if (s == "55P03") return {E::timeout, true, "a lock could not be acquired; retry later"};
  if (s == "21000")
    return {E::conflict, false,
            "a row was affected twice in one statement (the input holds the same key twice?)"};
  if (s == "25P02")
    return {E::invalid_argument, false,
            "an earlier statement of the transaction failed; roll it back"};
  if (s == "25P03")
    return {E::timeout, true, "the transaction stayed idle longer than the server allows"};
  if (s == "XX001" || s == "XX002")
    return {E::corruption, false, "the server reports damaged data or indexes"};
  if (cls == "08")
    return {E::connection, true, "the connection to the server failed or was lost; retry"};
  if (cls == "28")
    return {E::auth, false, "check the user name and password (URL, PGPASSWORD or ~/.pgpass)"};
  if (s == "22012") return {E::invalid_argument, false, "an expression divides by zero"};
  if (cls == "22") return {E::type_mismatch, false, "a value does not fit its column's type"};
  if (cls == "23")
    return {E::conflict, false,
            "a constraint (primary key, unique, not null, check, foreign "
            "key) was violated"};
  if (cls == "40") return {E::conflict, false, "the transaction was rolled back"};
  if (cls == "53") return {E::io, false, "the server ran out of a resource (disk, memory)"};
  if (cls == "58") return {E::io, false, "the server hit an operating system error"};
  if (cls == "0A") return {E::unsupported, false, "the server does not support this"};
  if (cls == "XX") return {E::internal, false, "the server reports an internal error"};
  if (cls == "2B") return {E::conflict, false, "other objects depend on it"};
  if (cls == "55") return {E::conflict, false, "the object is in use or in the wrong state"};
  return {E::invalid_argument, false, "check the statement"};
}

Classified classify_connect_failure(std::string_view m) {
  using E = ErrorCode;
  if (contains(m, "password authentication failed") ||
      contains(m, "authentication failed for user"))
    return {E::auth, false, "check the password (in the URL, PGPASSWORD or ~/.pgpass)"};
  if (contains(m, "no password supplied") || contains(m, "password is required"))
    return {E::auth, false,
            "the server wants a password: put it in the URL (postgresql://user:PASSWORD@host/db),"
            " PGPASSWORD or ~/.pgpass"};
  if (contains(m, "role \"") && contains(m, "does not exist"))
    return {E::auth, false, "check the user name"};
  if (contains(m, "no pg_hba.conf entry"))
    return {E::auth, false,
            "the server's pg_hba.conf does not admit this host, user and database (try "
            "sslmode=require, or ask the administrator)"};
  if (contains(m, "database \"") && contains(m, "does not exist"))
    return {E::not_found, false, "check the database name (psql -l lists them)"};
  if (contains(m, "server does not support SSL"))
    return {E::connection, false,
            "the server has no TLS: use sslmode=prefer or disable, or enable ssl on the server"};
  if (contains(m, "SSL") || contains(m, "certificate") || contains(m, "TLS"))
    return {E::connection, false, "TLS failed: check sslmode, sslrootcert, sslcert and sslkey"};
  if (contains(m, "timeout expired"))
    return {E::timeout, true,
            "the server did not answer in time: check host, port and firewall, or raise "
            "connect_timeout"};
  if (contains(m, "Temporary failure in name resolution"))
    return {E::connection, true, "the host name could not be resolved right now; retry"};
  if (contains(m, "could not translate host name"))
    return {E::connection, false, "check the host name"};
  if (contains(m, "Connection refused"))
    return {E::connection, true,
            "is the server running on that host and port, accepting TCP connections?"};
  if (contains(m, "No route to host") || contains(m, "Network is unreachable") ||
      contains(m, "Host is unreachable"))
    return {E::connection, true, "the host is unreachable: check the address and network"};
  if (contains(m, "the database system is") || contains(m, "too many clients") ||
      contains(m, "closed the connection unexpectedly"))
    return {E::connection, true, "the server is not accepting connections right now; retry"};
  return {E::connection, false, "check the URL, the server and the network"};
}

Error make_error(const PGresult* res, PGconn* conn, std::string_view what) {
  const std::string_view state = field(res, PG_DIAG_SQLSTATE);
  if (state.empty()) {
    // Client-side failure: no server reply (connection lost, out of memory).
    std::string native(trim(conn ? PQerrorMessage(conn) : "no result from libpq"));
    if (res && *PQresultErrorMessage(res)) native = trim(PQresultErrorMessage(res));
    const bool lost = !conn || PQstatus(conn) == CONNECTION_BAD;
    Error e(lost ? ErrorCode::connection : ErrorCode::internal,
            fmt::format(
                "{}: {} ({})", what, native.empty() ? "unknown libpq error" : native,
                lost ? "the connection to the server was lost; retry" : "unexpected libpq failure"),
            std::string(kBackend), native);
    e.set_retryable(lost);
    return e;
  }
  const std::string_view primary = field(res, PG_DIAG_MESSAGE_PRIMARY);
  const std::string_view sdetail = field(res, PG_DIAG_MESSAGE_DETAIL);
  const std::string_view shint = field(res, PG_DIAG_MESSAGE_HINT);
  const std::string_view context = field(res, PG_DIAG_CONTEXT);
  const Classified c = classify_sqlstate(state, primary);
  std::string message = fmt::format("{}: {}", what, primary);
  if (!sdetail.empty()) message += fmt::format(" ({})", sdetail);
  // A COPY error's context names the line and column: the most useful part.
  if (context.starts_with("COPY ")) {
    std::string_view line = context.substr(0, context.find('\n'));
    message += fmt::format(" [{}]", line.substr(0, 200));
  }
  message += fmt::format(" ({})", shint.empty() ? c.hint : shint);
  std::string detail = fmt::format("SQLSTATE {}: {}", state, primary);
  if (!sdetail.empty()) detail += fmt::format("\nDETAIL: {}", sdetail);
  if (!shint.empty()) detail += fmt::format("\nHINT: {}", shint);
  if (!context.empty()) detail += fmt::format("\nCONTEXT: {}", trim(context));
  Error e(c.code, std::move(message), std::string(kBackend), std::move(detail));
  e.set_retryable(c.retryable);
  e.set_native_code(std::string(state));
  // The server's own hint replaces ours, and with it our remedy.
  if (shint.empty()) e.set_hint(c.remedy);
  return e;
}

Error make_connect_error(std::string_view libpq_message, std::string_view display_url) {
  const Classified c = classify_connect_failure(libpq_message);
  std::string_view reason = connect_reason(libpq_message);
  Error e(c.code,
          fmt::format("cannot connect to {}: {} ({})", display_url,
                      reason.empty() ? "unknown error" : reason, c.hint),
          std::string(kBackend), std::string(trim(libpq_message)));
  e.set_retryable(c.retryable);
  return e;
}

}  // namespace polydb::postgres
