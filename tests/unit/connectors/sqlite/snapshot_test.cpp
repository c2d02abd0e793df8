// open_snapshot_readers() on SQLite files, in rollback-journal and WAL mode.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb {
namespace {

class SqliteSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "polydb-snap-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A database with s(id INTEGER PRIMARY KEY) holding ids 1..1000.
  std::unique_ptr<Connection> make_db(const std::string& journal_mode) {
    auto c = connect("sqlite://" + (dir_ / "s.db").string() + "?mode=rwc");
    c->execute("PRAGMA journal_mode = " + journal_mode);
    c->execute("CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT)");
    c->execute(
        "INSERT INTO s WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < "
        "1000) SELECT x, 'v' || x FROM c");
    return c;
  }
  static int64_t count(Connection& c) {
    auto r = c.query("SELECT count(*) FROM s");
    return r->next()->column(0).value_at(0).as<int64_t>();
  }
  static size_t partitioned_rows(std::vector<std::unique_ptr<Connection>>& readers) {
    size_t rows = 0;
    const auto n = static_cast<uint32_t>(readers.size());
    for (uint32_t k = 0; k < n; ++k) {
      auto r = readers[k]->scan({.table = "s", .partition = {k, n}});
      while (auto b = r->next()) rows += b->num_rows();
    }
    return rows;
  }

  std::filesystem::path dir_;
};

TEST_F(SqliteSnapshotTest, WalReadersKeepTheirSnapshotWhileOthersCommit) {
  auto conn = make_db("wal");
  EXPECT_TRUE(conn->capabilities().shared_snapshot);
  auto readers = conn->open_snapshot_readers(3);
  ASSERT_EQ(readers.size(), 3u);
  conn->execute("DELETE FROM s WHERE id <= 100");
  for (auto& r : readers) EXPECT_EQ(count(*r), 1000);
  EXPECT_EQ(partitioned_rows(readers), 1000u);
  readers.clear();
  EXPECT_EQ(count(*conn), 900);
}

TEST_F(SqliteSnapshotTest, RollbackJournalReadersKeepWritersOut) {
  auto conn = make_db("delete");
  auto readers = conn->open_snapshot_readers(2);
  auto writer = connect("sqlite://" + (dir_ / "s.db").string() + "?busy_timeout=50");
  EXPECT_THROW(writer->execute("DELETE FROM s WHERE id <= 100"), Error);
  EXPECT_EQ(partitioned_rows(readers), 1000u);
  readers.clear();
  writer->execute("DELETE FROM s WHERE id <= 100");
  EXPECT_EQ(count(*conn), 900);
}

TEST_F(SqliteSnapshotTest, InMemoryDatabasesCannotShareASnapshot) {
  auto conn = connect("sqlite::memory:");
  EXPECT_FALSE(conn->capabilities().shared_snapshot);
  try {
    conn->open_snapshot_readers(2);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
  }
}

}  // namespace
}  // namespace polydb
