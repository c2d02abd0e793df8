#pragma once

// The content hash of a chunk (private to src/engine): an order-independent
// hash of rows as read from the source, so that a chunk's hash does not
// depend on the order its rows arrive in, on batch boundaries, or on the
// attempts and intermediate commits that wrote it. Defined in docs/state.md
// ("Chunk content hash"), where it can be checked against other tools.

#include <cstdint>
#include <string>
#include <string_view>

#include "net/crypto.hpp"
#include "polydb/batch.hpp"

namespace polydb::engine {

/// Sum, modulo 2^64, of each row's 64-bit hash: the first 8 bytes (big
/// endian) of the SHA-256 of the row's canonical encoding (row_encoding()).
/// Single-threaded.
class ContentHash {
 public:
  ContentHash() = default;
  /// Continues from a value an earlier ContentHash reached (value()).
  explicit ContentHash(uint64_t value) : sum_(value) {}

  /// Adds every row of `batch`.
  void add(const Batch& batch);
  uint64_t value() const noexcept { return sum_; }
  /// value() as 16 lowercase hexadecimal digits, as complete_chunk records it.
  std::string hex() const;

 private:
  uint64_t sum_ = 0;
  net::Sha256 sha_;
  std::string row_;  // reused encoding buffer
};

/// Appends the canonical encoding of row `row` of `batch` to `out`: for each
/// column in order, a type tag byte and the value's bytes (docs/state.md).
void append_row_encoding(const Batch& batch, size_t row, std::string& out);

}  // namespace polydb::engine
