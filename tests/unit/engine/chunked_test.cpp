// Chunked copies (src/engine/chunked.cpp) between real SQLite files,
// interrupted inside a chunk: the commits made every checkpoint_rows rows
// stay, the chunk's position is recorded right after each, and the resumed
// job reads only the rows after it (counted through the progress sink),
// ending with exactly the source's rows and the chunk hashes of an
// uninterrupted copy. The first key range also holds the rows whose key is
// NULL: they are read first, and no position falls inside them.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "engine/chunks.hpp"
#include "polydb/connection.hpp"
#include "polydb/engine.hpp"
#include "polydb/error.hpp"
#include "polydb/state.hpp"

namespace polydb::engine {
namespace {

// Stops the copy at the `stop_after`-th progress update, and remembers the
// rows the last update reported (what the source handed out).
class StopAfter final : public ProgressSink {
 public:
  explicit StopAfter(std::optional<size_t> stop_after) : stop_after_(stop_after) {}
  void update(const Progress& p) override {
    rows = p.rows;
    if (stop_after_ && ++updates_ == *stop_after_) stop.request_stop();
  }
  std::stop_source stop;
  uint64_t rows = 0;

 private:
  std::optional<size_t> stop_after_;
  size_t updates_ = 0;
};

class ChunkedResumeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "polydb-chunked-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    src_url_ = "sqlite://" + (dir_ / "src.db").string();
    dst_url_ = "sqlite://" + (dir_ / "dst.db").string();
    state_ = (dir_ / "state.db").string();
    ConnectOptions create;
    create.create_if_missing = true;
    src_ = connect(src_url_, create);
    dst_ = connect(dst_url_, create);
  }
  void TearDown() override {
    src_.reset();
    dst_.reset();
    std::filesystem::remove_all(dir_);
  }

  CopyOptions options(const std::string& table, const std::string& job) {
    CopyOptions o;
    o.table = table;
    o.dst_table = "out_" + job;
    o.mode = WriteMode::append;
    o.chunked = true;
    o.state = state_;
    o.job = job;
    o.worker = "w";
    o.batch_rows = 1000;
    o.checkpoint_rows = 3000;
    return o;
  }

  // Runs the copy; at the stop_after-th progress update it is stopped, and
  // must end cancelled. Returns the rows the source handed out.
  uint64_t run(CopyOptions o, std::optional<size_t> stop_after) {
    StopAfter sink(stop_after);
    o.progress = &sink;
    o.stop = sink.stop.get_token();
    if (!stop_after) {
      copy(*src_, *dst_, o);
      return sink.rows;
    }
    try {
      copy(*src_, *dst_, o);
      ADD_FAILURE() << "the copy ignored the stop request";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::cancelled) << e.what();
    }
    return sink.rows;
  }

  std::vector<state::Chunk> chunks(const std::string& job) {
    return state::open_state_store(state_)->chunks(job);
  }

  // "rows sum(id) sum(k)" of a table.
  std::string sums(Connection& c, const std::string& table) {
    auto r = c.query("SELECT count(*), coalesce(sum(id), 0), coalesce(sum(k), 0) FROM " + table);
    const auto row = r->next()->row(0);
    return row.at(0).to_text() + " " + row.at(1).to_text() + " " + row.at(2).to_text();
  }

  std::filesystem::path dir_;
  std::string src_url_, dst_url_, state_;
  std::unique_ptr<Connection> src_, dst_;
};

TEST_F(ChunkedResumeTest, AnInterruptedChunkContinuesAfterItsLastCommittedKey) {
  src_->execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, k INTEGER)");
  src_->execute(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
      "INSERT INTO items SELECT i, 'item ' || i, i * 3 FROM n");
  CopyOptions o = options("items", "cut");
  o.chunk_rows = 10'000;  // two ranges of 10,000 ids

  // Batches of 1,000: commits after 3,000 and 6,000 rows of the first chunk;
  // stopped after the 8th batch, whose rows are rolled back.
  EXPECT_EQ(run(o, 8), 8000u);
  auto c = chunks("cut");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].status, state::ChunkStatus::pending);
  EXPECT_EQ(c[0].rows, 6000u);
  const ChunkPosition at = decode_position(c[0].position);
  EXPECT_EQ(at.after, std::optional<Value>(int64_t{6000}));
  EXPECT_NE(at.hash, 0u);
  EXPECT_EQ(c[1].position, "");
  EXPECT_EQ(sums(*dst_, "out_cut"), "6000 18003000 54009000");

  // Resumed: the source hands out only the rows after id 6000.
  o.resume = true;
  EXPECT_EQ(run(o, std::nullopt), 14000u);
  EXPECT_EQ(sums(*dst_, "out_cut"), sums(*src_, "items"));

  // The hashes are those of an uninterrupted copy.
  CopyOptions whole_copy = options("items", "whole");
  whole_copy.chunk_rows = o.chunk_rows;
  EXPECT_EQ(run(whole_copy, std::nullopt), 20000u);
  const auto cut = chunks("cut"), whole = chunks("whole");
  ASSERT_EQ(cut.size(), whole.size());
  for (size_t i = 0; i < cut.size(); ++i) {
    EXPECT_EQ(cut[i].status, state::ChunkStatus::done);
    EXPECT_EQ(cut[i].rows, whole[i].rows);
    EXPECT_EQ(cut[i].hash.size(), 16u);
    EXPECT_EQ(cut[i].hash, whole[i].hash) << "chunk " << i;
  }
  EXPECT_NE(cut[0].hash, cut[1].hash);
}

TEST_F(ChunkedResumeTest, TheNullKeysOfTheFirstRangeAreReadFirstAndNeverSplit) {
  // Chunks cut by `k`, which is NULL in every 4th row (2,500 of 10,000): a
  // primary key of SQLite's that is not the rowid may hold NULLs.
  src_->execute("CREATE TABLE items (id INTEGER NOT NULL, name TEXT NOT NULL, k INT PRIMARY KEY)");
  src_->execute(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000) "
      "INSERT INTO items SELECT i, 'item ' || i, CASE WHEN i % 4 = 0 THEN NULL ELSE 20000 - i "
      "END FROM n");
  // The targets keep the NULLs (an INT PRIMARY KEY copied as such would be
  // SQLite's rowid, which numbers NULLs).
  for (const char* t : {"out_nulls", "out_nulls_whole"})
    dst_->execute(std::string("CREATE TABLE ") + t +
                  " (id INTEGER NOT NULL, name TEXT NOT NULL, k INT UNIQUE)");
  CopyOptions o = options("items", "nulls");
  o.chunk_by = "k";
  o.key = {"k"};
  o.chunk_rows = 1'000'000;  // one chunk: the first range
  o.batch_rows = 500;
  o.checkpoint_rows = 1000;

  // Stopped inside the NULL keys (1,500 of 2,500 read): nothing is committed
  // there, since they have no order to continue in.
  EXPECT_EQ(run(o, 3), 1500u);
  auto c = chunks("nulls");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].position, "");
  EXPECT_EQ(c[0].rows, 0u);

  // Again: the 2,500 NULL keys, committed at their end, then keys in
  // ascending order, committed after 1,000; stopped after 500 more.
  o.resume = true;
  EXPECT_EQ(run(o, 8), 4000u);
  c = chunks("nulls");
  const ChunkPosition at = decode_position(c[0].position);
  EXPECT_TRUE(at.nulls_done);
  // The 1,000 smallest keys: 20000 - i for the largest i not divisible by 4.
  auto smallest = src_->query(
      "SELECT max(k) FROM (SELECT k FROM items WHERE k IS NOT NULL ORDER BY k LIMIT 1000)");
  EXPECT_EQ(at.after, std::optional<Value>(smallest->next()->row(0).at(0)));
  smallest.reset();
  EXPECT_EQ(c[0].rows, 3500u);
  auto nulls = dst_->query("SELECT count(*) FROM out_nulls WHERE k IS NULL");
  EXPECT_EQ(nulls->next()->row(0).at(0).as<int64_t>(), 2500);
  nulls.reset();

  // Finished: only the 6,500 rows after the position are read.
  EXPECT_EQ(run(o, std::nullopt), 6500u);
  EXPECT_EQ(sums(*dst_, "out_nulls"), sums(*src_, "items"));
  c = chunks("nulls");
  EXPECT_EQ(c[0].status, state::ChunkStatus::done);
  EXPECT_EQ(c[0].rows, 10000u);
  CopyOptions whole_copy = o;
  whole_copy.job = "nulls_whole";
  whole_copy.dst_table = "out_nulls_whole";
  whole_copy.resume = false;
  EXPECT_EQ(run(whole_copy, std::nullopt), 10000u);
  EXPECT_EQ(chunks("nulls_whole")[0].hash, c[0].hash);
}

TEST_F(ChunkedResumeTest, ATextKeyIsCutAtSampledBoundariesAndResumesAfterItsLastKey) {
  // Names w000000..w019999, inserted in an order unrelated to them.
  src_->execute("CREATE TABLE words (name TEXT PRIMARY KEY, id INTEGER NOT NULL, k INTEGER)");
  src_->execute(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
      "INSERT INTO words SELECT printf('w%06d', (i * 7919) % 20000), i, i * 3 FROM n");
  CopyOptions o = options("words", "text");
  o.chunk_rows = 10'000;  // two ranges: the boundary is the 10,001st name

  EXPECT_EQ(run(o, 8), 8000u);
  auto c = chunks("text");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(decode_bounds(c[1].bounds).from, std::optional<Value>("w010000"));
  EXPECT_EQ(c[0].rows, 6000u);
  EXPECT_EQ(decode_position(c[0].position).after, std::optional<Value>("w005999"));

  // Resumed: only the names after w005999 are read again.
  o.resume = true;
  EXPECT_EQ(run(o, std::nullopt), 14000u);
  EXPECT_EQ(sums(*dst_, "out_text"), sums(*src_, "words"));
  c = chunks("text");
  EXPECT_EQ(c[0].rows, 10000u);
  EXPECT_EQ(c[1].rows, 10000u);
}

TEST_F(ChunkedResumeTest, AChunkCutByAColumnThatIsNotUniqueRestartsInsteadOfSkippingRows) {
  // k repeats: seven rows share each value, so a commit after a batch could
  // fall between rows of one k, and "after the last k" would skip the rest.
  src_->execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, k INTEGER)");
  src_->execute(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000) "
      "INSERT INTO items SELECT i, 'item ' || i, i / 7 FROM n");
  CopyOptions o = options("items", "dup");
  o.chunk_by = "k";
  o.chunk_rows = 1'000'000;  // one chunk
  o.batch_rows = 499;        // batches end inside groups of equal k
  o.checkpoint_rows = 1000;

  // Stopped after 8 batches: the chunk commits only at its end, so nothing
  // stays and no position is recorded.
  EXPECT_EQ(run(o, 8), 8u * 499u);
  auto c = chunks("dup");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].position, "");
  EXPECT_EQ(c[0].rows, 0u);
  auto none = dst_->query("SELECT count(*) FROM out_dup");
  EXPECT_EQ(none->next()->row(0).at(0).as<int64_t>(), 0);
  none.reset();

  o.resume = true;
  EXPECT_EQ(run(o, std::nullopt), 10000u);
  EXPECT_EQ(sums(*dst_, "out_dup"), sums(*src_, "items"));
}

}  // namespace
}  // namespace polydb::engine
