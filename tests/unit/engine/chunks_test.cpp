// Chunk planning (src/engine/chunks.cpp) over a real SQLite database: the
// chunks of a plan read every row of the table exactly once, whatever the
// key distribution (extremes of int64, gaps, NULLs in the chunk column).

#include "engine/chunks.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb::engine {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

TEST(ChunkBoundsText, RoundTrips) {
  const ChunkBounds cases[] = {
      ChunkBounds{"id", 5, 10, 0, 0}, ChunkBounds{"id", std::nullopt, kMin, 0, 0},
      ChunkBounds{"id", kMax, std::nullopt, 0, 0}, ChunkBounds{"we\"ird", std::nullopt, std::nullopt, 0, 0},
      ChunkBounds{{}, {}, {}, 3, 16}, ChunkBounds{},
      ChunkBounds{"name", Value("a\"b"), Value("\xc3\xa9t\xc3\xa9"), 0, 0},
      ChunkBounds{"name", std::nullopt, Value(""), 0, 0}};
  for (const auto& b : cases) EXPECT_EQ(decode_bounds(encode(b)), b) << encode(b);
}

TEST(ChunkPositionText, RoundTripsAndEmptyIsTheStart) {
  EXPECT_EQ(decode_position(""), ChunkPosition{});
  const ChunkPosition cases[] = {
      ChunkPosition{}, ChunkPosition{true, std::nullopt, "", 1},
      ChunkPosition{true, kMin, "", std::numeric_limits<uint64_t>::max()},
      ChunkPosition{false, kMax, "", 0x0123456789abcdefULL},
      ChunkPosition{false, std::nullopt, R"({"rows":3,"at":{"key":{"id":{"N":"7"}}}})", 42},
      ChunkPosition{true, Value("w0042"), "", 7}, ChunkPosition{false, Value("12"), "", 8}};
  for (const auto& p : cases) EXPECT_EQ(decode_position(encode(p)), p) << encode(p);
}

TEST(ChunkPositionText, ForeignTextIsCorruption) {
  for (const char* text : {"{", "[]", "{\"after\":1}", "{\"hash\":\"12\"}",
                           "{\"after\":\"a\",\"hash\":\"0000000000000000\"}",
                           "{\"hash\":\"zz00000000000000\"}",
                           "{\"after\":{\"type\":\"float64\",\"text\":\"1.5\"},\"hash\":\"0000000000000000\"}",
                           "{\"after\":{\"type\":\"int64\",\"text\":\"x\"},\"hash\":\"0000000000000000\"}"}) {
    try {
      (void)decode_position(text);
      ADD_FAILURE() << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::corruption) << text;
    }
  }
}

TEST(ChunkBoundsText, ForeignTextIsCorruption) {
  for (const char* text : {"", "{", "[]", "{\"segment\":3,\"of\":2}", "{\"x\":1}",
                           "{\"column\":\"id\",\"from\":\"a\",\"to\":null}"}) {
    try {
      (void)decode_bounds(text);
      ADD_FAILURE() << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::corruption) << text;
    }
  }
}

class ChunkPlanTest : public ::testing::Test {
 protected:
  void SetUp() override { conn_ = connect("sqlite::memory:"); }

  void fill(const std::string& table, const std::vector<std::optional<int64_t>>& keys,
            bool key_is_pk) {
    conn_->execute("DROP TABLE IF EXISTS " + table);
    conn_->execute("CREATE TABLE " + table + " (rid INTEGER" +
                   (key_is_pk ? "" : " PRIMARY KEY") + ", k INTEGER" +
                   (key_is_pk ? " PRIMARY KEY" : "") + ")");
    int64_t rid = 0;
    for (const auto& k : keys)
      conn_->execute("INSERT INTO " + table + " VALUES (?, ?)",
                     std::vector<Value>{++rid, k ? Value(*k) : Value()});
  }

  // Every row id the chunks read, in reading order of the chunks.
  std::vector<int64_t> read_all(const std::string& table, const ChunkPlan& plan) {
    std::vector<int64_t> ids;
    ScanSpec base;
    base.table = table;
    base.columns = {"rid"};
    base.batch_rows = 7;
    for (const auto& b : plan.chunks) {
      auto reader = conn_->scan(chunk_scan(base, decode_bounds(encode(b))));
      while (auto batch = reader->next())
        for (size_t i = 0; i < batch->num_rows(); ++i)
          ids.push_back(batch->column(0).value_at(i).as<int64_t>());
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  void expect_exactly_once(const std::string& table, size_t rows, const ChunkPlan& plan) {
    const auto ids = read_all(table, plan);
    ASSERT_EQ(ids.size(), rows) << plan.how;
    for (size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(ids[i], static_cast<int64_t>(i + 1)) << plan.how;
  }

  std::unique_ptr<Connection> conn_;
};

TEST_F(ChunkPlanTest, RangesOfTheIntegerKeyReadEveryRowOnceWhateverTheKeys) {
  std::mt19937_64 rng(15);
  for (int round = 0; round < 40; ++round) {
    std::set<int64_t> keys;
    const int shape = round % 4;
    // Shapes 2 and 3 draw from 10 distinct keys only.
    const int n = 1 + static_cast<int>(rng() % (shape >= 2 ? 10 : 300));
    while (static_cast<int>(keys.size()) < n) {
      int64_t k = static_cast<int64_t>(rng());
      if (shape == 1) k = static_cast<int64_t>(rng() % 1000);             // dense
      if (shape == 2) k = (rng() % 2) ? kMin + static_cast<int64_t>(rng() % 5)
                                      : kMax - static_cast<int64_t>(rng() % 5);  // extremes
      if (shape == 3) k = static_cast<int64_t>(rng() % 10) * 1'000'000'007;  // gaps
      keys.insert(k);
    }
    std::vector<std::optional<int64_t>> v(keys.begin(), keys.end());
    std::shuffle(v.begin(), v.end(), rng);
    fill("t", v, true);
    const Schema schema = conn_->describe("t");
    ScanSpec base;
    base.table = "t";
    const uint64_t chunk_rows = 1 + rng() % 40;
    const ChunkPlan plan = plan_chunks(*conn_, base, schema, "", chunk_rows);
    ASSERT_FALSE(plan.chunks.empty());
    EXPECT_TRUE(plan.chunks.front().is_range()) << plan.how;
    EXPECT_LE(plan.chunks.size(), v.size());
    expect_exactly_once("t", v.size(), plan);
  }
}

TEST_F(ChunkPlanTest, NullsOfTheChunkColumnLandInTheFirstChunk) {
  std::vector<std::optional<int64_t>> v;
  for (int i = 0; i < 100; ++i) v.push_back(i % 9 == 0 ? std::nullopt : std::optional<int64_t>(i * 13));
  fill("n", v, false);
  ScanSpec base;
  base.table = "n";
  const ChunkPlan plan = plan_chunks(*conn_, base, conn_->describe("n"), "k", 10);
  EXPECT_GT(plan.chunks.size(), 5u) << plan.how;
  expect_exactly_once("n", v.size(), plan);
}

TEST_F(ChunkPlanTest, NullScanThenKeyScanResumedAfterAnyKeyReadsEachRowOnce) {
  // Keys with gaps, the int64 extremes and NULLs (which the first range holds).
  std::vector<std::optional<int64_t>> keys;
  for (int64_t i = 0; i < 60; ++i) keys.push_back(i % 5 == 0 ? std::nullopt
                                                            : std::optional<int64_t>(i * 97 - 2000));
  keys.push_back(kMin);
  keys.push_back(kMax);
  fill("n", keys, false);
  const Schema schema = conn_->describe("n");
  ScanSpec base;
  base.table = "n";
  base.columns = {"rid", "k"};
  base.batch_rows = 4;
  const ChunkPlan plan = plan_chunks(*conn_, base, schema, "k", 20);
  ASSERT_GT(plan.chunks.size(), 1u) << plan.how;
  auto read = [&](const ScanSpec& spec, std::vector<std::optional<int64_t>>& out) {
    auto reader = conn_->scan(spec);
    while (auto batch = reader->next())
      for (size_t i = 0; i < batch->num_rows(); ++i)
        out.push_back(batch->column(1).is_null(i)
                          ? std::nullopt
                          : std::optional<int64_t>(batch->column(1).int64_at(i)));
  };
  std::vector<std::optional<int64_t>> all;
  for (const auto& b : plan.chunks) {
    std::vector<std::optional<int64_t>> nulls, ordered;
    if (!b.from) read(chunk_null_scan(base, b), nulls);
    for (const auto& k : nulls) EXPECT_FALSE(k.has_value());
    read(chunk_key_scan(base, b, std::nullopt), ordered);
    ASSERT_TRUE(std::is_sorted(ordered.begin(), ordered.end())) << encode(b);
    // Resumed after each key of the chunk: exactly the keys after it.
    for (size_t i = 0; i < ordered.size(); ++i) {
      std::vector<std::optional<int64_t>> rest;
      read(chunk_key_scan(base, b, *ordered[i]), rest);
      EXPECT_EQ(rest, std::vector<std::optional<int64_t>>(ordered.begin() + i + 1, ordered.end()))
          << encode(b) << " after " << *ordered[i];
    }
    all.insert(all.end(), nulls.begin(), nulls.end());
    all.insert(all.end(), ordered.begin(), ordered.end());
  }
  std::sort(all.begin(), all.end());
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(all, keys);
}

TEST_F(ChunkPlanTest, AFilterNarrowsTheRangeAndStillReadsEachMatchOnce) {
  std::vector<std::optional<int64_t>> v;
  for (int i = 0; i < 500; ++i) v.push_back(i);
  fill("f", v, true);
  ScanSpec base;
  base.table = "f";
  base.filter = Filter::compare("k", CompareOp::ge, Value(int64_t{400}));
  // The table holds 500 rows: chunks of 100 make 5 ranges over the 100 keys kept.
  const ChunkPlan plan = plan_chunks(*conn_, base, conn_->describe("f"), "", 100);
  ASSERT_TRUE(plan.chunks.front().is_range());
  // 100 matching keys, 400..499, in 5 ranges of 20 keys.
  ASSERT_EQ(plan.chunks.size(), 5u) << plan.how;
  EXPECT_FALSE(plan.chunks[0].from.has_value());
  EXPECT_EQ(plan.chunks[1].from, 420);
  EXPECT_EQ(plan.chunks[4].from, 480);
  EXPECT_FALSE(plan.chunks[4].to.has_value());
  ScanSpec scan;
  scan.table = "f";
  scan.filter = base.filter;
  scan.columns = {"k"};
  std::vector<int64_t> got;
  for (const auto& b : plan.chunks) {
    auto r = conn_->scan(chunk_scan(scan, b));
    while (auto batch = r->next())
      for (size_t i = 0; i < batch->num_rows(); ++i) got.push_back(batch->column(0).value_at(i).as<int64_t>());
  }
  std::sort(got.begin(), got.end());
  ASSERT_EQ(got.size(), 100u);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], 400 + static_cast<int64_t>(i));
}

TEST_F(ChunkPlanTest, WithoutAKeyTheScanSegmentsReadEveryRowOnce) {
  conn_->execute("CREATE TABLE s (rid INTEGER, name TEXT)");
  for (int i = 1; i <= 250; ++i)
    conn_->execute("INSERT INTO s VALUES (?, ?)", std::vector<Value>{int64_t{i}, "n" + std::to_string(i * 7919 % 1000)});
  ScanSpec base;
  base.table = "s";
  const ChunkPlan plan = plan_chunks(*conn_, base, conn_->describe("s"), "", 30);
  ASSERT_GT(plan.chunks.size(), 1u);
  EXPECT_TRUE(plan.chunks.front().is_segment()) << plan.how;
  expect_exactly_once("s", 250, plan);
}

// Text keys: ranges at boundaries sampled in the source's own order (its
// collation), about chunk_rows rows each whatever the distribution, read
// exactly once, resumable after any key.
TEST_F(ChunkPlanTest, ATextKeyIsCutIntoRangesOfAboutEqualRowsAndReadOnce) {
  std::mt19937_64 rng(23);
  for (int round = 0; round < 12; ++round) {
    const bool nocase = round % 3 == 1;
    conn_->execute("DROP TABLE IF EXISTS w");
    conn_->execute(std::string("CREATE TABLE w (rid INTEGER NOT NULL, k TEXT PRIMARY KEY") +
                   (nocase ? " COLLATE NOCASE" : "") + ")");
    const int n = 1 + static_cast<int>(rng() % 800);
    std::set<std::string> seen;
    std::vector<std::string> keys;
    while (static_cast<int>(keys.size()) < n) {
      // Skewed: most keys share a long prefix; some are short, empty,
      // upper case, or not ASCII.
      std::string k;
      switch (rng() % 5) {
        case 0: k = "zzzzzzzz" + std::to_string(rng() % 100000); break;
        case 1: k = std::string(1 + rng() % 3, static_cast<char>('A' + rng() % 26)); break;
        case 2: k = "\xc3\xa9" + std::to_string(rng() % 1000); break;
        case 3: k = round % 2 ? "" : "m"; break;
        default: k = "zzzzzzzz" + std::to_string(rng() % 1000); break;
      }
      std::string folded = k;
      if (nocase) std::transform(folded.begin(), folded.end(), folded.begin(), ::tolower);
      if (seen.insert(folded).second) keys.push_back(k);
    }
    for (size_t i = 0; i < keys.size(); ++i)
      conn_->execute("INSERT INTO w VALUES (?, ?)", std::vector<Value>{int64_t(i + 1), keys[i]});
    ScanSpec base;
    base.table = "w";
    const uint64_t chunk_rows = 1 + rng() % 60;
    const ChunkPlan plan = plan_chunks(*conn_, base, conn_->describe("w"), "", chunk_rows);
    ASSERT_FALSE(plan.chunks.empty());
    ASSERT_TRUE(plan.chunks.front().is_range()) << plan.how;
    expect_exactly_once("w", keys.size(), plan);
    ScanSpec rows = base;
    rows.columns = {"rid", "k"};
    rows.batch_rows = 5;
    for (const auto& b : plan.chunks) {
      // Each range holds at most twice the rows asked for.
      std::vector<Value> in;
      auto reader = conn_->scan(chunk_key_scan(rows, b, std::nullopt));
      while (auto batch = reader->next())
        for (size_t i = 0; i < batch->num_rows(); ++i) in.push_back(batch->column(1).value_at(i));
      reader.reset();
      EXPECT_LE(in.size(), 2 * chunk_rows) << plan.how << " " << encode(b);
      // Resumed after any of its keys: exactly the keys after it.
      for (size_t i = 0; i < in.size(); i += 1 + in.size() / 7) {
        std::vector<Value> rest;
        auto r = conn_->scan(chunk_key_scan(rows, b, in[i]));
        while (auto batch = r->next())
          for (size_t j = 0; j < batch->num_rows(); ++j) rest.push_back(batch->column(1).value_at(j));
        EXPECT_EQ(rest, std::vector<Value>(in.begin() + static_cast<ptrdiff_t>(i) + 1, in.end()))
            << encode(b) << " after " << in[i].to_text();
      }
    }
  }
}

TEST_F(ChunkPlanTest, AnEmptyTableIsOneChunk) {
  fill("e", {}, true);
  ScanSpec base;
  base.table = "e";
  const ChunkPlan plan = plan_chunks(*conn_, base, conn_->describe("e"), "", 10);
  ASSERT_EQ(plan.chunks.size(), 1u);
  EXPECT_TRUE(read_all("e", plan).empty());
}

TEST_F(ChunkPlanTest, ChunkingByAColumnOfAnotherTypeIsRefused) {
  conn_->execute("CREATE TABLE x (id INTEGER PRIMARY KEY, price REAL)");
  ScanSpec base;
  base.table = "x";
  try {
    (void)plan_chunks(*conn_, base, conn_->describe("x"), "price", 10);
    ADD_FAILURE() << "a float column must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(e.message().find("integer or text"), std::string::npos) << e.message();
  }
}

}  // namespace
}  // namespace polydb::engine
