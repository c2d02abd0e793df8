#pragma once

// One binary `COPY ... FROM STDIN (FORMAT binary)` in progress: the framing
// (signature, tuples, trailer), buffered output sent about 1 MB at a time,
// and the server's error when it rejects the data. The bulk writer and the
// change writer both load through it.

#include <string>
#include <utility>

#include "connectors/postgres/connection.hpp"
#include "connectors/postgres/types.hpp"
#include "polydb/error.hpp"

namespace polydb::postgres {

/// Borrows its connection, which is busy (PgConnection::set_busy) from
/// start() until finish() or cancel(). Single-threaded.
class CopyIn {
 public:
  /// `what` names the target in error messages ("cannot write into 'x'").
  CopyIn(PgConnection& conn, std::string what) : conn_(conn), what_(std::move(what)) {}
  ~CopyIn() { cancel(); }
  CopyIn(const CopyIn&) = delete;
  CopyIn& operator=(const CopyIn&) = delete;

  /// Runs `copy_sql` (a COPY ... FROM STDIN (FORMAT binary)). Throws the
  /// server's Error when it refuses it.
  void start(const std::string& copy_sql);
  /// Where the caller appends tuples (wire::put16 field count, then
  /// encode_field per field); call row_done() after each.
  std::string& buffer() noexcept { return buf_; }
  /// Sends the buffer once it holds about 1 MB. Throws the server's Error.
  void row_done() {
    if (buf_.size() >= kFlushBytes) flush();
  }
  /// Sends what the buffer holds now (e.g. at the end of a batch, so that
  /// memory stays bounded by one batch). Throws the server's Error.
  void flush();
  /// Sends the trailer and ends the COPY; throws the server's Error (then
  /// the connection is idle again, its transaction failed).
  void finish();
  /// Ends a COPY in progress as failed (the server discards it); never throws.
  void cancel() noexcept;
  bool active() const noexcept { return active_; }

 private:
  // libpq buffers what PQputCopyData is given; hand it ~1 MB at a time.
  static constexpr size_t kFlushBytes = 1u << 20;
  Error server_error();

  PgConnection& conn_;
  std::string what_;
  std::string buf_;
  bool active_ = false;
};

/// Appends row `row` of `col` to a COPY tuple as a field of type `pg`: as it
/// is when `col` has the stored column's type `stored`, else converted to
/// `stored` first (text '42' into a bigint column) through `scratch`, a
/// column of type `stored` that the caller keeps to reuse its memory. Throws
/// Error (type_mismatch) for a value that does not convert.
void encode_converted(const PgType& pg, const Type& stored, const Column& col, size_t row,
                      Column& scratch, std::string& out);

}  // namespace polydb::postgres
