#pragma once

// ODBC diagnostics -> polydb::Error.
//
// The classification is pure logic over SQLSTATEs and native error numbers
// (unit-tested without a driver); collect_diagnostics() reads every record a
// handle holds with SQLGetDiagRecW.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "polydb/error.hpp"

namespace polydb::odbc {

/// One diagnostic record: SQLSTATE, the driver's or server's native error
/// number, and its message.
struct DiagRecord {
  std::string sqlstate;
  int32_t native = 0;
  std::string message;
};

/// How polydb treats one record.
struct Classified {
  ErrorCode code;
  bool retryable;
  std::string_view hint;  ///< what the user can do; may be empty
  Hint remedy = Hint::none;  ///< the hint's key, for front ends (Error::hint)
};

/// The classification of a record: by SQL Server / Azure SQL native number
/// first (those are exact), then by SQLSTATE (class and subclass), then by
/// well-known message words for drivers that report every connection failure
/// as 08001 (psqlODBC: "password authentication failed").
Classified classify(const DiagRecord& record) noexcept;

/// True for the native errors Azure SQL Database documents as transient
/// (40613 database unavailable, 40197, 40501 busy, 49918-49920, 4060, 4221,
/// 10928/10929 resource limits, 10053/10054/10060 transport, 40143, 40540,
/// 233, 64): a new connection attempt after a pause may succeed.
bool is_transient_native(int32_t native) noexcept;

/// The record that explains a failure: the first that is not a warning (01xxx).
const DiagRecord* primary_record(std::span<const DiagRecord> records) noexcept;

/// The Error for `records`: message "`what`: `driver message` (`hint`)",
/// backend "odbc", detail listing every record as "[SQLSTATE] (native N) text".
/// Texts go through redaction (a driver may echo a connection string).
Error make_error(std::span<const DiagRecord> records, std::string_view what);

/// Every diagnostic record of `handle` (of ODBC handle type `type`).
/// Implemented over SQLGetDiagRecW; never throws for a missing record.
std::vector<DiagRecord> collect_diagnostics(short type, void* handle);

}  // namespace polydb::odbc
