// snapshot() / open_snapshot_readers(): connections that read one exported snapshot.

#include <gtest/gtest.h>

#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "fixture.hpp"

namespace polydb::pgtest {
namespace {

using PgSnapshotTest = PostgresTest;

int64_t count(Connection& c, const std::string& table) {
  auto r = c.query("SELECT count(*) FROM " + table);
  return collect_rows(*r).at(0).at(0).as<int64_t>();
}

TEST_F(PgSnapshotTest, ReadersShareOneSnapshotWhileOthersWrite) {
  EXPECT_TRUE(conn_->capabilities().shared_snapshot);
  conn_->execute("CREATE TABLE " + t("s") + " (id bigint PRIMARY KEY, v text)");
  conn_->execute("INSERT INTO " + t("s") + " SELECT g, 'v' || g FROM generate_series(1, 1000) g");
  auto readers = conn_->open_snapshot_readers(3);
  ASSERT_EQ(readers.size(), 3u);
  // Changes committed after the snapshot: no reader sees them.
  conn_->execute("INSERT INTO " + t("s") + " SELECT g, 'new' FROM generate_series(1001, 1500) g");
  conn_->execute("DELETE FROM " + t("s") + " WHERE id <= 100");
  size_t rows = 0;
  for (uint32_t k = 0; k < readers.size(); ++k) {
    EXPECT_EQ(count(*readers[k], t("s")), 1000);
    auto r = readers[k]->scan({.table = t("s"), .partition = {k, 3}});
    rows += collect_rows(*r).size();
  }
  EXPECT_EQ(rows, 1000u);
  // Readers are read-only.
  EXPECT_THROW(readers[1]->execute("DELETE FROM " + t("s")), Error);
  readers.clear();
  EXPECT_EQ(count(*conn_, t("s")), 1400);
}

// The Snapshot object holds the snapshot, not reader 0: readers opened
// later, after earlier ones ended, still read the same point in time, and
// readers outlive the Snapshot.
TEST_F(PgSnapshotTest, SnapshotOutlivesItsReadersAndReadersOutliveIt) {
  conn_->execute("CREATE TABLE " + t("o") + " (id bigint PRIMARY KEY)");
  conn_->execute("INSERT INTO " + t("o") + " SELECT g FROM generate_series(1, 100) g");
  auto snap = conn_->snapshot(1);
  EXPECT_FALSE(snap->id().empty());
  {
    auto first = snap->open_reader();
    EXPECT_EQ(count(*first, t("o")), 100);
  }  // reader 0 ends: the snapshot stays
  conn_->execute("DELETE FROM " + t("o") + " WHERE id > 10");
  std::vector<std::unique_ptr<Connection>> later;
  for (int k = 0; k < 4; ++k) later.push_back(snap->open_reader());  // more than asked for
  snap.reset();
  conn_->execute("INSERT INTO " + t("o") + " SELECT g FROM generate_series(101, 150) g");
  for (auto& r : later) EXPECT_EQ(count(*r, t("o")), 100);
  EXPECT_EQ(count(*conn_, t("o")), 60);
}

TEST_F(PgSnapshotTest, ZeroReadersIsAnError) {
  EXPECT_EQ(code_of([&] { conn_->snapshot(0); }), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of([&] { conn_->open_snapshot_readers(0); }), ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace polydb::pgtest
