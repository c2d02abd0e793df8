#pragma once

// RAII over ODBC handles: wrap each on the line that allocates it.

#include <sql.h>
#include <sqlext.h>

#include <memory>

namespace polydb::odbc {

template <SQLSMALLINT Type>
struct FreeHandle {
  void operator()(void* h) const noexcept {
    if (h) SQLFreeHandle(Type, h);
  }
};

using EnvHandle = std::unique_ptr<void, FreeHandle<SQL_HANDLE_ENV>>;
/// Frees the connection handle only: disconnect first (OdbcConnection does).
using DbcHandle = std::unique_ptr<void, FreeHandle<SQL_HANDLE_DBC>>;
using StmtHandle = std::unique_ptr<void, FreeHandle<SQL_HANDLE_STMT>>;

inline bool succeeded(SQLRETURN rc) noexcept {
  return rc == SQL_SUCCESS || rc == SQL_SUCCESS_WITH_INFO;
}

}  // namespace polydb::odbc
