#pragma once

// MySQL / MariaDB error numbers -> polydb::Error.
//
// Pure logic, no libmariadb: server errors (ER_*, 1000-1999 and 3000+) and
// client errors (CR_*, 2000-2999) are classified by number, so the table is
// unit-tested without a server. connection.hpp adds the helpers that read the
// number and text from a MYSQL or MYSQL_STMT handle.

#include <cstdint>
#include <string>
#include <string_view>

// The C callbacks of the connection (local infile) use its rethrow and test seam.
#include "core/c_callback.hpp"
#include "polydb/error.hpp"

namespace polydb::mysql {

/// How polydb treats one error number.
struct Classified {
  ErrorCode code;
  bool retryable;
  std::string_view hint;  ///< what the user can do; may be empty
  Hint remedy = Hint::none;  ///< the hint's key, for front ends (Error::hint)
};

/// The classification of server or client error `errnum`.
Classified classify(unsigned errnum) noexcept;

/// The Error for `errnum`: message "`what`: `native` (`hint`)", backend
/// "mysql", detail "MySQL error N (SQLSTATE S): native". `native` is the
/// server's or client library's text, which never holds the password.
Error make_error(unsigned errnum, std::string_view sqlstate, std::string_view native,
                 std::string_view what);

/// What a data warning points at, parsed from its text ("Incorrect integer
/// value: 'x' for column `db`.`t`.`qty` at row 3"): the column's own name and
/// the 1-based row of the statement. Empty / 0 when the text names none.
struct WarningLocation {
  std::string column;
  uint64_t row = 0;
};
WarningLocation parse_warning_location(std::string_view message);

/// True for the errors that say LOAD DATA LOCAL INFILE is not allowed (by the
/// server's local_infile=0 or the client library), so a writer falls back to
/// INSERT: 1148, 3948, 4166, 2068.
bool is_local_infile_refused(unsigned errnum) noexcept;

}  // namespace polydb::mysql
