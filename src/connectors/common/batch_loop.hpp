#pragma once
// The batch loop of the streaming SQL readers (PostgreSQL, MySQL, SQLite):
// rows pulled one at a time from a backend's row source become batches under
// a row and a byte cap, then go through the residual filter and the limit.
// Private to the connectors.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/log.hpp"
#include "polydb/batch.hpp"
#include "polydb/filter.hpp"

namespace polydb {

/// A backend's rows for BatchLoop: `append_row(batch)` appends the next row
/// to `batch` (committed) and returns true, or returns false at the end of
/// the result; it throws the backend's error. Optional members, used when
/// present:
///  - `size_t row_bytes()`: what the row just appended counts for in the
///    byte cap, for a source that counts bytes itself (default: the batch's
///    byte_size());
///  - `void before_batch()`: runs before each batch is filled (a stop check);
///  - `void limit_reached()`: the limit is reached before the end of the
///    result: release the rest (cancel or drain); called at most once.
template <class S>
concept RowSource = requires(S& source, Batch& batch) {
  { source.append_row(batch) } -> std::same_as<bool>;
};

/// Turns a row source into the batches a BatchReader hands out: each batch
/// takes rows until it holds `batch_rows` rows or its bytes reach
/// `batch_bytes` (checked after every row: with 1 MB values a check every 64
/// rows let one batch grow to 64 MB), goes through the residual filter, then
/// is cut to the limit; a batch the filter empties is not handed out. Buffers
/// are reserved like the previous batch (BatchSizeHint). Logs each batch at
/// trace level on the connector's logger. Single-threaded, like the reader
/// that owns it.
class BatchLoop {
 public:
  /// `logger_name` names the connector's logger ("pg", "mysql", ...); it
  /// must outlive the loop (a string literal).
  explicit BatchLoop(std::string_view logger_name) : logger_name_(logger_name) {}

  /// The next batch, or nullopt once the result or the limit is exhausted.
  /// `setup` is the reader's setup (a SqlReadSetup, sql_read_setup.hpp): its
  /// members `schema` (shared_ptr<const Schema>), `batch_rows`,
  /// `batch_bytes`, `residual` (optional<Filter>) and `limit`
  /// (optional<uint64_t>) are read. Throws what the source throws.
  template <RowSource Source, class Setup>
  std::optional<Batch> next(Source& source, const Setup& setup) {
    while (!ended_) {
      if (setup.limit && emitted_ >= *setup.limit) {
        finish_early(source);
        break;
      }
      if constexpr (requires { source.before_batch(); }) source.before_batch();
      Batch batch(setup.schema);
      sizes_.reserve(batch, setup.batch_rows);
      [[maybe_unused]] size_t bytes = 0;
      while (batch.num_rows() < setup.batch_rows) {
        if (!source.append_row(batch)) {
          ended_ = true;
          break;
        }
        if constexpr (requires { source.row_bytes(); }) {
          bytes += source.row_bytes();
          if (bytes >= setup.batch_bytes) break;
        } else {
          if (batch.byte_size() >= setup.batch_bytes) break;
        }
      }
      sizes_.record(batch);
      if (setup.residual) batch = apply_filter(*setup.residual, batch);
      if (setup.limit) batch.truncate(static_cast<size_t>(*setup.limit - emitted_));
      if (batch.num_rows() == 0) continue;
      emitted_ += batch.num_rows();
      // Free the connection as soon as the last batch is out.
      if (setup.limit && emitted_ >= *setup.limit) finish_early(source);
      logger(logger_name_)->trace("batch of {} rows", batch.num_rows());
      return batch;
    }
    return std::nullopt;
  }

  /// Rows handed out so far.
  uint64_t emitted() const noexcept { return emitted_; }

 private:
  template <class Source>
  void finish_early(Source& source) {
    if (ended_) return;
    ended_ = true;
    if constexpr (requires { source.limit_reached(); }) source.limit_reached();
  }

  std::string_view logger_name_;
  bool ended_ = false;
  uint64_t emitted_ = 0;
  BatchSizeHint sizes_;
};

}  // namespace polydb
