// The ODBC driver alone: what reading a result costs inside the driver, with
// nothing done to the rows afterwards. bench/compare/odbc_read.sh prints it
// beside polydb's ODBC read, so that the part of the time that is the
// driver's own (its per-cell conversions) is measured, not guessed.
//
// Usage: polydb_odbc_floor CONNECTION_STRING QUERY [ROWS_PER_FETCH]
//
// The columns are bound as polydb's ODBC reader binds them for psqlODBC:
// integers as SQL_C_SBIGINT, floats as SQL_C_DOUBLE, dates and timestamps
// as their ODBC structs, bits as SQL_C_BIT, character columns as
// SQL_C_BINARY (the server's UTF-8 bytes), everything else (decimals) as
// SQL_C_CHAR text; row arrays of ROWS_PER_FETCH rows (default 8000),
// column-wise. Prints "rows=N bytes=B" (the bytes the driver delivered).

#include <sql.h>
#include <sqlext.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

[[noreturn]] void fail(SQLSMALLINT type, SQLHANDLE handle, const char* what) {
  SQLCHAR state[6] = {0};
  SQLCHAR message[1024] = {0};
  SQLINTEGER native = 0;
  SQLSMALLINT len = 0;
  SQLGetDiagRec(type, handle, 1, state, &native, message, sizeof message, &len);
  std::fprintf(stderr, "polydb_odbc_floor: %s: [%s] %s\n", what, reinterpret_cast<char*>(state),
               reinterpret_cast<char*>(message));
  std::exit(1);
}

void check(SQLRETURN rc, SQLSMALLINT type, SQLHANDLE handle, const char* what) {
  if (rc != SQL_SUCCESS && rc != SQL_SUCCESS_WITH_INFO) fail(type, handle, what);
}

struct Bound {
  SQLSMALLINT c_type = SQL_C_CHAR;
  SQLLEN width = 0;
  std::vector<char> cells;
  std::vector<SQLLEN> ind;
};

Bound binding_for(SQLSMALLINT sql_type, SQLULEN size, size_t rows) {
  Bound b;
  switch (sql_type) {
    case SQL_TYPE_DATE:
      b.c_type = SQL_C_TYPE_DATE;
      b.width = sizeof(SQL_DATE_STRUCT);
      break;
    case SQL_TYPE_TIMESTAMP:
      b.c_type = SQL_C_TYPE_TIMESTAMP;
      b.width = sizeof(SQL_TIMESTAMP_STRUCT);
      break;
    case SQL_BIT:
      b.c_type = SQL_C_BIT;
      b.width = 1;
      break;
    case SQL_TINYINT:
    case SQL_SMALLINT:
    case SQL_INTEGER:
    case SQL_BIGINT:
      b.c_type = SQL_C_SBIGINT;
      b.width = 8;
      break;
    case SQL_REAL:
    case SQL_FLOAT:
    case SQL_DOUBLE:
      b.c_type = SQL_C_DOUBLE;
      b.width = 8;
      break;
    case SQL_CHAR:
    case SQL_VARCHAR:
    case SQL_LONGVARCHAR:
    case SQL_WCHAR:
    case SQL_WVARCHAR:
    case SQL_WLONGVARCHAR:
      b.c_type = SQL_C_BINARY;
      b.width = size > 0 && size <= 4000 ? static_cast<SQLLEN>(size) * 4 : 2048;
      break;
    default:
      b.c_type = SQL_C_CHAR;
      b.width = 160;
  }
  b.cells.resize(static_cast<size_t>(b.width) * rows);
  b.ind.resize(rows);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: polydb_odbc_floor CONNECTION_STRING QUERY [ROWS_PER_FETCH]\n");
    return 2;
  }
  const size_t rows = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 8000;
  SQLHENV env = nullptr;
  SQLHDBC dbc = nullptr;
  SQLHSTMT st = nullptr;
  SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env);
  SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, reinterpret_cast<SQLPOINTER>(SQL_OV_ODBC3), 0);
  SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc);
  std::string cs = argv[1];
  check(SQLDriverConnect(dbc, nullptr, reinterpret_cast<SQLCHAR*>(cs.data()), SQL_NTS, nullptr, 0,
                         nullptr, SQL_DRIVER_NOPROMPT),
        SQL_HANDLE_DBC, dbc, "cannot connect");
  SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st);
  std::string query = argv[2];
  check(SQLExecDirect(st, reinterpret_cast<SQLCHAR*>(query.data()), SQL_NTS), SQL_HANDLE_STMT, st,
        "query failed");
  SQLSMALLINT n = 0;
  SQLNumResultCols(st, &n);
  std::vector<Bound> columns;
  for (SQLUSMALLINT i = 1; i <= static_cast<SQLUSMALLINT>(n); ++i) {
    SQLCHAR name[256];
    SQLSMALLINT name_len = 0, type = 0, digits = 0, nullable = 0;
    SQLULEN size = 0;
    check(SQLDescribeCol(st, i, name, sizeof name, &name_len, &type, &size, &digits, &nullable),
          SQL_HANDLE_STMT, st, "cannot describe the result");
    columns.push_back(binding_for(type, size, rows));
  }
  SQLULEN fetched = 0;
  SQLSetStmtAttr(st, SQL_ATTR_ROW_BIND_TYPE, reinterpret_cast<SQLPOINTER>(SQL_BIND_BY_COLUMN), 0);
  SQLSetStmtAttr(st, SQL_ATTR_ROW_ARRAY_SIZE, reinterpret_cast<SQLPOINTER>(rows), 0);
  SQLSetStmtAttr(st, SQL_ATTR_ROWS_FETCHED_PTR, &fetched, 0);
  for (size_t i = 0; i < columns.size(); ++i)
    check(SQLBindCol(st, static_cast<SQLUSMALLINT>(i + 1), columns[i].c_type,
                     columns[i].cells.data(), columns[i].width, columns[i].ind.data()),
          SQL_HANDLE_STMT, st, "cannot bind a column");
  unsigned long long total = 0, bytes = 0;
  for (;;) {
    const SQLRETURN rc = SQLFetch(st);
    if (rc == SQL_NO_DATA) break;
    check(rc, SQL_HANDLE_STMT, st, "cannot read the result");
    total += fetched;
    for (const Bound& c : columns)
      for (SQLULEN r = 0; r < fetched; ++r)
        if (c.ind[r] > 0) bytes += static_cast<unsigned long long>(c.ind[r]);
  }
  std::printf("rows=%llu bytes=%llu\n", total, bytes);
  SQLFreeHandle(SQL_HANDLE_STMT, st);
  SQLDisconnect(dbc);
  SQLFreeHandle(SQL_HANDLE_DBC, dbc);
  SQLFreeHandle(SQL_HANDLE_ENV, env);
  return 0;
}
