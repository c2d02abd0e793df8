#include "connectors/common/key_boundaries.hpp"

#include <algorithm>
#include <utility>

namespace polydb {

namespace {
// Candidate boundaries kept per piece before every other one is dropped:
// the final ones are picked among them, so a piece is off its share by at
// most about 1/kCandidatesPerPiece of it.
constexpr size_t kCandidatesPerPiece = 8;
}  // namespace

KeyBoundaries::KeyBoundaries(uint32_t pieces, std::optional<uint64_t> expected)
    : pieces_(std::max<uint32_t>(pieces, 1)),
      step_(expected ? std::max<uint64_t>(*expected / pieces_, 1) : 1) {}

void KeyBoundaries::add(std::string_view key) {
  if (pieces_ <= 1) return;
  // The keys at 1 + step, 1 + 2 step, ... (counting from 1) start pieces:
  // each piece before them holds `step` keys.
  if ((++seen_ - 1) % step_ != 0 || seen_ == 1) return;
  if (!bounds_.empty() && bounds_.back() == key) return;
  bounds_.emplace_back(key);
  if (bounds_.size() > kCandidatesPerPiece * pieces_) {
    // Keep the boundaries at even multiples of the old step.
    std::vector<std::string> kept;
    for (size_t k = 1; k < bounds_.size(); k += 2) kept.push_back(std::move(bounds_[k]));
    bounds_ = std::move(kept);
    step_ *= 2;
  }
}

std::vector<std::string> KeyBoundaries::finish() {
  std::vector<std::string> bounds = std::move(bounds_);
  bounds_.clear();
  if (bounds.size() < pieces_) return bounds;
  // More than needed (the last ones may sit close to the end): for each
  // k, the boundary nearest to key k * seen / pieces. Boundary j sits at
  // key (j + 1) * step.
  std::vector<std::string> kept;
  size_t next = 0;  // the first boundary not taken yet
  for (uint64_t k = 1; k < pieces_; ++k) {
    const double at = static_cast<double>(k) * static_cast<double>(seen_) /
                      static_cast<double>(pieces_) / static_cast<double>(step_);
    size_t j = static_cast<size_t>(std::max(at - 0.5, 0.0));  // round(at) - 1
    j = std::clamp(j, next, bounds.size() - 1);
    kept.push_back(std::move(bounds[j]));
    next = j + 1;
    if (next >= bounds.size()) break;
  }
  return kept;
}

nlohmann::ordered_json KeySpan::to_json() const {
  using Json = nlohmann::ordered_json;
  return Json::array({from ? Json(*from) : Json(), to ? Json(*to) : Json()});
}

std::optional<KeySpan> KeySpan::from_json(const nlohmann::ordered_json& j) {
  if (!j.is_array() || j.size() != 2) return std::nullopt;
  KeySpan span;
  for (size_t i = 0; i < 2; ++i) {
    if (j[i].is_null()) continue;
    if (!j[i].is_string()) return std::nullopt;
    (i == 0 ? span.from : span.to) = j[i].get<std::string>();
  }
  return span;
}

std::optional<KeySpan> piece_span(const std::vector<std::string>& bounds, uint32_t piece) {
  if (piece > bounds.size()) return std::nullopt;
  KeySpan span;
  if (piece > 0) span.from = bounds[piece - 1];
  if (piece < bounds.size()) span.to = bounds[piece];
  return span;
}

std::optional<KeySpan> recorded_span(const nlohmann::ordered_json& at,
                                     const nlohmann::ordered_json& segment,
                                     std::string_view field) {
  if (!at.is_object() || segment.is_null() || at.value("segment", nlohmann::ordered_json()) != segment)
    return std::nullopt;
  const auto it = at.find(field);
  return it == at.end() ? std::nullopt : KeySpan::from_json(*it);
}

}  // namespace polydb
