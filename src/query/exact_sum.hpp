#pragma once

// sum() that adds decimals exactly.
//
// Decimal columns of remote tables reach SQLite as REAL values tagged with a
// subtype (see values.hpp); SQLite's own sum() would add them in floating
// point and lose cents over a million rows. This sum() adds tagged REALs,
// integers and decimal text exactly (128-bit scaled integers) and untagged
// REALs in floating point, like SQLite's.

#include <sqlite3.h>

namespace polydb::query {

class Engine;

/// Replaces sum(X) (aggregate and window function) on `db`. What its
/// callbacks throw is kept by `engine` (Engine::keep_error) and the statement
/// fails; `engine` must outlive `db`'s use of the function.
void register_exact_sum(sqlite3* db, Engine& engine);

}  // namespace polydb::query
