// Split points of key-range segments (connectors/common/key_boundaries).

#include "connectors/common/key_boundaries.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace polydb {
namespace {

std::string key(int i) { return fmt::format("k{:06}", i); }

std::vector<std::string> boundaries(int keys, uint32_t pieces, std::optional<uint64_t> expected) {
  KeyBoundaries picker(pieces, expected);
  for (int i = 0; i < keys; ++i) picker.add(key(i));
  return picker.finish();
}

// How many of `keys` keys each piece holds.
std::vector<int> piece_sizes(const std::vector<std::string>& bounds, int keys) {
  std::vector<int> sizes(bounds.size() + 1, 0);
  for (int i = 0; i < keys; ++i)
    ++sizes[std::upper_bound(bounds.begin(), bounds.end(), key(i)) - bounds.begin()];
  return sizes;
}

TEST(KeyBoundaries, AnExactCountCutsEqualPieces) {
  EXPECT_EQ(boundaries(300, 3, 300), (std::vector<std::string>{key(100), key(200)}));
  EXPECT_TRUE(boundaries(300, 1, 300).empty());
}

TEST(KeyBoundaries, WithoutACountPiecesStayBalancedAndBounded) {
  for (uint32_t pieces : {2u, 3u, 7u, 16u}) {
    for (int keys : {50, 1'000, 33'333}) {
      SCOPED_TRACE(fmt::format("{} keys in {} pieces", keys, pieces));
      const auto bounds = boundaries(keys, pieces, std::nullopt);
      ASSERT_EQ(bounds.size(), pieces - 1);
      EXPECT_TRUE(std::is_sorted(bounds.begin(), bounds.end()));
      const auto sizes = piece_sizes(bounds, keys);
      const double ideal = static_cast<double>(keys) / pieces;
      for (int s : sizes) EXPECT_NEAR(s, ideal, ideal * 0.25 + 1) << fmt::format("{}", fmt::join(sizes, ","));
    }
  }
  // An estimate far below the truth only costs the doubling.
  const auto bounds = boundaries(10'000, 4, 100);
  ASSERT_EQ(bounds.size(), 3u);
  for (int s : piece_sizes(bounds, 10'000)) EXPECT_NEAR(s, 2'500, 600);
}

TEST(KeyBoundaries, RepeatedKeysAndFewKeys) {
  KeyBoundaries picker(3, std::nullopt);
  for (const char* k : {"a", "a", "a", "a", "b", "b", "c", "c", "c"}) picker.add(k);
  const auto bounds = picker.finish();
  EXPECT_TRUE(std::adjacent_find(bounds.begin(), bounds.end(), std::greater_equal<>()) ==
              bounds.end())
      << "strictly increasing";
  // Two keys for five pieces: at most one boundary; the other pieces are empty.
  const auto few = boundaries(2, 5, std::nullopt);
  EXPECT_LE(few.size(), 1u);
  EXPECT_TRUE(boundaries(0, 5, std::nullopt).empty());
}

TEST(KeyBoundaries, PieceSpansAreOpenAtBothEnds) {
  const std::vector<std::string> bounds{"m", "t"};
  const auto first = piece_span(bounds, 0), middle = piece_span(bounds, 1),
             last = piece_span(bounds, 2);
  ASSERT_TRUE(first && middle && last);
  EXPECT_FALSE(first->from);
  EXPECT_EQ(first->to, "m");
  EXPECT_EQ(middle->from, "m");
  EXPECT_EQ(middle->to, "t");
  EXPECT_EQ(last->from, "t");
  EXPECT_FALSE(last->to);
  EXPECT_FALSE(piece_span(bounds, 3)) << "no such piece: the segment reads nothing";
  const auto whole = piece_span({}, 0);
  ASSERT_TRUE(whole);
  EXPECT_FALSE(whole->from || whole->to);
}

TEST(KeyBoundaries, AResumePointKeepsItsSegmentsSpan) {
  using Json = nlohmann::ordered_json;
  const KeySpan span{std::nullopt, std::string("m")};
  EXPECT_EQ(span.to_json().dump(), R"([null,"m"])");
  const auto back = KeySpan::from_json(span.to_json());
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->from);
  EXPECT_EQ(back->to, "m");
  EXPECT_FALSE(KeySpan::from_json(Json::array({1, 2})));
  EXPECT_FALSE(KeySpan::from_json(Json("m")));

  const Json segment = Json::array({1, 3});
  const Json at = {{"segment", segment}, {"names", span.to_json()}};
  ASSERT_TRUE(recorded_span(at, segment, "names"));
  EXPECT_EQ(recorded_span(at, segment, "names")->to, "m");
  EXPECT_FALSE(recorded_span(at, Json::array({2, 3}), "names")) << "another segment's";
  EXPECT_FALSE(recorded_span(at, segment, "ids"));
  EXPECT_FALSE(recorded_span(Json(), segment, "names"));
  EXPECT_FALSE(recorded_span(at, Json(), "names")) << "a whole scan has no span";
}

}  // namespace
}  // namespace polydb
