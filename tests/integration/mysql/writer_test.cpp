// MySQL / MariaDB writes against the real server: LOAD DATA and its INSERT
// fallback, values that do not fit, replace and upsert, and scan pushdown.

#include <cmath>
#include <sstream>

#include "fixture.hpp"

namespace polydb::mytest {
namespace {

std::shared_ptr<Schema> kv_schema() {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""}, {"v", TypeId::string, true, ""}};
  s->primary_key = {"id"};
  return s;
}

Batch kv(int64_t from, int64_t to, const std::string& tag = "v") {
  Batch b(kv_schema());
  for (int64_t i = from; i <= to; ++i) b.append_row(std::vector<Value>{i, tag + std::to_string(i)});
  return b;
}

using MysqlWriter = MysqlTest;

// Turns the server's local_infile off for one test and back on afterwards.
class MysqlWithoutLocalInfile : public MysqlTest {
 protected:
  void SetUp() override {
    MysqlTest::SetUp();
    conn_->execute("SET GLOBAL local_infile = 0");
  }
  void TearDown() override {
    connect(server_)->execute("SET GLOBAL local_infile = 1");
    MysqlTest::TearDown();
  }
};

TEST_F(MysqlWithoutLocalInfile, WritersFallBackToInsert) {
  auto c = connect(url_);
  EXPECT_EQ(write(*c, "t", kv(1, 2500), WriteMode::create), 2500u);
  EXPECT_EQ(write(*c, "t", kv(2000, 3000, "new"), WriteMode::upsert), 1001u);
  EXPECT_EQ(client("SELECT COUNT(*), SUM(v LIKE 'new%') FROM t"), "3000\t1001\n");
  // Errors keep their row and column.
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""}, {"n", TypeId::int64, true, ""}};
  c->execute("CREATE TABLE small (id INT PRIMARY KEY, n TINYINT)");
  Batch b(s);
  b.append_row(std::vector<Value>{int64_t{1}, int64_t{1}});
  b.append_row(std::vector<Value>{int64_t{2}, int64_t{1000}});
  const Error e = error_of([&] { write(*c, "small", b); });
  EXPECT_EQ(e.code(), ErrorCode::type_mismatch) << e.what();
  EXPECT_NE(e.message().find("'n'"), std::string::npos) << e.what();
  EXPECT_EQ(c->count_rows("small"), 0u);
  // Notes count too: a decimal the column would round is refused.
  c->execute("CREATE TABLE money (id INT PRIMARY KEY, amount DECIMAL(5,2))");
  auto ms = std::make_shared<Schema>();
  ms->fields = {{"id", TypeId::int64, false, ""}, {"amount", TypeId::decimal, true, ""}};
  Batch m(ms);
  m.append_row(std::vector<Value>{int64_t{1}, Decimal{"1.005"}});
  const Error rounded = error_of([&] { write(*c, "money", m); });
  EXPECT_EQ(rounded.code(), ErrorCode::type_mismatch) << rounded.what();
  EXPECT_NE(rounded.message().find("'amount'"), std::string::npos) << rounded.what();
  EXPECT_EQ(c->count_rows("money"), 0u);
  // The writes above went through while the server refused LOAD DATA LOCAL.
  EXPECT_EQ(collect_rows(*c->query("SELECT @@GLOBAL.local_infile")).at(0).at(0), Value(int64_t{0}));
}

TEST_F(MysqlWriter, ServerCannotReadOtherLocalFiles) {
  conn_->execute("CREATE TABLE f (line TEXT)");
  // Only the rows a writer offers are ever sent; a statement naming a file is refused.
  const Error e =
      error_of([&] { conn_->execute("LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE f"); });
  EXPECT_NE(e.code(), ErrorCode::internal) << e.what();
  EXPECT_NE(e.message().find("did not offer"), std::string::npos) << e.what();
  EXPECT_EQ(conn_->count_rows("f"), 0u);
  EXPECT_EQ(write(*conn_, "t", kv(1, 3), WriteMode::create), 3u) << "still usable";
}

TEST_F(MysqlWriter, ValuesThatDoNotFitNameTheirColumnAndRow) {
  conn_->execute(
      "CREATE TABLE narrow (id INT PRIMARY KEY, code VARCHAR(3), amount DECIMAL(5,2), "
      "n SMALLINT UNSIGNED)");
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""},
               {"code", TypeId::string, true, ""},
               {"amount", TypeId::decimal, true, ""},
               {"n", TypeId::int64, true, ""}};
  const auto one_bad = [&](std::vector<Value> bad, const std::string& column) {
    Batch good(s);
    for (int64_t id : {10, 11, 12})
      good.append_row(std::vector<Value>{id, "abc", Decimal{"1.25"}, int64_t{1}});
    Batch b(s);
    b.append_row(std::vector<Value>{int64_t{1}, "abc", Decimal{"1.25"}, int64_t{1}});
    b.append_row(std::vector<Value>{int64_t{2}, "xyz", Decimal{"2.50"}, int64_t{2}});
    b.append_row(std::move(bad));
    auto w = conn_->writer("narrow", *s, {WriteMode::append, {}});
    w->write(good);
    const Error e = error_of([&] {
      w->write(b);
      w->commit();
    });
    EXPECT_EQ(e.code(), ErrorCode::type_mismatch) << column << ": " << e.what();
    EXPECT_NE(e.message().find("'" + column + "'"), std::string::npos) << e.what();
    EXPECT_NE(e.message().find("row 6"), std::string::npos)
        << "rows count across batches: " << e.what();
  };
  one_bad({int64_t{3}, "abcd", Value(), Value()}, "code");                // too long
  one_bad({int64_t{3}, Value(), Decimal{"1.005"}, Value()}, "amount");    // would round
  one_bad({int64_t{3}, Value(), Decimal{"1000.00"}, Value()}, "amount");  // out of range
  one_bad({int64_t{3}, Value(), Value(), int64_t{-1}}, "n");              // negative unsigned
  EXPECT_EQ(conn_->count_rows("narrow"), 0u) << "nothing of a failed writer survives";
}

TEST_F(MysqlWriter, DuplicateKeysInAppendAreAConflict) {
  write(*conn_, "t", kv(1, 10), WriteMode::create);
  auto w = conn_->writer("t", *kv_schema(), {WriteMode::append, {}});
  const Error e = error_of([&] { w->write(kv(8, 12)); });
  EXPECT_EQ(e.code(), ErrorCode::conflict) << e.what();
  EXPECT_NE(e.message().find("Duplicate entry '8'"), std::string::npos) << e.what();
  w.reset();
  EXPECT_EQ(conn_->count_rows("t"), 10u);
}

TEST_F(MysqlWriter, CreateAbortedLeavesNoTable) {
  {
    auto w = conn_->writer("fresh", *kv_schema(), {WriteMode::create, {}});
    w->write(kv(1, 5));
  }
  {
    auto w = conn_->writer("fresh2", *kv_schema(), {WriteMode::append, {}});
    w->write(kv(1, 5));
    w->abort();
  }
  EXPECT_TRUE(conn_->list_tables().empty());
}

TEST_F(MysqlWriter, ReplaceSwapsAtomicallyAndCleansOrphans) {
  write(*conn_, "t", kv(1, 10), WriteMode::create);
  // What a replace killed mid-way leaves behind.
  conn_->execute("CREATE TABLE _polydb_new_t_deadbeef (x INT)");
  conn_->execute("CREATE TABLE _polydb_new_tt_deadbeef (x INT)");  // another table's
  // A failing replace leaves the table as it was.
  {
    auto s = std::make_shared<Schema>();
    s->fields = {{"id", TypeId::int64, false, ""}, {"v", TypeId::float64, true, ""}};
    Batch bad(s);
    bad.append_row(std::vector<Value>{int64_t{1}, std::nan("")});
    auto w = conn_->writer("t", *s, {WriteMode::replace, {}});
    EXPECT_EQ(error_of([&] { w->write(bad); }).code(), ErrorCode::type_mismatch);
  }
  EXPECT_EQ(conn_->count_rows("t"), 10u);
  write(*conn_, "t", kv(100, 102, "r"), WriteMode::replace);
  EXPECT_EQ(client("SELECT GROUP_CONCAT(v ORDER BY id) FROM t"), "r100,r101,r102\n");
  std::vector<std::string> names;
  for (const auto& t : conn_->list_tables()) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"_polydb_new_tt_deadbeef", "t"}));
  // A replace into a table that does not exist yet creates it.
  write(*conn_, "brand_new", kv(1, 2), WriteMode::replace);
  EXPECT_EQ(conn_->count_rows("brand_new"), 2u);
}

TEST_F(MysqlWriter, UpsertByPrimaryKeyOrUniqueIndex) {
  conn_->execute(
      "CREATE TABLE p (id INT PRIMARY KEY, email VARCHAR(50) NOT NULL UNIQUE, name TEXT)");
  client("INSERT INTO p VALUES (1, 'a@x', 'Ann'), (2, 'b@x', 'Bob')");
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""},
               {"email", TypeId::string, false, ""},
               {"name", TypeId::string, true, ""}};
  Batch b(s);
  b.append_row(std::vector<Value>{int64_t{2}, "b@x", "Bobby"});
  b.append_row(std::vector<Value>{int64_t{3}, "c@x", "Cy"});
  b.append_row(std::vector<Value>{int64_t{3}, "c@x", "Cyd"});  // the last one wins
  write(*conn_, "p", b, WriteMode::upsert);
  write(*conn_, "p", b, WriteMode::upsert, {"email"});
  EXPECT_EQ(client("SELECT id, name FROM p ORDER BY id"), "1\tAnn\n2\tBobby\n3\tCyd\n");
  const Error e = error_of([&] { write(*conn_, "p", b, WriteMode::upsert, {"name"}); });
  EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << e.what();
  EXPECT_NE(e.message().find("unique index"), std::string::npos) << e.what();
  EXPECT_EQ(conn_->list_tables().size(), 1u) << "no staging table left";
}

TEST_F(MysqlWriter, TextFiltersFollowTheCollationAndOrderIsBytewise) {
  conn_->execute(
      "CREATE TABLE ci (id INT PRIMARY KEY, s VARCHAR(10) COLLATE utf8mb4_general_ci, "
      "KEY (s))");
  client("INSERT INTO ci VALUES (1, 'a'), (2, 'A'), (3, 'a '), (4, 'b'), (5, 'B'), (6, 'ä')");
  EXPECT_EQ(conn_->describe("ci").fields[1].collation, Collation::case_insensitive_pad_space);
  EXPECT_EQ(conn_->describe("ci").fields[1].collation_name, "utf8mb4_general_ci");
  const auto ids = [&](const std::string& where) {
    auto r = conn_->scan({.table = "ci", .filter = parse_filter(where), .order_by = {{"id"}}});
    EXPECT_TRUE(r->plan().filter_pushed) << where;
    std::vector<int64_t> out;
    for (const auto& row : collect_rows(*r)) out.push_back(row[0].as<int64_t>());
    return out;
  };
  // The server's own rules, checked against the server's own answer: case
  // and trailing blanks are insignificant, and general_ci folds 'ä' to 'a'.
  for (const std::string where : {"s = 'a'", "s = 'a   '", "s IN ('A', 'b')", "s > 'a'",
                                  "NOT s = 'a'", "s = 'Ä'", "s <> 'B'"}) {
    std::vector<int64_t> expected;
    std::istringstream in(client("SELECT id FROM ci WHERE " + where + " ORDER BY id"));
    for (int64_t id; in >> id;) expected.push_back(id);
    EXPECT_EQ(ids(where), expected) << where;
  }
  EXPECT_EQ(ids("s = 'a'"), (std::vector<int64_t>{1, 2, 3, 6}));
  auto r = conn_->scan({.table = "ci", .order_by = {{"s"}}});
  std::vector<int64_t> order;
  for (const auto& row : collect_rows(*r)) order.push_back(row[0].as<int64_t>());
  EXPECT_EQ(order, (std::vector<int64_t>{2, 5, 1, 3, 4, 6}));  // 'A' 'B' 'a' 'a ' 'b' 'ä'
}

TEST_F(MysqlWriter, PartitionsWithoutAnIntegerKeyHash) {
  conn_->execute("CREATE TABLE h (k VARCHAR(10) PRIMARY KEY, v INT)");
  conn_->execute("CREATE TABLE nokey (a INT, b TEXT)");
  std::string values, nokey;
  for (int i = 0; i < 300; ++i) {
    values += (i ? "," : "") + ("('k" + std::to_string(i) + "'," + std::to_string(i) + ")");
    nokey += (i ? "," : "") + ("(" + std::to_string(i % 7) + ", NULL)");
  }
  client("INSERT INTO h VALUES " + values + "; INSERT INTO nokey VALUES " + nokey);
  for (const std::string& table : {std::string("h"), std::string("nokey")}) {
    size_t total = 0;
    for (uint32_t k = 0; k < 3; ++k) {
      ScanSpec spec{.table = table};
      spec.partition = {k, 3};
      auto r = conn_->scan(spec);
      EXPECT_NE(r->plan().native.find("CRC32"), std::string::npos) << r->plan().native;
      total += collect_rows(*r).size();
    }
    EXPECT_EQ(total, 300u) << table;
  }
}

TEST_F(MysqlWriter, LargeValuesAndManyBatches) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""}, {"blob", TypeId::bytes, true, ""}};
  s->primary_key = {"id"};
  auto w = conn_->writer("big", *s, {WriteMode::create, {}});
  for (int batch = 0; batch < 4; ++batch) {
    Batch b(s);
    for (int i = 0; i < 3; ++i) {
      std::string data(1 << 20, '\0');
      for (size_t j = 0; j < data.size(); ++j) data[j] = static_cast<char>((j * 7 + i) % 256);
      b.append_row(std::vector<Value>{int64_t{batch * 3 + i}, Bytes{std::move(data)}});
    }
    w->write(b);
  }
  EXPECT_EQ(w->commit().rows, 12u);
  auto r = conn_->scan({.table = "big", .order_by = {{"id"}}, .batch_rows = 5});
  size_t batches = 0;
  const auto rows = collect_rows(*r, &batches);
  ASSERT_EQ(rows.size(), 12u);
  EXPECT_EQ(batches, 3u);
  EXPECT_EQ(rows[7][1].as<Bytes>().data.size(), size_t{1} << 20);
  EXPECT_EQ(rows[7][1].as<Bytes>().data[100], static_cast<char>((100 * 7 + 1) % 256));
}

}  // namespace
}  // namespace polydb::mytest
