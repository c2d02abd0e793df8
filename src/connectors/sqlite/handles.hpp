#pragma once

// RAII over SQLite's C handles: wrap each on the line that creates it.

#include <sqlite3.h>

#include <memory>

namespace polydb::sqlite {

template <auto Fn>
struct Free {
  template <class T>
  void operator()(T* p) const noexcept {
    if (p) Fn(p);
  }
};

using DbHandle = std::unique_ptr<sqlite3, Free<&sqlite3_close_v2>>;
using StmtHandle = std::unique_ptr<sqlite3_stmt, Free<&sqlite3_finalize>>;

}  // namespace polydb::sqlite
