// SQLite's change writer (Connection::change_writer, src/connectors/sqlite/changes.cpp):
// the shared scenarios of tests/change_scenarios.hpp on a database file of
// the test's own, and what is SQLite's own (unique indexes as keys).

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "change_scenarios.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb {
namespace {

using namespace change_test;

class SqliteChanges : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "polydb-changes-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    url_ = "sqlite://" + (dir_ / "c.db").string() + "?mode=rwc";
    conn_ = connect(url_);
  }
  void TearDown() override {
    conn_.reset();
    std::filesystem::remove_all(dir_);
  }
  TableRef ref() const {
    return [this](const std::string& name) { return conn_->table_reference(name); };
  }

  std::filesystem::path dir_;
  std::string url_;
  std::unique_ptr<Connection> conn_;
};

TEST_F(SqliteChanges, HasTheCapability) { EXPECT_TRUE(conn_->capabilities().change_writes); }
TEST_F(SqliteChanges, UpsertsInsertAndReplace) { upserts_insert_and_replace(*conn_, ref()); }
TEST_F(SqliteChanges, RemovesDeleteAndAbsentKeysAreFine) {
  removes_delete_and_absent_keys_are_fine(*conn_, ref());
}
TEST_F(SqliteChanges, KeyChangedSeveralTimesInOneBatchEndsAsItsLastChange) {
  key_changed_several_times_in_one_batch_ends_as_its_last_change(*conn_, ref());
}
TEST_F(SqliteChanges, VersionsSkipStaleChanges) { versions_skip_stale_changes(*conn_, ref()); }
TEST_F(SqliteChanges, ReplayingAStreamTwiceGivesTheSameTable) {
  replaying_a_stream_twice_gives_the_same_table(*conn_, ref());
}
TEST_F(SqliteChanges, AbortRollsBack) { abort_rolls_back(*conn_, ref()); }
TEST_F(SqliteChanges, CommitThenMoreChangesThenCommit) {
  auto other = connect(url_);
  commit_then_more_changes_then_commit(*conn_, *other, ref());
}
TEST_F(SqliteChanges, CompositeKeys) { composite_keys(*conn_, ref()); }
TEST_F(SqliteChanges, OddColumnNames) { odd_column_names(*conn_, ref()); }
TEST_F(SqliteChanges, NullsInNonKeyColumns) { nulls_in_non_key_columns(*conn_, ref()); }
TEST_F(SqliteChanges, BadChangesAreInvalidArguments) {
  bad_changes_are_invalid_arguments(*conn_, ref());
}
TEST_F(SqliteChanges, OpeningChecksTableAndColumns) {
  opening_checks_table_and_columns(*conn_, ref());
}
TEST_F(SqliteChanges, KeysMustBeUnique) {
  keys_must_be_unique(*conn_, ref(), [&](const std::string& t) {
    conn_->execute("CREATE TABLE " + t + " (id INTEGER, code INTEGER, name TEXT, UNIQUE (code))");
  });
}
TEST_F(SqliteChanges, EveryTypeRoundTrips) { every_type_round_trips(*conn_, ref()); }
TEST_F(SqliteChanges, MatchesTheOracle) { matches_the_oracle(*conn_, ref(), false); }
TEST_F(SqliteChanges, MatchesTheOracleWithVersions) { matches_the_oracle(*conn_, ref(), true); }
TEST_F(SqliteChanges, MatchesTheOracleWithOtherSeeds) {
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE(seed);
    matches_the_oracle(
        *conn_, [&](const std::string& n) { return n + std::to_string(seed); }, seed % 2 == 1, seed,
        600);
  }
}

TEST_F(SqliteChanges, AnAttachedDatabasesTable) {
  const std::string aux = (dir_ / "aux.db").string();
  connect("sqlite://" + aux + "?mode=rwc")
      ->execute("CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)");
  conn_->execute("ATTACH DATABASE '" + aux + "' AS aux");
  upserts_insert_and_replace(*conn_, [](const std::string& n) { return "aux." + n; });
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false}, {"note", TypeId::string}};
  s->primary_key = {"id"};
  auto w = conn_->change_writer("aux.t", *s, {});
  w->apply(make_batch(s, {up({1, "a"}), up({2, "b"}), rm({1, nullptr})}));
  w->commit();
  EXPECT_EQ(conn_->count_rows("aux.t"), 1u);
}

TEST_F(SqliteChanges, AUniqueIndexServesAsTheKey) {
  conn_->execute(
      "CREATE TABLE t (rid INTEGER PRIMARY KEY, code TEXT NOT NULL, region TEXT NOT NULL, "
      "note TEXT)");
  conn_->execute("CREATE UNIQUE INDEX t_code ON t (region, code)");
  auto s = std::make_shared<Schema>();
  s->fields = {
      {"code", TypeId::string, false}, {"region", TypeId::string, false}, {"note", TypeId::string}};
  auto w = conn_->change_writer("t", *s, {.key = {"code", "region"}, .version_column = ""});
  w->apply(make_batch(s, {up({"a", "eu", "1"}), up({"a", "us", "2"})}));
  w->apply(make_batch(s, {up({"a", "eu", "3"}), rm({"a", "us", nullptr})}));
  w->commit();
  auto r = conn_->query("SELECT code, region, note FROM t");
  auto b = r->next();
  ASSERT_TRUE(b);
  ASSERT_EQ(b->num_rows(), 1u);
  EXPECT_EQ(b->row(0), (std::vector<Value>{"a", "eu", "3"}));
}

TEST_F(SqliteChanges, AKeyWithoutAUniqueIndexIsRefusedClearly) {
  conn_->execute("CREATE TABLE t (id INTEGER, note TEXT)");
  conn_->execute("CREATE INDEX t_id ON t (id)");                        // not unique
  conn_->execute("CREATE UNIQUE INDEX t_part ON t (id) WHERE id > 0");  // partial
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false}, {"note", TypeId::string}};
  std::string message;
  EXPECT_EQ(code_of([&] { conn_->change_writer("t", *s, {.key = {"id"}, .version_column = ""}); },
                    &message),
            ErrorCode::invalid_argument);
  EXPECT_NE(message.find("unique index"), std::string::npos) << message;
  EXPECT_NE(message.find("id"), std::string::npos) << message;
  EXPECT_EQ(code_of([&] { conn_->change_writer("t", *s, {}); }, &message),
            ErrorCode::invalid_argument)
      << "no key named and no primary key";
}

TEST_F(SqliteChanges, AConstraintBreakIsAConflictAndRollsTheBatchBack) {
  conn_->execute("CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT NOT NULL)");
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false}, {"note", TypeId::string}};
  s->primary_key = {"id"};
  auto w = conn_->change_writer("t", *s, {});
  w->apply(make_batch(s, {up({1, "kept"})}));
  w->commit();
  EXPECT_EQ(code_of([&] {
              w->apply(make_batch(s, {up({2, "x"}), up({3, nullptr})}));
            }),
            ErrorCode::conflict);
  EXPECT_EQ(code_of([&] { w->commit(); }), ErrorCode::invalid_argument)
      << "a failed apply() leaves the writer aborted";
  EXPECT_EQ(conn_->count_rows("t"), 1u);
}

TEST_F(SqliteChanges, ValuesConvertToTheStoredColumnTypes) {
  conn_->execute("CREATE TABLE t (id INTEGER PRIMARY KEY, at TIMESTAMP, n INTEGER)");
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::string, false}, {"at", TypeId::string}, {"n", TypeId::string}};
  s->primary_key = {"id"};
  auto w = conn_->change_writer("t", *s, {});
  w->apply(make_batch(s, {up({"7", "2024-01-31 12:00:00", "42"})}));
  w->apply(make_batch(s, {rm({"8", nullptr, nullptr})}));
  w->commit();
  auto b = conn_->scan({.table = "t"})->next();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->row(0),
            (std::vector<Value>{7, parse_value("2024-01-31 12:00:00", TypeId::timestamp), 42}));
  std::string message;
  EXPECT_EQ(code_of(
                [&] {
                  w->apply(make_batch(s, {up({"x", nullptr, nullptr})}));
                },
                &message),
            ErrorCode::type_mismatch);
  EXPECT_NE(message.find("'id'"), std::string::npos) << message;
}

}  // namespace
}  // namespace polydb
