// ODBC change writer through psqlODBC (PostgreSQL: INSERT ... ON CONFLICT)
// and MariaDB Connector/ODBC (ON DUPLICATE KEY UPDATE): the shared change
// scenarios (the statements' text: tests/unit/connectors/odbc/change_sql_test.cpp).

#include "fixture.hpp"
#include "integration/change_scenarios.hpp"

namespace polydb::odbctest {
namespace {

using namespace polydb::changetest;

using OdbcChanges = OdbcTest;

TEST_P(OdbcChanges, Capability) { EXPECT_TRUE(conn_->capabilities().change_writes); }

TEST_P(OdbcChanges, UpsertsInsertAndReplace) {
  upserts_insert_and_replace(*conn_, table("chg_up"));
}

TEST_P(OdbcChanges, RemovesDeleteAndAbsentKeysAreFine) {
  removes_delete_and_absent_keys_are_fine(*conn_, table("chg_rm"));
}

TEST_P(OdbcChanges, LastChangeInABatchWins) { last_change_in_a_batch_wins(*conn_, table("chg_last")); }

TEST_P(OdbcChanges, VersionsDecide) { versions_decide(*conn_, table("chg_ver")); }

TEST_P(OdbcChanges, AbortRollsBack) { abort_rolls_back(*conn_, table("chg_abort")); }

TEST_P(OdbcChanges, TwoCommitsOnOneWriter) {
  auto other = connect(url_);
  two_commits_on_one_writer(*conn_, *other, table("chg_two"));
}

TEST_P(OdbcChanges, CompositeKeys) { composite_keys(*conn_, table("chg_comp")); }

TEST_P(OdbcChanges, OddColumnNames) { odd_column_names(*conn_, table("chg_odd")); }

TEST_P(OdbcChanges, NullKeyOrVersionIsInvalid) { null_key_is_invalid(*conn_, table("chg_null")); }

TEST_P(OdbcChanges, KeysMustBeUnique) {
  const std::string t = table("chg_uniq");
  keys_must_be_unique(*conn_, t, [&] {
    conn_->execute("CREATE TABLE " + t +
                   " (id BIGINT, code BIGINT, name VARCHAR(20), CONSTRAINT " + t +
                   "_code UNIQUE (code))");
  });
}

TEST_P(OdbcChanges, MissingTableOrColumn) { missing_table_or_column(*conn_, table("chg_missing")); }

TEST_P(OdbcChanges, DifferentialUnversioned) { differential(*conn_, table("chg_diff"), false); }

TEST_P(OdbcChanges, DifferentialVersioned) { differential(*conn_, table("chg_diffv"), true); }

TEST_P(OdbcChanges, ReplayTwiceLeavesTheSameTable) { replay_twice(*conn_, table("chg_replay")); }

TEST_P(OdbcChanges, LargeBatchesSpanStatements) {
  const std::string t = table("chg_large");
  auto s = simple_schema(true);
  conn_->create_table(t, *s);
  auto w = conn_->change_writer(t, *s, {.version_column = "ver"});
  std::vector<std::pair<ChangeOp, Row>> up, down;
  for (int64_t i = 0; i < 5000; ++i) up.push_back({U, {i, "r" + std::to_string(i), i, 1}});
  for (int64_t i = 0; i < 5000; i += 2) down.push_back({R, {i, nullptr, nullptr, 1}});
  w->apply(changes(s, up));
  w->apply(changes(s, down));
  w->commit();
  const auto rows = rows_of(*conn_, t);
  ASSERT_EQ(rows.size(), 2500u);
  EXPECT_EQ(rows.front(), (Row{1, "r1", 1, 1}));
  EXPECT_EQ(rows.back(), (Row{4999, "r4999", 4999, 1}));
}

INSTANTIATE_TEST_SUITE_P(Drivers, OdbcChanges, ::testing::ValuesIn(drivers()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace polydb::odbctest
