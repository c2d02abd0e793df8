#include "connectors/sqlite/errors.hpp"

#include <fmt/format.h>

namespace polydb::sqlite {

namespace {

struct Classified {
  ErrorCode code;
  std::string_view hint;
  Hint remedy = Hint::none;  ///< the hint's key, for front ends
};

Classified classify(int rc, std::string_view msg) {
  switch (rc & 0xff) {
    case SQLITE_CANTOPEN:
      return {ErrorCode::not_found,
              "check the path; to create a new database file, write to it (copy creates it)"};
    case SQLITE_AUTH:
    case SQLITE_PERM: return {ErrorCode::auth, "check the file's permissions"};
    case SQLITE_READONLY:
      return {ErrorCode::io, "the database is read-only (check the file's permissions or mode=ro)"};
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return {ErrorCode::timeout, "another process holds a lock on the database; retry later"};
    case SQLITE_CONSTRAINT:
      return {ErrorCode::conflict, "a constraint (primary key, unique, not null) was violated"};
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG: return {ErrorCode::type_mismatch, "a value does not fit the column"};
    case SQLITE_FULL: return {ErrorCode::io, "the disk is full; free space and retry"};
    case SQLITE_IOERR: return {ErrorCode::io, "check the disk and the file system"};
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return {ErrorCode::corruption, "the file is not a SQLite database or is damaged"};
    case SQLITE_INTERRUPT: return {ErrorCode::cancelled, "the operation was interrupted"};
    case SQLITE_NOMEM: return {ErrorCode::internal, "out of memory"};
    case SQLITE_RANGE: return {ErrorCode::invalid_argument, "check the number of parameters"};
    default: break;
  }
  if (msg.starts_with("no such table") || msg.starts_with("no such column") ||
      msg.find("has no column named") != std::string_view::npos)
    return {ErrorCode::not_found,
            "the connection's table list and the table's description show what exists",
            Hint::list_or_describe};
  if (msg.find("already exists") != std::string_view::npos)
    return {ErrorCode::conflict, "write into it in append, replace or upsert mode",
            Hint::write_mode};
  if (msg.find("syntax error") != std::string_view::npos || msg.starts_with("incomplete input") ||
      msg.starts_with("unrecognized token"))
    return {ErrorCode::invalid_argument, "check the SQL"};
  if (msg.find("ON CONFLICT clause does not match") != std::string_view::npos)
    return {ErrorCode::invalid_argument,
            "upsert needs a primary key or unique index on the key columns", Hint::key_columns};
  return {ErrorCode::invalid_argument, "check the statement"};
}

}  // namespace

Error make_error(int rc, sqlite3* db, std::string_view what) {
  std::string native = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const auto [code, hint, remedy] = classify(rc, native);
  // The handle's extended code says more (SQLITE_CONSTRAINT_PRIMARYKEY rather
  // than SQLITE_CONSTRAINT) when it belongs to this failure.
  const int extended = db ? sqlite3_extended_errcode(db) : rc;
  const int native_code = (extended & 0xff) == (rc & 0xff) ? extended : rc;
  return Error(code, fmt::format("{}: {} ({})", what, native, hint), "sqlite",
               fmt::format("SQLite error {} ({}): {}", rc, sqlite3_errstr(rc), native))
      .set_native_code(std::to_string(native_code))
      .set_hint(remedy);
}

}  // namespace polydb::sqlite
