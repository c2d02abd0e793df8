#include "connectors/mysql/errors.hpp"

#include <fmt/format.h>

#include <charconv>

namespace polydb::mysql {

namespace {

constexpr std::string_view kNotFoundHint =
    "the connection's table list and the table's description show what exists";
constexpr std::string_view kTypeHint = "a value does not fit the column's type or size";

}  // namespace

Classified classify(unsigned errnum) noexcept {
  switch (errnum) {
    // Cannot reach the server, or the connection dropped: retrying may help.
    case 2002:  // CR_CONNECTION_ERROR (socket)
    case 2003:  // CR_CONN_HOST_ERROR (TCP refused / unreachable)
      return {ErrorCode::connection, true,
              "is the server running and reachable? check the host, port and firewall"};
    case 2006:  // CR_SERVER_GONE_ERROR
    case 2013:  // CR_SERVER_LOST
    case 2055:  // CR_SERVER_LOST_EXTENDED
    case 1053:  // ER_SERVER_SHUTDOWN
    case 1927:  // ER_CONNECTION_KILLED
    case 4031:  // ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8)
      return {ErrorCode::connection, true,
              "the connection to the server was lost; retry, and check the server's log, "
              "wait_timeout and max_allowed_packet"};
    case 1040:  // ER_CON_COUNT_ERROR
      return {ErrorCode::connection, true,
              "the server has too many connections; retry later or raise max_connections"};
    case 2005:  // CR_UNKNOWN_HOST
      return {ErrorCode::connection, false, "check the host name in the URL"};
    case 2026:  // CR_SSL_CONNECTION_ERROR
      return {ErrorCode::connection, false,
              "TLS failed: check ssl-mode, ssl-ca, ssl-cert and ssl-key in the URL, and that "
              "the server has TLS enabled (ssl-mode=DISABLED turns TLS off)"};
    case 2014:  // CR_COMMANDS_OUT_OF_SYNC
      return {ErrorCode::internal, false,
              "a reader on this connection is still open; finish or destroy it first, or use "
              "a second connection"};
    // Credentials and privileges.
    case 1045:  // ER_ACCESS_DENIED_ERROR
    case 1698:  // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
      return {ErrorCode::auth, false,
              "check the user name and password in the URL or config (user:password@host)"};
    case 1862:  // ER_MUST_CHANGE_PASSWORD_LOGIN
    case 1820:  // ER_MUST_CHANGE_PASSWORD
      return {ErrorCode::auth, false,
              "the password has expired; set a new one with the mariadb client"};
    case 2059:  // CR_AUTH_PLUGIN_CANNOT_LOAD
    case 1251:  // ER_NOT_SUPPORTED_AUTH_MODE
      return {ErrorCode::auth, false,
              "the server asks for an authentication method libmariadb cannot use"};
    case 1044:  // ER_DBACCESS_DENIED_ERROR
    case 1142:  // ER_TABLEACCESS_DENIED_ERROR
    case 1143:  // ER_COLUMNACCESS_DENIED_ERROR
    case 1227:  // ER_SPECIFIC_ACCESS_DENIED_ERROR
    case 1370:  // ER_PROCACCESS_DENIED_ERROR
      return {ErrorCode::auth, false, "the user lacks a privilege; ask for a GRANT"};
    // Things that do not exist.
    case 1049:  // ER_BAD_DB_ERROR
      return {ErrorCode::not_found, false,
              "check the database name in the URL path (or CREATE DATABASE it)"};
    case 1146:  // ER_NO_SUCH_TABLE
    case 1051:  // ER_BAD_TABLE_ERROR
    case 1109:  // ER_UNKNOWN_TABLE
    case 1054:  // ER_BAD_FIELD_ERROR
    case 1091:  // ER_CANT_DROP_FIELD_OR_KEY
    case 1305:  // ER_SP_DOES_NOT_EXIST
      return {ErrorCode::not_found, false, kNotFoundHint, Hint::list_or_describe};
    // Malformed statements.
    case 1064:  // ER_PARSE_ERROR
    case 1149:  // ER_SYNTAX_ERROR
      return {ErrorCode::invalid_argument, false,
              "check the SQL syntax (MySQL dialect, ? placeholders)"};
    case 1210:  // ER_WRONG_ARGUMENTS
    case 2031:  // CR_PARAMS_NOT_BOUND
      return {ErrorCode::invalid_argument, false, "check the number of parameters"};
    case 1295:  // ER_UNSUPPORTED_PS
      return {ErrorCode::unsupported, false,
              "this statement cannot be prepared; run it with exec without parameters"};
    // Constraints and concurrency.
    case 1062:  // ER_DUP_ENTRY
    case 1586:  // ER_DUP_ENTRY_WITH_KEY_NAME
    case 1022:  // ER_DUP_KEY
      return {ErrorCode::conflict, false,
              "a row with the same key exists; write in upsert mode to update it",
              Hint::upsert_mode};
    case 1451:  // ER_ROW_IS_REFERENCED_2
    case 1452:  // ER_NO_REFERENCED_ROW_2
    case 1216:  // ER_NO_REFERENCED_ROW
    case 1217:  // ER_ROW_IS_REFERENCED
      return {ErrorCode::conflict, false, "a foreign key constraint was violated"};
    case 1048:  // ER_BAD_NULL_ERROR
      return {ErrorCode::conflict, false, "the column is NOT NULL; the value must not be NULL"};
    case 3819:  // ER_CHECK_CONSTRAINT_VIOLATED (MySQL)
    case 4025:  // ER_CONSTRAINT_FAILED (MariaDB)
      return {ErrorCode::conflict, false, "a CHECK constraint was violated"};
    case 1050:  // ER_TABLE_EXISTS_ERROR
    case 1007:  // ER_DB_CREATE_EXISTS
      return {ErrorCode::conflict, false,
              "it already exists; write into an existing table in append, replace or upsert "
              "mode",
              Hint::write_mode};
    case 1213:  // ER_LOCK_DEADLOCK
      return {ErrorCode::conflict, true, "a deadlock with another transaction; retry"};
    case 1205:  // ER_LOCK_WAIT_TIMEOUT
      return {ErrorCode::timeout, true,
              "another transaction holds a lock; retry later or raise innodb_lock_wait_timeout"};
    case 1969:  // ER_STATEMENT_TIMEOUT (MariaDB max_statement_time)
    case 3024:  // ER_QUERY_TIMEOUT (MySQL max_execution_time)
      return {ErrorCode::timeout, false,
              "the statement ran past the server's time limit; narrow it or raise the limit"};
    // Values that do not fit.
    case 1264:  // ER_WARN_DATA_OUT_OF_RANGE
    case 1265:  // WARN_DATA_TRUNCATED
    case 1292:  // ER_TRUNCATED_WRONG_VALUE
    case 1366:  // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
    case 1367:  // ER_ILLEGAL_VALUE_FOR_TYPE
    case 1406:  // ER_DATA_TOO_LONG
    case 1411:  // ER_WRONG_VALUE_FOR_TYPE
    case 1690:  // ER_DATA_OUT_OF_RANGE
    case 1918:  // ER_BAD_DATA (MariaDB)
    case 3140:  // ER_INVALID_JSON_TEXT (MySQL)
    case 4038:  // ER_JSON_SYNTAX (MariaDB)
      return {ErrorCode::type_mismatch, false, kTypeHint};
    case 1317:  // ER_QUERY_INTERRUPTED
      return {ErrorCode::cancelled, false, "the statement was interrupted (KILL QUERY)"};
    // The server's disk or tables are full.
    case 1021:  // ER_DISK_FULL
    case 1114:  // ER_RECORD_FILE_FULL
      return {ErrorCode::io, false, "the server is out of disk space or the table is full"};
    case 1030:  // ER_GET_ERRNO (storage engine)
      return {ErrorCode::io, false, "the storage engine failed; check the server's log"};
    case 1148:  // ER_NOT_ALLOWED_COMMAND
    case 3948:  // ER_CLIENT_LOCAL_FILES_DISABLED (MySQL 8)
    case 2068:  // CR_LOAD_DATA_LOCAL_INFILE_REJECTED
    case 4166:  // ER_LOAD_INFILE_CAPABILITY_DISABLED (MariaDB 10.5+)
      return {ErrorCode::unsupported, false,
              "LOAD DATA LOCAL INFILE is disabled (server local_infile=0)"};
    case 1226:  // ER_USER_LIMIT_REACHED
    case 1203:  // ER_TOO_MANY_USER_CONNECTIONS
      return {ErrorCode::throttled, true, "the user's resource limit was reached; retry later"};
    case 1153:  // ER_NET_PACKET_TOO_LARGE
    case 2020:  // CR_NET_PACKET_TOO_LARGE
      return {ErrorCode::invalid_argument, false,
              "a value or statement exceeds the server's max_allowed_packet"};
    case 1178:  // ER_CHECK_NOT_IMPLEMENTED
    case 1235:  // ER_NOT_SUPPORTED_YET
      return {ErrorCode::unsupported, false, "the server does not support this"};
    default:
      break;
  }
  if (errnum >= 2000 && errnum < 3000)
    return {ErrorCode::connection, false, "the client library failed; check the connection"};
  return {ErrorCode::invalid_argument, false, "check the statement"};
}

Error make_error(unsigned errnum, std::string_view sqlstate, std::string_view native,
                 std::string_view what) {
  const Classified c = classify(errnum);
  std::string message = c.hint.empty() ? fmt::format("{}: {}", what, native)
                                       : fmt::format("{}: {} ({})", what, native, c.hint);
  std::string detail =
      sqlstate.empty() || sqlstate == "00000"
          ? fmt::format("MySQL error {}: {}", errnum, native)
          : fmt::format("MySQL error {} (SQLSTATE {}): {}", errnum, sqlstate, native);
  Error e(c.code, std::move(message), "mysql", std::move(detail));
  e.set_retryable(c.retryable);
  e.set_hint(c.remedy);
  if (errnum != 0) e.set_native_code(std::to_string(errnum));
  return e;
}

WarningLocation parse_warning_location(std::string_view m) {
  WarningLocation out;
  // MariaDB: "for column `db`.`t`.`c` at row 3"; MySQL: "for column 'c' at row 3";
  // both: "Column 'c' cannot be null". The value quoted before may hold anything.
  size_t p = m.rfind("for column ");
  if (p != std::string_view::npos)
    p += 11;
  else if (m.starts_with("Column "))
    p = 7;
  if (p != std::string_view::npos) {
    std::string_view rest = m.substr(p);
    // Take the last quoted segment of the (possibly qualified) name.
    size_t i = 0;
    while (i < rest.size() && (rest[i] == '`' || rest[i] == '\'')) {
      const char q = rest[i];
      std::string name;
      size_t j = i + 1;
      for (; j < rest.size(); ++j) {
        if (rest[j] == q) {
          if (j + 1 < rest.size() && rest[j + 1] == q) {  // doubled quote inside the name
            name += q;
            ++j;
            continue;
          }
          break;
        }
        name += rest[j];
      }
      if (j >= rest.size()) break;
      out.column = std::move(name);
      i = j + 1;
      if (i < rest.size() && rest[i] == '.')
        ++i;
      else
        break;
    }
  }
  if (auto p = m.rfind(" row "); p != std::string_view::npos) {
    std::string_view digits = m.substr(p + 5);
    uint64_t row = 0;
    auto r = std::from_chars(digits.data(), digits.data() + digits.size(), row);
    if (r.ec == std::errc{}) out.row = row;
  } else if (auto q = m.find("Row "); q != std::string_view::npos) {
    std::string_view digits = m.substr(q + 4);
    uint64_t row = 0;
    auto r = std::from_chars(digits.data(), digits.data() + digits.size(), row);
    if (r.ec == std::errc{}) out.row = row;
  }
  return out;
}

bool is_local_infile_refused(unsigned errnum) noexcept {
  return errnum == 1148 || errnum == 3948 || errnum == 2068 || errnum == 4166;
}

}  // namespace polydb::mysql
