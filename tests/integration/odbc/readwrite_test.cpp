// Reads and writes through ODBC: LOBs larger than the SQLGetData chunk,
// parameter arrays split by size, upserts in each dialect, hash partitions,
// pushed-down filters.

#include <gtest/gtest.h>

#include <chrono>

#include "fixture.hpp"

namespace polydb::odbctest {
namespace {

using ReadWriteTest = OdbcTest;

std::shared_ptr<Schema> kv_schema(Type value_type) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""}, {"v", value_type, true, ""}};
  s->primary_key = {"id"};
  return s;
}

// id, t (text), b (bytes), n.
std::shared_ptr<Schema> lob_schema() {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""},
               {"t", TypeId::string, true, ""},
               {"b", TypeId::bytes, true, ""},
               {"n", TypeId::int64, true, ""}};
  s->primary_key = {"id"};
  return s;
}

// Creates `t` from `batch`, then reads it back by id in batches of `batch_rows`.
std::vector<std::vector<Value>> write_and_read(Connection& conn, const std::string& t,
                                               const Batch& batch, size_t batch_rows,
                                               size_t& batches) {
  auto w = conn.writer(t, batch.schema(), {WriteMode::create, {}});
  w->write(batch);
  w->commit();
  ScanSpec spec{.table = t};
  spec.order_by = {{"id"}};
  spec.batch_rows = batch_rows;
  auto r = conn.scan(spec);
  return collect_rows(*r, &batches);
}

TEST_P(ReadWriteTest, LargeObjectsComeBackWholeAcrossChunks) {
  // 64 KiB chunks: these span many, and split multibyte characters and
  // UTF-16 surrogate pairs at chunk edges.
  std::string text;
  while (text.size() < 300'000) text += "ä世🎉x";
  std::string blob(200'001, '\0');
  for (size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<char>(i * 7 % 256);
  auto s = lob_schema();
  Batch batch(s);
  for (int64_t i = 1; i <= 5; ++i)
    batch.append_row(std::vector<Value>{i, text + std::to_string(i), Bytes{blob}, i * 10});
  size_t batches = 0;
  const std::string t = table("lobs");
  const auto rows = write_and_read(*conn_, t, batch, 2, batches);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(batches, 3u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(rows[i][1].as<std::string>(), text + std::to_string(i + 1));
    EXPECT_EQ(rows[i][2].as<Bytes>().data, blob);
    EXPECT_EQ(rows[i][3], Value(static_cast<int64_t>((i + 1) * 10)));
  }
  auto q = conn_->query("SELECT t, b FROM " + t + " WHERE id = ?", std::vector<Value>{int64_t{3}});
  const auto one = collect_rows(*q);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0][0].as<std::string>(), text + "3");
}

TEST_P(ReadWriteTest, ShortAndLongValuesOfUnboundedColumnsShareRowArrays) {
  // Unbounded columns are bound with a first-guess cell: the longer values
  // are read again with SQLGetData, in place, between short ones and NULLs.
  auto s = lob_schema();
  const auto text_of = [](int64_t i) {
    std::string t = i % 5 == 0 ? "" : "é" + std::to_string(i);
    if (i % 7 == 0)
      while (t.size() < 9000) t += "世🎉";
    return t;
  };
  const auto bytes_of = [](int64_t i) {
    return std::string(i % 6 == 0 ? 5000 + static_cast<size_t>(i) : static_cast<size_t>(i),
                       static_cast<char>(i));
  };
  Batch batch(s);
  for (int64_t i = 1; i <= 60; ++i) {
    std::vector<Value> row{i, text_of(i), Bytes{bytes_of(i)}, i * 10};
    if (i % 11 == 0) row[1] = Value();
    if (i % 13 == 0) row[2] = Value();
    batch.append_row(row);
  }
  size_t batches = 0;
  const auto rows = write_and_read(*conn_, table("mixed_lobs"), batch, 25, batches);
  ASSERT_EQ(rows.size(), 60u);
  EXPECT_EQ(batches, 3u);
  for (int64_t i = 1; i <= 60; ++i) {
    const auto& row = rows[static_cast<size_t>(i - 1)];
    EXPECT_EQ(row[0], Value(i));
    if (i % 11 == 0)
      EXPECT_TRUE(row[1].is_null()) << i;
    else
      EXPECT_EQ(row[1].as<std::string>(), text_of(i)) << i;
    if (i % 13 == 0)
      EXPECT_TRUE(row[2].is_null()) << i;
    else
      EXPECT_EQ(row[2].as<Bytes>().data, bytes_of(i)) << i;
    EXPECT_EQ(row[3], Value(i * 10)) << i;
  }
}

TEST_P(ReadWriteTest, DecimalsWiderThanTheirCellComeBackWhole) {
  // Decimals are bound as 160-character text. PostgreSQL's unconstrained
  // numeric holds more: psqlODBC re-reads such a value with SQLGetData.
  const std::string digits(is_postgres() ? 200 : 35, '9');
  const std::string type = is_postgres() ? "numeric" : "DECIMAL(65,30)";
  auto r = conn_->query("SELECT CAST('" + digits + ".5' AS " + type + ") AS n");
  const auto rows = collect_rows(*r);
  ASSERT_EQ(rows.size(), 1u);
  const std::string want = digits + (is_postgres() ? ".5" : ".5" + std::string(29, '0'));
  EXPECT_EQ(rows[0][0].to_text(), want);
}

TEST_P(ReadWriteTest, ParameterArraysSplitByBytesAndNameTheBadRow) {
  const std::string t = table("params");
  auto s = kv_schema(TypeId::string);
  // 12 rows of 4 MB: more than one execution's 32 MiB of parameter buffers.
  Batch big(s);
  for (int64_t i = 1; i <= 12; ++i)
    big.append_row(std::vector<Value>{i, std::string(4u << 20, static_cast<char>('a' + i))});
  Batch many(s);
  for (int64_t i = 100; i < 20100; ++i) many.append_row(std::vector<Value>{i, "row"});
  {
    auto w = conn_->writer(t, *s, {WriteMode::create, {}});
    w->write(big);
    w->write(many);
    EXPECT_EQ(w->commit().rows, 20012u);
  }
  EXPECT_EQ(conn_->count_rows(t), 20012u);
  auto q = conn_->query("SELECT v FROM " + t + " WHERE id = ?", std::vector<Value>{int64_t{12}});
  EXPECT_EQ(collect_rows(*q).at(0).at(0).as<std::string>(), std::string(4u << 20, 'a' + 12));

  // A duplicate key in the middle of an array: the error names the row, and
  // the whole writer rolls back.
  Batch dup(s);
  for (int64_t i = 50000; i < 50010; ++i) dup.append_row(std::vector<Value>{i, "x"});
  dup.append_row(std::vector<Value>{int64_t{100}, "dup"});
  auto w = conn_->writer(t, *s, {WriteMode::append, {}});
  try {
    w->write(dup);
    FAIL() << "duplicate key accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::conflict) << e.what();
    EXPECT_NE(e.message().find("row"), std::string::npos) << e.what();
  }
  w.reset();
  EXPECT_EQ(conn_->count_rows(t), 20012u);
}

TEST_P(ReadWriteTest, UpsertInTheServersDialect) {
  const std::string t = table("upsert");
  auto s = std::make_shared<Schema>();
  s->fields = {{"a", TypeId::int64, false, ""},
               {"b", TypeId::string, false, ""},
               {"v", TypeId::float64, true, ""}};
  s->primary_key = {"a", "b"};
  Batch first(s), second(s);
  first.append_row(std::vector<Value>{int64_t{1}, "x", 1.0});
  first.append_row(std::vector<Value>{int64_t{1}, "y", 2.0});
  second.append_row(std::vector<Value>{int64_t{1}, "y", 20.0});
  second.append_row(std::vector<Value>{int64_t{2}, "x", 30.0});
  for (const Batch* b : {&first, &second}) {
    auto w = conn_->writer(t, *s, {WriteMode::upsert, {}});
    w->write(*b);
    w->commit();
  }
  auto r = conn_->query("SELECT a, b, v FROM " + t + " ORDER BY a, b");
  const auto rows = collect_rows(*r);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][2], Value(1.0));
  EXPECT_EQ(rows[1][2], Value(20.0));
  EXPECT_EQ(rows[2][2], Value(30.0));
  EXPECT_EQ(conn_->ping().server_version.rfind(GetParam().dbms, 0), 0u)
      << conn_->ping().server_version;
}

TEST_P(ReadWriteTest, UpsertOfAKeyTwiceInABatchKeepsTheLaterRow) {
  // More rows than one statement takes (500 here): keys repeated across
  // multi-row statements, then within them (PostgreSQL's ON CONFLICT would
  // fail on those: they go row by row), and the later row always wins.
  const std::string t = table("upsert_twice");
  auto s = kv_schema(TypeId::string);
  const auto value_of = [&](int64_t id) {
    auto q = conn_->query("SELECT v FROM " + t + " WHERE id = ?", std::vector<Value>{id});
    return collect_rows(*q).at(0).at(0).as<std::string>();
  };
  for (const auto& [prefix, keys] :
       std::vector<std::pair<std::string, int64_t>>{{"a", 700}, {"b", 300}}) {
    Batch b(s);
    for (int64_t i = 0; i < 1500; ++i)
      b.append_row(std::vector<Value>{i % keys, prefix + std::to_string(i)});
    auto w = conn_->writer(t, *s, {WriteMode::upsert, {}});
    w->write(b);
    EXPECT_EQ(w->commit().rows, 1500u);
  }
  EXPECT_EQ(conn_->count_rows(t), 700u);
  EXPECT_EQ(value_of(5), "b1205");
  EXPECT_EQ(value_of(650), "a1350");
}

TEST_P(ReadWriteTest, HashPartitionsOfATextKeyCoverEveryRowOnce) {
  const std::string t = table("parts");
  auto s = std::make_shared<Schema>();
  s->fields = {{"k", TypeId::string, false, ""}, {"n", TypeId::int64, true, ""}};
  s->primary_key = {"k"};
  Batch b(s);
  for (int64_t i = 0; i < 1000; ++i) b.append_row(std::vector<Value>{"key" + std::to_string(i), i});
  auto w = conn_->writer(t, *s, {WriteMode::create, {}});
  w->write(b);
  w->commit();
  int64_t sum = 0;
  size_t rows = 0;
  for (uint32_t k = 0; k < 4; ++k) {
    ScanSpec spec{.table = t};
    spec.partition = {k, 4};
    auto r = conn_->scan(spec);
    for (const auto& row : collect_rows(*r)) sum += row[1].as<int64_t>(), ++rows;
  }
  EXPECT_EQ(rows, 1000u);
  EXPECT_EQ(sum, 999 * 1000 / 2);
}

TEST_P(ReadWriteTest, FiltersArePushedAndExact) {
  const std::string t = table("filters");
  auto s = kv_schema(TypeId::string);
  Batch b(s);
  for (const auto& [id, v] : std::vector<std::pair<int64_t, std::string>>{
           {1, "a"}, {2, "A"}, {3, "a "}, {4, "b"}, {5, "é"}})
    b.append_row(std::vector<Value>{id, v});
  auto w = conn_->writer(t, *s, {WriteMode::create, {}});
  w->write(b);
  w->commit();
  for (const auto& [where, n] : std::vector<std::pair<std::string, size_t>>{
           {"v = 'a'", 1}, {"v > 'a'", 3}, {"v IN ('A', 'é')", 2}, {"id >= 2 AND v <> 'b'", 3}}) {
    ScanSpec spec{.table = t};
    spec.filter = parse_filter(where);
    auto r = conn_->scan(spec);
    EXPECT_EQ(collect_rows(*r).size(), n) << where;
    EXPECT_TRUE(r->plan().filter_pushed) << where << ": " << r->plan().native;
  }
}

TEST_P(ReadWriteTest, ManyRowsStreamInBatchesOfTheAskedSize) {
  const std::string t = table("stream");
  conn_->execute("CREATE TABLE " + t + " (id bigint PRIMARY KEY, v varchar(20))");
  auto s = kv_schema(TypeId::string);
  Batch b(s);
  for (int64_t i = 0; i < 30000; ++i) b.append_row(std::vector<Value>{i, "v" + std::to_string(i)});
  auto w = conn_->writer(t, *s, {WriteMode::append, {}});
  w->write(b);
  w->commit();
  auto r = conn_->query("SELECT id, v FROM " + t, {}, {.batch_rows = 1000});
  size_t batches = 0, rows = 0;
  while (auto batch = r->next()) {
    EXPECT_LE(batch->num_rows(), 1000u);
    rows += batch->num_rows();
    ++batches;
  }
  EXPECT_EQ(rows, 30000u);
  EXPECT_GE(batches, 30u);
}

// Readers of exclusive queries fill the next row array in a thread of their
// own (QueryOptions::exclusive): the same rows in the same order, errors in
// the middle of the stream, readers dropped half-way.

// `n` numbered rows generated by the server, with a text column.
std::string numbered_rows(bool postgres, int n) {
  const std::string count = std::to_string(n);
  if (postgres)
    return "SELECT x AS id, 'é' || x::text AS v FROM generate_series(1, " + count + ") AS x";
  return "SELECT CAST(seq AS SIGNED) AS id, CONCAT('é', seq) AS v FROM seq_1_to_" + count;
}

TEST_P(ReadWriteTest, PrefetchedReadsReturnEveryRowInOrder) {
  auto r = conn_->query(numbered_rows(is_postgres(), 25000), {},
                        {.batch_rows = 1000, .exclusive = true});
  int64_t want = 1;
  size_t batches = 0;
  while (auto b = r->next()) {
    ++batches;
    for (size_t i = 0; i < b->num_rows(); ++i, ++want) {
      ASSERT_EQ(b->row(i)[0], Value(want));
      ASSERT_EQ(b->row(i)[1], Value("é" + std::to_string(want)));
    }
  }
  EXPECT_EQ(want, 25001);
  EXPECT_GE(batches, 25u);
  EXPECT_FALSE(r->next());
}

// PostgreSQL only: MariaDB reports its run-time errors (a subquery's extra
// row) when the statement executes, before the first row.
TEST(OdbcPrefetchTest, AnErrorInTheMiddleOfAPrefetchedReadIsTheServersError) {
  auto conn = connect(odbc_url(drivers().at(0)));
  // Rows before the failing one arrive first (psqlODBC's cursor fetches 10000
  // at a time), then the error.
  auto r = conn->query("SELECT x, 1 / (x - 25000) AS y FROM generate_series(1, 50000) AS x", {},
                       {.batch_rows = 1000, .exclusive = true});
  size_t rows = 0;
  try {
    while (auto b = r->next()) rows += b->num_rows();
    FAIL() << "the read ended without the server's error after " << rows << " rows";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::type_mismatch) << e.what();  // SQLSTATE 22012
    EXPECT_NE(std::string(e.what()).find("division by zero"), std::string::npos) << e.what();
  }
  EXPECT_GT(rows, 0u);
  EXPECT_LT(rows, 25000u);
  EXPECT_THROW(r->next(), Error);  // never mistaken for the end
}

// Exclusive scans (ScanSpec::exclusive, as `polydb copy` reads) prefetch
// too: ordered, filtered, limited and dropped half-way, they behave as the
// single-threaded scan does.
TEST_P(ReadWriteTest, ExclusiveScansReadAheadAndKeepTheirResult) {
  const std::string t = table("xscan");
  auto s = kv_schema(TypeId::string);
  Batch b(s);
  for (int64_t i = 1; i <= 30000; ++i)
    b.append_row(std::vector<Value>{i, i % 10 == 0 ? Value() : Value("é" + std::to_string(i))});
  auto w = conn_->writer(t, *s, {WriteMode::create, {}});
  w->write(b);
  w->commit();
  for (const bool exclusive : {false, true}) {
    SCOPED_TRACE(exclusive ? "exclusive" : "shared");
    ScanSpec spec{.table = t};
    spec.order_by = {{"id", true}};
    spec.batch_rows = 700;
    spec.exclusive = exclusive;
    auto r = conn_->scan(spec);
    int64_t want = 30000;
    while (auto batch = r->next())
      for (size_t i = 0; i < batch->num_rows(); ++i, --want) {
        ASSERT_EQ(batch->row(i)[0], Value(want));
        ASSERT_EQ(batch->row(i)[1], want % 10 == 0 ? Value() : Value("é" + std::to_string(want)));
      }
    EXPECT_EQ(want, 0);
    spec.order_by.clear();
    spec.filter = parse_filter("id > 100 AND v IS NOT NULL");
    spec.limit = 2500;
    EXPECT_EQ(collect_rows(*conn_->scan(spec)).size(), 2500u);
    spec.filter.reset();
    spec.limit.reset();
    auto dropped = conn_->scan(spec);
    ASSERT_TRUE(dropped->next());
    dropped.reset();  // the producer stops after at most the fetch under way
  }
  auto r = conn_->query("SELECT COUNT(*) FROM " + t, {}, {});
  EXPECT_EQ(r->next()->row(0)[0], Value(int64_t{30000}));
}

TEST_P(ReadWriteTest, APrefetchedReaderDroppedHalfWayLeavesTheConnectionUsable) {
  for (int round = 0; round < 3; ++round) {
    auto r = conn_->query(numbered_rows(is_postgres(), 500000), {},
                          {.batch_rows = 1000, .exclusive = true});
    ASSERT_TRUE(r->next());
    const auto start = std::chrono::steady_clock::now();
    r.reset();  // stops the producer after at most one fetch under way
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  }
  auto r = conn_->query("SELECT 42", {}, {});
  auto b = r->next();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->row(0)[0], Value(int64_t{42}));
}

INSTANTIATE_TEST_SUITE_P(Drivers, ReadWriteTest, ::testing::ValuesIn(drivers()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace polydb::odbctest
