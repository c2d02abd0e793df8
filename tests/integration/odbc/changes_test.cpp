// ODBC change writer through psqlODBC (PostgreSQL: INSERT ... ON CONFLICT)
// and MariaDB Connector/ODBC (ON DUPLICATE KEY UPDATE): the shared change
// scenarios of tests/change_scenarios.hpp (the statements' text:
// tests/unit/connectors/odbc/change_sql_test.cpp), and batches that span
// statements.

#include "change_scenarios.hpp"
#include "fixture.hpp"

namespace polydb::odbctest {
namespace {

using namespace polydb::change_test;

class OdbcChanges : public OdbcTest {
 protected:
  // The tests' own names (dropped afterwards), quoted as the DBMS wants.
  TableRef ref() {
    return [this](const std::string& name) {
      tables_.push_back(conn_->table_reference(prefix_ + name));
      return tables_.back();
    };
  }
};

TEST_P(OdbcChanges, Capability) { EXPECT_TRUE(conn_->capabilities().change_writes); }
TEST_P(OdbcChanges, UpsertsInsertAndReplace) { upserts_insert_and_replace(*conn_, ref()); }
TEST_P(OdbcChanges, RemovesDeleteAndAbsentKeysAreFine) {
  removes_delete_and_absent_keys_are_fine(*conn_, ref());
}
TEST_P(OdbcChanges, KeyChangedSeveralTimesInOneBatchEndsAsItsLastChange) {
  key_changed_several_times_in_one_batch_ends_as_its_last_change(*conn_, ref());
}
TEST_P(OdbcChanges, VersionsSkipStaleChanges) { versions_skip_stale_changes(*conn_, ref()); }
TEST_P(OdbcChanges, ReplayingAStreamTwiceGivesTheSameTable) {
  replaying_a_stream_twice_gives_the_same_table(*conn_, ref());
}
TEST_P(OdbcChanges, AbortRollsBack) { abort_rolls_back(*conn_, ref()); }
TEST_P(OdbcChanges, CommitThenMoreChangesThenCommit) {
  auto other = connect(url_);
  commit_then_more_changes_then_commit(*conn_, *other, ref());
}
TEST_P(OdbcChanges, CompositeKeys) { composite_keys(*conn_, ref()); }
TEST_P(OdbcChanges, OddColumnNames) { odd_column_names(*conn_, ref()); }
TEST_P(OdbcChanges, NullsInNonKeyColumns) { nulls_in_non_key_columns(*conn_, ref()); }
TEST_P(OdbcChanges, BadChangesAreInvalidArguments) {
  bad_changes_are_invalid_arguments(*conn_, ref());
}
TEST_P(OdbcChanges, OpeningChecksTableAndColumns) {
  opening_checks_table_and_columns(*conn_, ref());
}
TEST_P(OdbcChanges, KeysMustBeUnique) {
  keys_must_be_unique(*conn_, ref(), [&](const std::string& t) {
    conn_->execute("CREATE TABLE " + t + " (id BIGINT, code BIGINT, name VARCHAR(20), UNIQUE (code))");
  });
}
TEST_P(OdbcChanges, MatchesTheOracle) { matches_the_oracle(*conn_, ref(), false); }
TEST_P(OdbcChanges, MatchesTheOracleWithVersions) { matches_the_oracle(*conn_, ref(), true); }

// Many rows: upserts and removes span several statements and parameter arrays.
TEST_P(OdbcChanges, LargeBatchesSpanStatements) {
  const std::string t = ref()("chg_large");
  const auto s = simple_schema();
  conn_->create_table(t, *s);
  auto w = conn_->change_writer(t, *s, {.key = {}, .version_column = "v"});
  std::vector<Change> ups, downs;
  for (int64_t i = 0; i < 5000; ++i) ups.push_back(up({i, 1, "r" + std::to_string(i)}));
  for (int64_t i = 0; i < 5000; i += 2) downs.push_back(rm({i, 1, nullptr}));
  w->apply(make_batch(s, ups));
  w->apply(make_batch(s, downs));
  w->commit();
  const Rows rows = simple_rows(*conn_, t);
  ASSERT_EQ(rows.size(), 2500u);
  const std::vector<Value> first = {1, 1, "r1"}, last = {4999, 1, "r4999"};
  EXPECT_EQ(rows.at(key_text(first, {0})), first);
  EXPECT_EQ(rows.at(key_text(last, {0})), last);
}

INSTANTIATE_TEST_SUITE_P(Drivers, OdbcChanges, ::testing::ValuesIn(drivers()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace polydb::odbctest
