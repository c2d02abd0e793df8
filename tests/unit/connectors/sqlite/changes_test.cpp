// SQLite's change writer (Connection::change_writer, src/connectors/sqlite/changes.cpp):
// what is SQLite's own (attached databases, unique indexes as keys, type
// affinity), on a database file of the test's own. The behaviour every
// backend shares is in tests/conformance/changes_test.cpp.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb {
namespace {

constexpr ChangeOp U = ChangeOp::upsert;
constexpr ChangeOp R = ChangeOp::remove;
using Row = std::vector<Value>;

ChangeBatch batch(const std::shared_ptr<Schema>& s,
                  const std::vector<std::pair<ChangeOp, Row>>& list) {
  ChangeBatch b{Batch(s), {}};
  for (const auto& [op, row] : list) b.append(op, row);
  return b;
}

ErrorCode code_of(const std::function<void()>& fn, std::string* message = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (message) *message = e.message();
    return e.code();
  }
  return ErrorCode::internal;
}

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
  std::filesystem::path dir_;
  std::string url_;
  std::unique_ptr<Connection> conn_;
};

TEST_F(SqliteChanges, AnAttachedDatabasesTable) {
  const std::string aux = (dir_ / "aux.db").string();
  connect("sqlite://" + aux + "?mode=rwc")
      ->execute("CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)");
  conn_->execute("ATTACH DATABASE '" + aux + "' AS aux");
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false}, {"note", TypeId::string}};
  s->primary_key = {"id"};
  auto w = conn_->change_writer("aux.t", *s, {});
  w->apply(batch(s, {{U, {1, "a"}}, {U, {2, "b"}}, {R, {1, nullptr}}}));
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
  w->apply(batch(s, {{U, {"a", "eu", "1"}}, {U, {"a", "us", "2"}}}));
  w->apply(batch(s, {{U, {"a", "eu", "3"}}, {R, {"a", "us", nullptr}}}));
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
  w->apply(batch(s, {{U, {1, "kept"}}}));
  w->commit();
  EXPECT_EQ(code_of([&] {
              w->apply(batch(s, {{U, {2, "x"}}, {U, {3, nullptr}}}));
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
  w->apply(batch(s, {{U, {"7", "2024-01-31 12:00:00", "42"}}}));
  w->apply(batch(s, {{R, {"8", nullptr, nullptr}}}));
  w->commit();
  auto b = conn_->scan({.table = "t"})->next();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->row(0),
            (std::vector<Value>{7, parse_value("2024-01-31 12:00:00", TypeId::timestamp), 42}));
  std::string message;
  EXPECT_EQ(code_of(
                [&] {
                  w->apply(batch(s, {{U, {"x", nullptr, nullptr}}}));
                },
                &message),
            ErrorCode::type_mismatch);
  EXPECT_NE(message.find("'id'"), std::string::npos) << message;
}

}  // namespace
}  // namespace polydb
