#pragma once

// C callbacks and exceptions (private header of polydb_core).
//
// polydb hands function pointers to C libraries: SQLite (the virtual-table
// module of the federated query engine, its sum() function), libcurl (header,
// body, read and progress callbacks), libmariadb (the local-infile handler)
// and libpq (the notice receiver). An exception that unwinds through a C
// frame is undefined behaviour, and through a noexcept function it is
// std::terminate. So every such callback is noexcept and has the same shape:
//
//   int on_something(...) noexcept {
//     try {
//       callback_fault_point(CCallback::...);   // test seam, see below
//       ... the work ...
//       return OK;
//     } catch (...) {
//       owner.error = std::current_exception();  // noexcept
//       return THE_LIBRARY_S_ERROR_CODE;
//     }
//   }
//
// and the C++ code that called into the library rethrows the kept exception
// with rethrow_as_error() once the library has returned.

#include <atomic>
#include <cstddef>
#include <exception>

#include "polydb/error.hpp"

namespace polydb {

/// The polydb::Error that an exception caught in a C callback stands for:
/// a polydb::Error as it is; std::bad_alloc as Error(internal, "out of
/// memory ..."); any other std::exception as Error(internal) with its what()
/// text; anything else as Error(internal, "unknown exception ..."). `e` must
/// not be null. May throw std::bad_alloc itself.
Error error_from_exception(std::exception_ptr e);

/// Throws error_from_exception(e). `e` must not be null.
[[noreturn]] void rethrow_as_error(std::exception_ptr e);

/// Every kind of C callback polydb installs, for fault injection.
enum class CCallback {
  curl_header,             ///< CURLOPT_HEADERFUNCTION (net/http.cpp)
  curl_write,              ///< CURLOPT_WRITEFUNCTION
  curl_read,               ///< CURLOPT_READFUNCTION
  curl_progress,           ///< CURLOPT_XFERINFOFUNCTION
  mysql_infile_init,       ///< local-infile handler: init (connectors/mysql)
  mysql_infile_read,       ///< local-infile handler: read
  pg_notice,               ///< PQsetNoticeReceiver (connectors/postgres)
  sqlite_vtab_connect,     ///< xCreate/xConnect of polydb_remote (query/remote_table.cpp)
  sqlite_vtab_best_index,  ///< xBestIndex
  sqlite_vtab_open,        ///< xOpen
  sqlite_vtab_filter,      ///< xFilter
  sqlite_vtab_next,        ///< xNext
  sqlite_vtab_column,      ///< xColumn
  sqlite_vtab_rowid,       ///< xRowid
  sqlite_function,         ///< sum() step/inverse/value/final (query/exact_sum.cpp)
  sqlite_collation,        ///< a case-insensitive column's collation (query/remote_table.cpp)
};
inline constexpr std::size_t kCCallbackKinds = static_cast<std::size_t>(CCallback::sqlite_collation) + 1;

namespace detail {
/// How many faults are armed, on any thread: 0 outside fault-injection tests,
/// so that a callback pays one relaxed load and no thread-local lookup.
extern std::atomic<int> armed_callback_faults;
void fire_callback_fault(CCallback kind);
}  // namespace detail

/// Called first inside each callback's try block: throws the fault armed
/// for `kind` on this thread (see fault_injection::fail_next_callback), else nothing.
inline void callback_fault_point(CCallback kind) {
  if (detail::armed_callback_faults.load(std::memory_order_relaxed) != 0)
    detail::fire_callback_fault(kind);
}

namespace fault_injection {

/// TEST-ONLY SEAM. Arms a fault on the calling thread: after `skip` more
/// calls of callbacks of `kind` pass, the next one throws `fault` (once) as
/// if its own work had failed. Compiled in every build so that tests run
/// against the code that ships; production code never arms it. Replaces a
/// fault already armed for `kind` on this thread.
void fail_next_callback(CCallback kind, std::exception_ptr fault, std::size_t skip = 0);

/// Disarms every fault of the calling thread; returns how many were still
/// armed (a test that expected its fault to fire checks 0).
std::size_t clear_callback_faults() noexcept;

}  // namespace fault_injection

}  // namespace polydb
