// Chunks cut by a text key on the servers whose collations order text unlike
// bytes: MariaDB's utf8mb4_general_ci (case- and accent-insensitive) and
// PostgreSQL's columns with their own collation. The boundaries come from the
// server's ORDER BY and the ranges are the server's comparisons, so every row
// lands in exactly one chunk and a chunk resumed after any key reads exactly
// the keys after it, whatever order bytes would give.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "engine/chunks.hpp"
#include "integration/mysql/fixture.hpp"
#include "integration/postgres/fixture.hpp"

namespace polydb::engine {
namespace {

// Keys that sort differently by bytes and by a linguistic or
// case-insensitive collation; unique even when case and accents are ignored.
std::vector<std::string> mixed_keys(size_t n) {
  static const char* stems[] = {"apple", "Banana", "cherry", "Äpfel", "zebra", "Zulu",
                                "éclair", "eclairs", "Mango",  "mañana", "_under", "0zero"};
  std::vector<std::string> keys;
  for (size_t i = 0; keys.size() < n; ++i)
    keys.push_back(std::string(stems[i % std::size(stems)]) + " " + std::to_string(i));
  std::shuffle(keys.begin(), keys.end(), std::mt19937(17));
  return keys;
}

std::vector<std::string> read_keys(Connection& conn, const ScanSpec& spec) {
  std::vector<std::string> out;
  auto r = conn.scan(spec);
  while (auto b = r->next())
    for (size_t i = 0; i < b->num_rows(); ++i) out.push_back(b->column(1).value_at(i).to_text());
  return out;
}

// Plans `table` (columns rid, k; k the text primary key) in chunks of
// `chunk_rows` and checks: ranges at sampled text boundaries (or, where
// `ranges` is false, scan segments), every key exactly once, ranges of at most
// twice chunk_rows, and resumption after keys inside a range.
void expect_exact_text_chunks(Connection& conn, const std::string& table, size_t rows,
                              uint64_t chunk_rows, bool ranges) {
  ScanSpec base;
  base.table = table;
  base.columns = {"rid", "k"};
  base.batch_rows = 16;
  const ChunkPlan plan = plan_chunks(conn, base, conn.describe(table), "", chunk_rows);
  ASSERT_GT(plan.chunks.size(), 3u) << plan.how;
  if (!ranges) {
    EXPECT_TRUE(plan.chunks[0].is_segment()) << plan.how;
  } else {
    ASSERT_TRUE(plan.chunks[1].from && plan.chunks[1].from->holds<std::string>()) << plan.how;
  }
  std::map<std::string, int> seen;
  for (const auto& b : plan.chunks) {
    if (!ranges) {
      for (const auto& k : read_keys(conn, chunk_scan(base, b))) ++seen[k];
      continue;
    }
    const auto in = read_keys(conn, chunk_key_scan(base, b, std::nullopt));
    EXPECT_LE(in.size(), 2 * chunk_rows) << encode(b);
    for (const auto& k : in) ++seen[k];
    for (size_t i = 0; i < in.size(); i += 9) {
      const auto rest = read_keys(conn, chunk_key_scan(base, b, Value(in[i])));
      EXPECT_EQ(rest, std::vector<std::string>(in.begin() + static_cast<ptrdiff_t>(i) + 1, in.end()))
          << encode(b) << " after " << in[i];
    }
    // chunk_scan (unordered, the whole range) reads the same keys.
    auto whole = read_keys(conn, chunk_scan(base, b));
    auto sorted = in;
    std::sort(whole.begin(), whole.end());
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(whole, sorted) << encode(b);
  }
  EXPECT_EQ(seen.size(), rows);
  for (const auto& [k, n] : seen) EXPECT_EQ(n, 1) << k;
}

class MariadbTextChunks : public mytest::MysqlTest {};

// A bytewise collation is cut into ranges; a case-insensitive one, which
// MariaDB compares by its rules but polydb orders bytewise, into segments.
TEST_F(MariadbTextChunks, BytewiseKeysAreCutIntoRangesCaseInsensitiveOnesIntoSegments) {
  for (const char* collation : {"utf8mb4_nopad_bin", "utf8mb4_general_ci"}) {
    SCOPED_TRACE(collation);
    const std::string table = std::string("words_") + collation;
    conn_->execute("CREATE TABLE " + table + " (rid INT NOT NULL, k VARCHAR(40) COLLATE " +
                   collation + " PRIMARY KEY)");
    const auto keys = mixed_keys(500);
    for (size_t i = 0; i < keys.size(); ++i)
      conn_->execute("INSERT INTO " + table + " VALUES (?, ?)",
                     std::vector<Value>{static_cast<int64_t>(i), keys[i]});
    expect_exact_text_chunks(*conn_, table, keys.size(), 40, collation[8] == 'n');
  }
}

class PostgresTextChunks : public pgtest::PostgresTest {};

TEST_F(PostgresTextChunks, KeysOfAnyCollationAreCutIntoRangesCitextIntoSegments) {
  const std::pair<const char*, const char*> types[] = {
      {"c", "text COLLATE \"C\""}, {"icu", "text COLLATE \"und-x-icu\""}, {"ci", "public.citext"}};
  for (const auto& [name, type] : types) {
    SCOPED_TRACE(type);
    const std::string table = t(std::string("words_") + name);
    conn_->execute("CREATE TABLE " + table + " (rid int NOT NULL, k " + type + " PRIMARY KEY)");
    const auto keys = mixed_keys(500);
    for (size_t i = 0; i < keys.size(); ++i)
      conn_->execute("INSERT INTO " + table + " VALUES ($1, $2)",
                     std::vector<Value>{static_cast<int64_t>(i), keys[i]});
    expect_exact_text_chunks(*conn_, table, keys.size(), 40, std::string(name) != "ci");
  }
}

}  // namespace
}  // namespace polydb::engine
