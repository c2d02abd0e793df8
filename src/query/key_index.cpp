#include "query/key_index.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <utility>

#include "polydb/error.hpp"

namespace polydb::query {

namespace {
uint64_t hash_of(std::string_view key) { return std::hash<std::string_view>{}(key); }
}  // namespace

size_t KeyIndex::slot_of(std::string_view key, uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.key == kEmpty) return i;
    if (s.hash == hash && s.key_length == key.size() &&
        std::memcmp(arena_.data() + s.key_offset, key.data(), key.size()) == 0)
      return i;
  }
}

void KeyIndex::grow() {
  std::vector<Slot> old =
      std::exchange(slots_, std::vector<Slot>(std::max<size_t>(16, slots_.size() * 2)));
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.key == kEmpty) continue;
    size_t i = s.hash & mask;
    while (slots_[i].key != kEmpty) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void KeyIndex::add(std::string_view key, uint64_t ref) {
  if (refs_.size() >= UINT32_MAX)  // in-memory copies are far smaller: a bug
    throw Error(ErrorCode::internal, "a local copy's index outgrew 4 billion rows", "query");
  if ((keys_ + 1) * 2 > slots_.size()) grow();
  const uint64_t h = hash_of(key);
  Slot& s = slots_[slot_of(key, h)];
  if (s.key == kEmpty) {
    if (keys_ >= kEmpty - 1 || key.size() > UINT32_MAX)  // in-memory copies are far smaller
      throw Error(ErrorCode::internal, "a local copy's index outgrew 4 billion keys", "query");
    s.hash = h;
    s.key = static_cast<uint32_t>(keys_++);
    s.key_length = static_cast<uint32_t>(key.size());
    s.key_offset = arena_.size();
    arena_.append(key);
  }
  ++s.rows;
  row_slots_.push_back(s.key);
  refs_.push_back(ref);
}

void KeyIndex::finish() {
  // Each key's first row position, in key order (keys numbered as first seen).
  std::vector<uint32_t> begin(keys_ + 1, 0);
  for (const Slot& s : slots_)
    if (s.key != kEmpty) begin[s.key + 1] = s.rows;
  for (size_t k = 1; k < begin.size(); ++k) begin[k] += begin[k - 1];
  for (Slot& s : slots_)
    if (s.key != kEmpty) s.rows_begin = begin[s.key];
  std::vector<uint64_t> grouped(refs_.size());
  for (size_t r = 0; r < refs_.size(); ++r) grouped[begin[row_slots_[r]]++] = refs_[r];
  refs_ = std::move(grouped);
  std::vector<uint32_t>().swap(row_slots_);
}

std::span<const uint64_t> KeyIndex::find(std::string_view key) const {
  if (slots_.empty()) return {};
  const Slot& s = slots_[slot_of(key, hash_of(key))];
  if (s.key == kEmpty || !row_slots_.empty()) return {};
  return {refs_.data() + s.rows_begin, s.rows};
}

}  // namespace polydb::query
