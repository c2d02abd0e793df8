#pragma once

// RAII over SQLite's C handles: wrap each on the line that creates it.

#include <sqlite3.h>

#include <memory>

#include "connectors/common/handles.hpp"

namespace polydb::sqlite {

using DbHandle = std::unique_ptr<sqlite3, Free<&sqlite3_close_v2>>;
using StmtHandle = std::unique_ptr<sqlite3_stmt, Free<&sqlite3_finalize>>;

}  // namespace polydb::sqlite
