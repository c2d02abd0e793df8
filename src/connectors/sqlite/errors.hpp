#pragma once

// SQLite result codes -> polydb::Error.

#include <sqlite3.h>

#include <string>
#include <string_view>

#include "polydb/error.hpp"

namespace polydb::sqlite {

/// Builds the Error for result code `rc` on `db` (may be null). `what` says
/// what polydb was doing ("cannot open sqlite:///x.db"); the SQLite message
/// goes into the detail and, shortened, into the message with a hint.
Error make_error(int rc, sqlite3* db, std::string_view what);

/// Throws make_error(rc, db, what) unless rc is SQLITE_OK/ROW/DONE.
inline void check(int rc, sqlite3* db, std::string_view what) {
  if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) throw make_error(rc, db, what);
}

}  // namespace polydb::sqlite
