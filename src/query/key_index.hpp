#pragma once

// The hash index of an in-memory local copy: encoded key (values.hpp's
// append_key) -> the rows that hold it. Built once, row by row, then only
// probed, so it is laid out flat: one open-addressing table of (hash, key)
// slots, the distinct keys in one byte arena, and every key's rows
// contiguous in one array (CSR). A probe touches the slot, the key's bytes
// and its rows; a node-based map (std::unordered_map<std::string,
// std::vector>) chased three heap pointers per probe and spent a third of a
// million-probe join in its bucket chains.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace polydb::query {

class KeyIndex {
 public:
  /// Adds row `ref` under `key` (before finish()). Rows of one key keep the
  /// order they were added in.
  void add(std::string_view key, uint64_t ref);
  /// Ends the building: lays the rows out by key. add() may not follow.
  void finish();
  /// The rows of `key`, in the order added; empty when none (after finish()).
  std::span<const uint64_t> find(std::string_view key) const;
  KeyIndex() = default;
  KeyIndex(KeyIndex&&) noexcept = default;
  KeyIndex& operator=(KeyIndex&&) noexcept = default;
  /// Distinct keys.
  size_t keys() const noexcept { return keys_; }
  /// Rows indexed.
  size_t rows() const noexcept { return refs_.size(); }

 private:
  // One distinct key: all a probe reads besides the key's bytes and rows.
  struct Slot {  // 32 bytes
    uint64_t hash = 0;
    uint64_t key_offset = 0;  ///< in arena_
    uint32_t key_length = 0;
    uint32_t key = kEmpty;    ///< index of the distinct key; kEmpty when free
    uint32_t rows_begin = 0;  ///< after finish(): its rows are refs_[rows_begin, + rows)
    uint32_t rows = 0;        ///< how many rows hold it
  };
  static constexpr uint32_t kEmpty = UINT32_MAX;

  size_t slot_of(std::string_view key, uint64_t hash) const;
  void grow();

  std::vector<Slot> slots_;          ///< a power of two, at most half full
  std::string arena_;                ///< the distinct keys' bytes, back to back
  size_t keys_ = 0;                  ///< distinct keys so far
  std::vector<uint32_t> row_slots_;  ///< building: each added row's key index
  std::vector<uint64_t> refs_;       ///< building: rows as added; then grouped by key
};

}  // namespace polydb::query
