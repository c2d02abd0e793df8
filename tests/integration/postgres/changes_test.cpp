// PostgreSQL's change writer (Connection::change_writer,
// src/connectors/postgres/changes.cpp): what is PostgreSQL's own (the key's
// unique index, views, partitions, case-sensitive names, COPY volume). The
// behaviour every backend shares is in tests/conformance/changes_test.cpp.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fixture.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb::pgtest {
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

class PgChanges : public PostgresTest {
 protected:
  std::shared_ptr<Schema> id_note() const {
    auto s = std::make_shared<Schema>();
    s->fields = {{"id", TypeId::int64, false}, {"note", TypeId::string}};
    s->primary_key = {"id"};
    return s;
  }
  int64_t count(const std::string& table) {
    auto r = conn_->query("SELECT count(*) FROM " + table);
    return collect_rows(*r).at(0).at(0).as<int64_t>();
  }
};

TEST_F(PgChanges, ATableWithoutAUniqueKeyIsRefusedClearly) {
  conn_->execute("CREATE TABLE " + t("nokey") + " (id bigint, note text)");
  conn_->execute("CREATE INDEX ON " + t("nokey") + " (id)");
  conn_->execute("CREATE UNIQUE INDEX ON " + t("nokey") + " (id) WHERE id > 0");
  conn_->execute("CREATE UNIQUE INDEX ON " + t("nokey") + " ((id + 1))");
  conn_->execute("CREATE UNIQUE INDEX ON " + t("nokey") + " (id, note)");
  conn_->execute("ALTER TABLE " + t("nokey") +
                 " ADD CONSTRAINT nokey_deferred UNIQUE (id) DEFERRABLE INITIALLY DEFERRED");
  auto s = id_note();
  s->primary_key.clear();
  std::string message;
  EXPECT_EQ(
      code_of([&] { conn_->change_writer(t("nokey"), *s, {.key = {"id"}, .version_column = ""}); },
              &message),
      ErrorCode::invalid_argument);
  EXPECT_NE(message.find("primary key or a unique index"), std::string::npos) << message;
  EXPECT_NE(message.find("\"id\""), std::string::npos) << message;
  EXPECT_EQ(code_of([&] { conn_->change_writer(t("nokey"), *s, {}); }), ErrorCode::invalid_argument)
      << "no key named and none in the schema";
}

TEST_F(PgChanges, AUniqueIndexServesAsTheKey) {
  conn_->execute("CREATE TABLE " + t("u") +
                 " (rid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, code text NOT NULL, "
                 "region text NOT NULL, ver bigint, note text)");
  conn_->execute("CREATE UNIQUE INDEX ON " + t("u") + " (region, code) INCLUDE (note)");
  auto s = std::make_shared<Schema>();
  s->fields = {{"code", TypeId::string, false},
               {"region", TypeId::string, false},
               {"ver", TypeId::int64},
               {"note", TypeId::string}};
  auto w = conn_->change_writer(t("u"), *s, {.key = {"code", "region"}, .version_column = "ver"});
  w->apply(batch(s, {{U, {"a", "eu", 1, "1"}}, {U, {"a", "us", 1, "2"}}}));
  w->apply(batch(s, {{U, {"a", "eu", 2, "3"}}, {R, {"a", "us", 0, nullptr}}}));
  w->commit();
  auto r = conn_->query("SELECT code, region, ver, note FROM " + t("u") + " ORDER BY region");
  EXPECT_EQ(collect_rows(*r),
            (std::vector<std::vector<Value>>{{"a", "eu", 2, "3"}, {"a", "us", 1, "2"}}));
}

TEST_F(PgChanges, APartitionedTable) {
  conn_->execute("CREATE TABLE " + t("p") +
                 " (id bigint PRIMARY KEY, note text) PARTITION BY RANGE (id)");
  conn_->execute("CREATE TABLE " + t("p_low") + " PARTITION OF " + t("p") +
                 " FOR VALUES FROM (MINVALUE) TO (100)");
  conn_->execute("CREATE TABLE " + t("p_high") + " PARTITION OF " + t("p") +
                 " FOR VALUES FROM (100) TO (MAXVALUE)");
  auto s = id_note();
  auto w = conn_->change_writer(t("p"), *s, {});
  w->apply(batch(s, {{U, {1, "a"}}, {U, {150, "b"}}, {U, {99, "c"}}}));
  w->apply(batch(s, {{U, {150, "b2"}}, {R, {99, nullptr}}}));
  w->commit();
  auto r = conn_->query("SELECT id, note FROM " + t("p") + " ORDER BY id");
  EXPECT_EQ(collect_rows(*r), (std::vector<std::vector<Value>>{{1, "a"}, {150, "b2"}}));
}

TEST_F(PgChanges, AViewIsRefused) {
  conn_->execute("CREATE TABLE " + t("base") + " (id bigint PRIMARY KEY, note text)");
  conn_->execute("CREATE VIEW " + t("v") + " AS SELECT * FROM " + t("base"));
  std::string message;
  EXPECT_EQ(code_of([&] { conn_->change_writer(t("v"), *id_note(), {}); }, &message),
            ErrorCode::invalid_argument);
  EXPECT_NE(message.find("not a table"), std::string::npos) << message;
}

TEST_F(PgChanges, CaseSensitiveNames) {
  conn_->execute("CREATE TABLE " + t("\"Mixed\"") +
                 " (\"Id\" bigint PRIMARY KEY, \"Note\" text, note text)");
  auto s = std::make_shared<Schema>();
  s->fields = {{"Id", TypeId::int64, false}, {"Note", TypeId::string}, {"note", TypeId::string}};
  s->primary_key = {"Id"};
  auto w = conn_->change_writer(t("\"Mixed\""), *s, {});
  w->apply(batch(s, {{U, {1, "upper", "lower"}}}));
  w->commit();
  auto r = conn_->query("SELECT \"Id\", \"Note\", note FROM " + t("\"Mixed\""));
  EXPECT_EQ(collect_rows(*r), (std::vector<std::vector<Value>>{{1, "upper", "lower"}}));
}

TEST_F(PgChanges, AConstraintBreakIsAConflictAndRollsBack) {
  conn_->execute("CREATE TABLE " + t("c") + " (id bigint PRIMARY KEY, note text NOT NULL)");
  auto s = id_note();
  auto w = conn_->change_writer(t("c"), *s, {});
  w->apply(batch(s, {{U, {1, "kept"}}}));
  w->commit();
  std::string message;
  EXPECT_EQ(code_of(
                [&] {
                  w->apply(batch(s, {{U, {2, "x"}}, {U, {3, nullptr}}}));
                },
                &message),
            ErrorCode::conflict);
  EXPECT_NE(message.find("note"), std::string::npos) << message;
  EXPECT_EQ(code_of([&] { w->commit(); }), ErrorCode::invalid_argument)
      << "a failed apply() leaves the writer aborted";
  w.reset();
  EXPECT_EQ(count(t("c")), 1) << "the connection is usable again";
}

TEST_F(PgChanges, ValuesConvertToTheStoredColumnTypes) {
  conn_->execute("CREATE TABLE " + t("conv") +
                 " (id integer PRIMARY KEY, n bigint, at timestamptz)");
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::string, false}, {"n", TypeId::string}, {"at", TypeId::string}};
  s->primary_key = {"id"};
  auto w = conn_->change_writer(t("conv"), *s, {});
  // A remove's cells other than the key are not read: not even converted.
  w->apply(batch(
      s, {{U, {"7", "42", "2024-01-31 12:00:00+00:00"}}, {R, {"8", "not a number", nullptr}}}));
  w->commit();
  auto r = conn_->query("SELECT id, n FROM " + t("conv"));
  EXPECT_EQ(collect_rows(*r), (std::vector<std::vector<Value>>{{7, 42}}));
  std::string message;
  EXPECT_EQ(code_of(
                [&] {
                  w->apply(batch(s, {{U, {"9", "x", nullptr}}}));
                },
                &message),
            ErrorCode::type_mismatch);
  EXPECT_NE(message.find("'n'"), std::string::npos) << message;
  w.reset();
  EXPECT_EQ(count(t("conv")), 1);
}

// Batches bigger than the COPY buffer (sent in parts), and a commit leaves no
// staging table behind.
TEST_F(PgChanges, LargeBatchesStreamThroughCopy) {
  conn_->execute("CREATE TABLE " + t("big") + " (id bigint PRIMARY KEY, note text)");
  auto s = id_note();
  auto w = conn_->change_writer(t("big"), *s, {});
  const std::string pad(60, 'p');
  for (int round = 0; round < 2; ++round) {
    ChangeBatch b{Batch(s), {}};
    for (int64_t i = 0; i < 40000; ++i) {
      const bool remove = round == 1 && i % 4 == 0;
      b.rows.append_row(
          std::vector<Value>{i, remove ? Value() : Value(pad + std::to_string(round))});
      b.ops.push_back(remove ? ChangeOp::remove : ChangeOp::upsert);
    }
    w->apply(b);
  }
  const ChangeResult r = w->commit();
  EXPECT_EQ(r.upserts, 70000u);
  EXPECT_EQ(r.removes, 10000u);
  EXPECT_EQ(count(t("big")), 30000);
  EXPECT_EQ(count(t("big") + " WHERE note = '" + pad + "1'"), 30000);
  auto tmp = conn_->query(
      "SELECT count(*) FROM pg_catalog.pg_class WHERE relname LIKE '\\_polydb\\_changes\\_%' "
      "AND relnamespace = pg_catalog.pg_my_temp_schema()");
  EXPECT_EQ(collect_rows(*tmp).at(0).at(0).as<int64_t>(), 0);
}

}  // namespace
}  // namespace polydb::pgtest
