// MySQL / MariaDB change writer against the real server: the shared change
// scenarios, the unique-key requirement of ON DUPLICATE KEY, and the
// conditional assignments (version column assigned last) checked on the server.

#include "fixture.hpp"
#include "integration/change_scenarios.hpp"

namespace polydb::mytest {
namespace {

using namespace polydb::changetest;

class MysqlChanges : public MysqlTest {};

TEST_F(MysqlChanges, Capability) { EXPECT_TRUE(conn_->capabilities().change_writes); }

TEST_F(MysqlChanges, UpsertsInsertAndReplace) { upserts_insert_and_replace(*conn_, "t"); }

TEST_F(MysqlChanges, RemovesDeleteAndAbsentKeysAreFine) {
  removes_delete_and_absent_keys_are_fine(*conn_, "t");
}

TEST_F(MysqlChanges, LastChangeInABatchWins) { last_change_in_a_batch_wins(*conn_, "t"); }

TEST_F(MysqlChanges, VersionsDecide) { versions_decide(*conn_, "t"); }

TEST_F(MysqlChanges, AbortRollsBack) { abort_rolls_back(*conn_, "t"); }

TEST_F(MysqlChanges, TwoCommitsOnOneWriter) {
  auto other = connect(url_);
  two_commits_on_one_writer(*conn_, *other, "t");
}

TEST_F(MysqlChanges, CompositeKeys) { composite_keys(*conn_, "t"); }

TEST_F(MysqlChanges, OddColumnNames) { odd_column_names(*conn_, "odd`t\"able"); }

TEST_F(MysqlChanges, NullKeyOrVersionIsInvalid) { null_key_is_invalid(*conn_, "t"); }

TEST_F(MysqlChanges, KeysMustBeUnique) {
  keys_must_be_unique(*conn_, "t", [&] {
    conn_->execute("CREATE TABLE t (id BIGINT, code BIGINT, name VARCHAR(20), UNIQUE KEY (code))");
  });
}

TEST_F(MysqlChanges, MissingTableOrColumn) { missing_table_or_column(*conn_, "t"); }

TEST_F(MysqlChanges, DifferentialUnversioned) { differential(*conn_, "t", false); }

TEST_F(MysqlChanges, DifferentialVersioned) { differential(*conn_, "t", true); }

TEST_F(MysqlChanges, ReplayTwiceLeavesTheSameTable) { replay_twice(*conn_, "t"); }

// Many columns, many rows: upserts and removes span several statements.
TEST_F(MysqlChanges, LargeBatchesSpanStatements) {
  auto s = simple_schema(true);
  conn_->create_table("t", *s);
  auto w = conn_->change_writer("t", *s, {.version_column = "ver"});
  std::vector<std::pair<ChangeOp, Row>> up, down;
  for (int64_t i = 0; i < 5000; ++i) up.push_back({U, {i, "r" + std::to_string(i), i, 1}});
  for (int64_t i = 0; i < 5000; i += 2) down.push_back({R, {i, nullptr, nullptr, 1}});
  w->apply(changes(s, up));
  w->apply(changes(s, down));
  w->commit();
  const auto rows = rows_of(*conn_, "t");
  ASSERT_EQ(rows.size(), 2500u);
  EXPECT_EQ(rows.front(), (Row{1, "r1", 1, 1}));
  EXPECT_EQ(rows.back(), (Row{4999, "r4999", 4999, 1}));
}

// The version column is compared before it is overwritten: assigned last in
// ON DUPLICATE KEY UPDATE, whatever its place among the table's columns.
TEST_F(MysqlChanges, VersionColumnFirstInTheTable) {
  conn_->execute(
      "CREATE TABLE t (ver BIGINT, id BIGINT PRIMARY KEY, name VARCHAR(20), qty BIGINT)");
  auto s = std::make_shared<Schema>();
  s->fields = {{"ver", TypeId::int64, true, ""},
               {"id", TypeId::int64, false, ""},
               {"name", TypeId::string, true, ""},
               {"qty", TypeId::int64, true, ""}};
  s->primary_key = {"id"};
  auto w = conn_->change_writer("t", *s, {.version_column = "ver"});
  w->apply(changes(s, {{U, {1, 1, "a", 1}}}));
  w->apply(changes(s, {{U, {2, 1, "b", 2}}}));
  w->apply(changes(s, {{U, {1, 1, "stale", 3}}}));
  w->commit();
  EXPECT_EQ(client("SELECT ver, id, name, qty FROM t"), "2\t1\tb\t2\n");
}

TEST_F(MysqlChanges, DatabaseQualifiedTable) {
  auto s = simple_schema(false);
  conn_->create_table("t", *s);
  auto other = connect(server_);  // another default database
  auto w = other->change_writer(db_ + ".t", *s, {});
  w->apply(changes(s, {{U, {1, "a", 1}}}));
  w->commit();
  EXPECT_EQ(rows_of(*conn_, "t"), (std::vector<Row>{{1, "a", 1}}));
}

}  // namespace
}  // namespace polydb::mytest
