// SQLite-specific behaviour beyond the conformance suite: URL forms, errors,
// isolation of writers, reading tables that other tools wrote.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "polydb/config.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb {
namespace {

class SqliteConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "polydb-sqlite-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string url(const std::string& file, const std::string& opts = "?mode=rwc") const {
    return "sqlite://" + (dir_ / file).string() + opts;
  }
  static ErrorCode code_of(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::internal;
  }
  std::filesystem::path dir_;
};

TEST_F(SqliteConnectionTest, MissingFileIsNotFoundAndNotCreated) {
  const std::string u = url("missing.db", "");
  try {
    connect(u);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
    EXPECT_NE(e.message().find("does not exist"), std::string::npos) << e.message();
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "missing.db"));
}

TEST_F(SqliteConnectionTest, NotADatabaseIsCorruption) {
  std::ofstream(dir_ / "junk.db") << "this is not a database, just text. " << std::string(600, 'x');
  EXPECT_EQ(code_of([&] { connect(url("junk.db", "")); }), ErrorCode::corruption);
}

TEST_F(SqliteConnectionTest, UrlFormsPathsAndNames) {
  auto c = connect(url("a.db"));
  c->execute("CREATE TABLE t (x INTEGER)");
  EXPECT_EQ(connect((dir_ / "a.db").string())->list_tables().size(), 1u) << "plain file path";
  EXPECT_EQ(connect("sqlite::memory:")->list_tables().size(), 0u);
  const Config cfg = Config::parse("connections:\n  a: 'sqlite://" + (dir_ / "a.db").string() + "'\n");
  EXPECT_EQ(connect("a", {.config = &cfg})->list_tables().at(0).name, "t");
  EXPECT_EQ(code_of([&] { connect("nosuchname"); }), ErrorCode::not_found);
  EXPECT_EQ(code_of([&] { connect("foo://x"); }), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of([&] { connect(url("a.db", "?mode=bogus")); }), ErrorCode::invalid_argument);
}

TEST_F(SqliteConnectionTest, ReadOnlyModeRefusesWrites) {
  connect(url("ro.db"))->execute("CREATE TABLE t (x INTEGER)");
  auto ro = connect(url("ro.db", "?mode=ro"));
  EXPECT_EQ(code_of([&] { ro->execute("INSERT INTO t VALUES (1)"); }), ErrorCode::io);
}

TEST_F(SqliteConnectionTest, ReplaceIsInvisibleToOtherConnectionsUntilCommit) {
  auto writer_conn = connect(url("r.db"));
  writer_conn->execute("CREATE TABLE t (x INTEGER)");
  writer_conn->execute("INSERT INTO t VALUES (1), (2), (3)");
  writer_conn->execute("PRAGMA journal_mode=WAL");
  auto schema = std::make_shared<Schema>(writer_conn->describe("t"));
  auto w = writer_conn->writer("t", *schema, {WriteMode::replace, {}});
  Batch b(schema);
  for (int64_t i = 100; i < 200; ++i) b.append_row(std::vector<Value>{i});
  w->write(b);
  auto reader_conn = connect(url("r.db"));
  EXPECT_EQ(reader_conn->count_rows("t"), 3u) << "old contents while the replace is in flight";
  EXPECT_EQ(reader_conn->list_tables().size(), 1u) << "the side table is not visible";
  w->commit();
  EXPECT_EQ(reader_conn->count_rows("t"), 100u);
}

TEST_F(SqliteConnectionTest, ReadsLooselyTypedTablesFromOtherTools) {
  auto c = connect(url("loose.db"));
  c->execute(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, price DECIMAL(10,2), at DATETIME, d DATE, "
      "flag BOOLEAN, anything)");
  c->execute("INSERT INTO t VALUES (1, 12.5, 1700000000, '2024-02-29', 1, 42)");
  c->execute("INSERT INTO t VALUES (2, '3', '2024-01-02T03:04:05', '2024-03-01 00:00:00', 0, x'00')");
  ScanSpec spec{.table = "t"};
  spec.order_by = {{"id"}};
  auto r = c->scan(spec);
  auto b = r->next();
  ASSERT_TRUE(b.has_value());
  ASSERT_EQ(b->num_rows(), 2u);
  EXPECT_EQ(b->row(0)[1], Value(Decimal{"12.50"})) << "declared scale restored";
  EXPECT_EQ(b->row(1)[1], Value(Decimal{"3.00"})) << "NUMERIC affinity stored 3 as INTEGER";
  EXPECT_EQ(b->row(0)[2].to_text(), "2023-11-14 22:13:20");
  EXPECT_EQ(b->row(1)[2].to_text(), "2024-01-02 03:04:05");
  EXPECT_EQ(b->row(1)[3].to_text(), "2024-03-01");
  EXPECT_EQ(b->row(0)[4], Value(true));
  EXPECT_EQ(b->row(0)[5], Value("42"));
  EXPECT_EQ(c->describe("t").primary_key, std::vector<std::string>{"id"});
}

// Found by the TPC-H benchmark: a PostgreSQL char(n) column copied into a new
// SQLite table kept its padded values but lost their comparison rule, so
// n_name = 'FRANCE' matched nothing there.
TEST_F(SqliteConnectionTest, CreatedTablesKeepTheTextComparisonRule) {
  auto c = connect(url("coll.db"));
  Schema schema;
  schema.fields = {{"padded", TypeId::string, true, "character(10)"},
                   {"nocase", TypeId::string, true, "TEXT"},
                   {"plain", TypeId::string, true, "text"}};
  schema.fields[0].collation = Collation::pad_space;
  schema.fields[1].collation = Collation::nocase;
  c->create_table("t", schema);
  c->execute("INSERT INTO t VALUES ('FRANCE    ', 'France', 'FRANCE    ')");
  const auto count = [&](const std::string& where) {
    auto r = c->query("SELECT COUNT(*) FROM t WHERE " + where);
    return r->next()->row(0)[0].as<int64_t>();
  };
  EXPECT_EQ(count("padded = 'FRANCE'"), 1);
  EXPECT_EQ(count("nocase = 'FRANCE'"), 1);
  EXPECT_EQ(count("plain = 'FRANCE'"), 0);
  const Schema back = c->describe("t");
  EXPECT_EQ(back.fields[0].collation, Collation::pad_space);
  EXPECT_EQ(back.fields[1].collation, Collation::nocase);
  EXPECT_EQ(back.fields[2].collation, Collation::binary);
}

TEST_F(SqliteConnectionTest, UnreadableCellNamesTheColumn) {
  auto c = connect(url("bad.db"));
  c->execute("CREATE TABLE t (n INTEGER)");
  c->execute("INSERT INTO t VALUES ('twelve')");
  auto r = c->scan({.table = "t"});
  try {
    r->next();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::type_mismatch);
    EXPECT_NE(e.message().find("'n'"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("twelve"), std::string::npos) << e.message();
  }
}

TEST_F(SqliteConnectionTest, QueryInfersTypesOfExpressions) {
  auto c = connect("sqlite::memory:");
  auto r = c->query("SELECT 1 AS a, 2.5 AS b, 'x' AS c, x'0102' AS d, NULL AS e");
  const Schema& s = r->schema();
  EXPECT_EQ(s.fields[0].type, Type(TypeId::int64));
  EXPECT_EQ(s.fields[1].type, Type(TypeId::float64));
  EXPECT_EQ(s.fields[2].type, Type(TypeId::string));
  EXPECT_EQ(s.fields[3].type, Type(TypeId::bytes));
  EXPECT_EQ(s.fields[4].type, Type(TypeId::string));
  EXPECT_EQ(code_of([&] { c->query("SELECT 1; SELECT 2"); }), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of([&] { c->query("SELECT ?1", {}); }), ErrorCode::invalid_argument);
}

TEST_F(SqliteConnectionTest, QuotedIdentifiersAndAttachedSchemas) {
  auto c = connect(url("q.db"));
  auto schema = std::make_shared<Schema>();
  schema->fields = {{"we\"ird col", TypeId::string, true, ""}, {"select", TypeId::int64, true, ""}};
  Batch b(schema);
  b.append_row(std::vector<Value>{"v", int64_t{1}});
  auto w = c->writer("my table", *schema, {WriteMode::create, {}});
  w->write(b);
  w->commit();
  EXPECT_EQ(c->count_rows("main.my table"), 1u);
  auto r = c->scan({.table = "my table", .columns = {"select"}});
  EXPECT_EQ(r->next()->row(0)[0], Value(int64_t{1}));
}

}  // namespace
}  // namespace polydb
