#pragma once
// Split points for a scan cut into segments by key ranges, picked from the
// keys of a table read once in the backend's order (Firestore document names,
// Cosmos DB ids). Private to the connectors.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace polydb {

/// Picks the boundaries that cut a stream of keys, given in ascending order,
/// into about `pieces` runs of equal length. Candidates are every step-th
/// key, the step taken from `expected` (a count or an estimate of the keys;
/// nullopt: unknown) and doubled, dropping every other candidate, whenever
/// more than 8 per piece pile up; the boundaries are the candidates nearest
/// to equal shares. So memory stays bounded by the number of pieces whatever
/// the number of keys, and a low estimate costs nothing (a high one costs
/// balance). Equal neighbours (a key that is not unique) count once.
/// Single-threaded.
class KeyBoundaries {
 public:
  /// `pieces` >= 1 (1: no boundaries).
  KeyBoundaries(uint32_t pieces, std::optional<uint64_t> expected);

  /// The next key, not below the previous one.
  void add(std::string_view key);

  /// At most pieces - 1 strictly increasing boundaries: piece k holds the
  /// keys in [boundary k-1, boundary k), the first one everything below the
  /// first boundary and the last one everything from the last boundary on.
  /// Fewer when there are fewer keys than pieces. Leaves the object empty.
  std::vector<std::string> finish();

 private:
  uint32_t pieces_;
  uint64_t step_;
  uint64_t seen_ = 0;
  std::vector<std::string> bounds_;
};

/// The keys of one segment: [from, to), nullopt for an unbounded end.
struct KeySpan {
  std::optional<std::string> from;
  std::optional<std::string> to;
  /// [from, to] with null for an unbounded end: how resume points record it.
  nlohmann::ordered_json to_json() const;
  /// The inverse of to_json(); nullopt for anything else.
  static std::optional<KeySpan> from_json(const nlohmann::ordered_json& j);
};

/// The span of piece `piece` of those `bounds` (KeyBoundaries::finish) cut:
/// the first and the last piece are open-ended, so that keys outside the
/// ones seen (added since) are still read exactly once. nullopt when there
/// are fewer pieces.
std::optional<KeySpan> piece_span(const std::vector<std::string>& bounds, uint32_t piece);

/// The span that the store's position `at` of a resume point (see
/// resume_position in document_reader.hpp) recorded as `field` for
/// `segment` ([index, count]); nullopt when it is another segment's or holds
/// none. A resumed segment keeps the span it started with: boundaries read
/// again after the table changed may differ.
std::optional<KeySpan> recorded_span(const nlohmann::ordered_json& at,
                                     const nlohmann::ordered_json& segment,
                                     std::string_view field);

}  // namespace polydb
