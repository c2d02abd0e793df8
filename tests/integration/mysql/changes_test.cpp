// MySQL / MariaDB change writer against the real server: the shared change
// scenarios of tests/change_scenarios.hpp in the test's own database, and
// what is MySQL's own: batches spanning statements, the conditional
// assignments (version column assigned last) checked on the server, and
// database-qualified names.

#include "change_scenarios.hpp"
#include "fixture.hpp"

namespace polydb::mytest {
namespace {

using namespace polydb::change_test;

class MysqlChanges : public MysqlTest {
 protected:
  TableRef ref() const {
    return [this](const std::string& name) { return conn_->table_reference(name); };
  }
};

TEST_F(MysqlChanges, Capability) { EXPECT_TRUE(conn_->capabilities().change_writes); }
TEST_F(MysqlChanges, UpsertsInsertAndReplace) { upserts_insert_and_replace(*conn_, ref()); }
TEST_F(MysqlChanges, RemovesDeleteAndAbsentKeysAreFine) {
  removes_delete_and_absent_keys_are_fine(*conn_, ref());
}
TEST_F(MysqlChanges, KeyChangedSeveralTimesInOneBatchEndsAsItsLastChange) {
  key_changed_several_times_in_one_batch_ends_as_its_last_change(*conn_, ref());
}
TEST_F(MysqlChanges, VersionsSkipStaleChanges) { versions_skip_stale_changes(*conn_, ref()); }
TEST_F(MysqlChanges, ReplayingAStreamTwiceGivesTheSameTable) {
  replaying_a_stream_twice_gives_the_same_table(*conn_, ref());
}
TEST_F(MysqlChanges, AbortRollsBack) { abort_rolls_back(*conn_, ref()); }
TEST_F(MysqlChanges, CommitThenMoreChangesThenCommit) {
  auto other = connect(url_);
  commit_then_more_changes_then_commit(*conn_, *other, ref());
}
TEST_F(MysqlChanges, CompositeKeys) { composite_keys(*conn_, ref()); }
TEST_F(MysqlChanges, OddColumnNames) { odd_column_names(*conn_, ref()); }
TEST_F(MysqlChanges, NullsInNonKeyColumns) { nulls_in_non_key_columns(*conn_, ref()); }
TEST_F(MysqlChanges, BadChangesAreInvalidArguments) {
  bad_changes_are_invalid_arguments(*conn_, ref());
}
TEST_F(MysqlChanges, OpeningChecksTableAndColumns) {
  opening_checks_table_and_columns(*conn_, ref());
}
TEST_F(MysqlChanges, KeysMustBeUnique) {
  keys_must_be_unique(*conn_, ref(), [&](const std::string& t) {
    conn_->execute("CREATE TABLE " + t +
                   " (id BIGINT, code BIGINT, name VARCHAR(20), UNIQUE KEY (code))");
  });
}
TEST_F(MysqlChanges, MatchesTheOracle) { matches_the_oracle(*conn_, ref(), false); }
TEST_F(MysqlChanges, MatchesTheOracleWithVersions) { matches_the_oracle(*conn_, ref(), true); }

// Many rows: upserts and removes span several statements.
TEST_F(MysqlChanges, LargeBatchesSpanStatements) {
  const auto s = simple_schema();
  conn_->create_table("t", *s);
  auto w = conn_->change_writer("t", *s, {.key = {}, .version_column = "v"});
  std::vector<Change> ups, downs;
  for (int64_t i = 0; i < 5000; ++i) ups.push_back(up({i, 1, "r" + std::to_string(i)}));
  for (int64_t i = 0; i < 5000; i += 2) downs.push_back(rm({i, 1, nullptr}));
  w->apply(make_batch(s, ups));
  w->apply(make_batch(s, downs));
  w->commit();
  const Rows rows = simple_rows(*conn_, "t");
  ASSERT_EQ(rows.size(), 2500u);
  const std::vector<Value> first = {1, 1, "r1"}, last = {4999, 1, "r4999"};
  EXPECT_EQ(rows.at(key_text(first, {0})), first);
  EXPECT_EQ(rows.at(key_text(last, {0})), last);
}

// The version column is compared before it is overwritten: assigned last in
// ON DUPLICATE KEY UPDATE, whatever its place among the table's columns.
TEST_F(MysqlChanges, VersionColumnFirstInTheTable) {
  conn_->execute(
      "CREATE TABLE t (ver BIGINT, id BIGINT PRIMARY KEY, name VARCHAR(20), qty BIGINT)");
  auto s = std::make_shared<Schema>();
  s->fields = {{"ver", TypeId::int64},
               {"id", TypeId::int64, false},
               {"name", TypeId::string},
               {"qty", TypeId::int64}};
  s->primary_key = {"id"};
  auto w = conn_->change_writer("t", *s, {.key = {}, .version_column = "ver"});
  w->apply(make_batch(s, {up({1, 1, "a", 1})}));
  w->apply(make_batch(s, {up({2, 1, "b", 2})}));
  w->apply(make_batch(s, {up({1, 1, "stale", 3})}));
  w->commit();
  EXPECT_EQ(client("SELECT ver, id, name, qty FROM t"), "2\t1\tb\t2\n");
}

TEST_F(MysqlChanges, DatabaseQualifiedTable) {
  const auto s = simple_schema();
  conn_->create_table("t", *s);
  auto other = connect(server_);  // another default database
  auto w = other->change_writer(db_ + ".t", *s, {});
  w->apply(make_batch(s, {up({1, 1, "a"})}));
  w->commit();
  EXPECT_EQ(simple_rows(*conn_, "t"), expect_rows({{1, 1, "a"}}));
}

}  // namespace
}  // namespace polydb::mytest
