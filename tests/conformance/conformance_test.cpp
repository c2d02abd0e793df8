// The conformance suite: every connector passes the same tests.
// Backends and their quirks come from backends.cpp.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>

#include "backends.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb {
// Readable values in assertion failures.
inline void PrintTo(const Value& v, std::ostream* os) {
  *os << to_string(v.type_id()) << " '" << v.to_text().substr(0, 80) << "'";
}
}  // namespace polydb

namespace polydb::conformance {
namespace {

class Conformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    url_ = GetParam().fresh_url();
    ConnectOptions o;
    o.create_if_missing = true;
    conn_ = connect(url_, o);
    table_ = "conf_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
    for (auto& c : table_)
      // Lowercase: the tests also name the table unquoted in native SQL,
      // which PostgreSQL folds to lower case.
      c = std::isalnum(static_cast<unsigned char>(c))
              ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
              : '_';
    conn_->drop_table(table_, true);
  }
  void TearDown() override {
    if (conn_) conn_->drop_table(table_, true);
  }
  const Quirks& quirks() const { return GetParam().quirks; }

  static std::shared_ptr<Schema> all_types_schema() {
    auto s = std::make_shared<Schema>();
    s->fields = {
        {"id", TypeId::int64, false, ""},
        {"b", TypeId::boolean, true, ""},
        {"i", TypeId::int64, true, ""},
        {"f", TypeId::float64, true, ""},
        {"d", Type(TypeId::decimal, 38, 10), true, ""},
        {"s", TypeId::string, true, ""},
        {"by", TypeId::bytes, true, ""},
        {"dt", TypeId::date, true, ""},
        {"tm", TypeId::time, true, ""},
        {"ts", TypeId::timestamp, true, ""},
        {"tz", TypeId::timestamp_tz, true, ""},
        {"u", TypeId::uuid, true, ""},
        {"j", TypeId::json, true, ""},
    };
    s->primary_key = {"id"};
    return s;
  }

  // Writes `batch` into table_ with `mode` and commits.
  uint64_t write(const Batch& batch, WriteMode mode, std::vector<std::string> key = {}) {
    auto w = conn_->writer(table_, batch.schema(), {mode, std::move(key)});
    w->write(batch);
    return w->commit().rows;
  }

  std::vector<std::vector<Value>> read_all(ScanSpec spec, size_t* batches = nullptr) {
    if (spec.table.empty()) spec.table = table_;
    auto r = conn_->scan(spec);
    std::vector<std::vector<Value>> rows;
    size_t n = 0;
    while (auto b = r->next()) {
      EXPECT_GT(b->num_rows(), 0u) << "readers never return empty batches";
      EXPECT_LE(b->num_rows(), spec.batch_rows);
      ++n;
      for (size_t i = 0; i < b->num_rows(); ++i) rows.push_back(b->row(i));
    }
    if (batches) *batches = n;
    return rows;
  }

  Batch numbers(int64_t from, int64_t to, std::string tag = "v") {
    auto s = std::make_shared<Schema>();
    s->fields = {{"id", TypeId::int64, false, ""},
                 {"grp", TypeId::string, true, ""},
                 {"qty", TypeId::int64, true, ""},
                 {"price", Type(TypeId::decimal, 12, 2), true, ""}};
    s->primary_key = {"id"};
    Batch b(s);
    for (int64_t i = from; i <= to; ++i)
      b.append_row(std::vector<Value>{
          i, i % 7 == 0 ? Value() : Value(tag + std::to_string(i % 3)),
          i % 11 == 0 ? Value() : Value(i * 10),
          Decimal{std::to_string(i) + "." + std::to_string(10 + i % 90)}});
    return b;
  }

  std::string url_;
  std::unique_ptr<Connection> conn_;
  std::string table_;
};

TEST_P(Conformance, EveryTypeRoundTripsWithEdgeValues) {
  auto schema = all_types_schema();
  Batch b(schema);
  const std::string blob(std::min<size_t>(1 << 20, quirks().max_value_bytes), '\0');
  std::string big_blob = blob;
  for (size_t i = 0; i < big_blob.size(); ++i) big_blob[i] = static_cast<char>(i * 31 % 251);
  Uuid u;
  for (int i = 0; i < 16; ++i) u.bytes[i] = static_cast<uint8_t>(i * 17);
  const double inf = std::numeric_limits<double>::infinity();
  b.append_row(std::vector<Value>{int64_t{1}, true, std::numeric_limits<int64_t>::max(), 1.5,
                                  Decimal{"1234567890123456789012345678.0123456789"},
                                  "héllo 世界 🎉 \"quoted\" 'single'", Bytes{big_blob},
                                  Date{19723}, Time{45296789012}, Timestamp{1704067200123456},
                                  TimestampTz{-1}, u, Json{R"({"a":[1,2,{"b":null}],"c":"ü"})"}});
  b.append_row(std::vector<Value>{int64_t{2}, false, std::numeric_limits<int64_t>::min(),
                                  quirks().stores_infinity ? Value(-inf) : Value(-2.25),
                                  Decimal{"-0.0000000001"}, "", Bytes{""}, Date{-719162},
                                  Time{0}, Timestamp{-62135596800000000}, TimestampTz{0},
                                  Uuid{}, Json{"[]"}});
  b.append_row(std::vector<Value>{int64_t{3}, Value(), Value(), Value(), Value(), Value(),
                                  Value(), Value(), Value(), Value(), Value(), Value(), Value()});
  b.append_row(std::vector<Value>{int64_t{4}, Value(), int64_t{0},
                                  quirks().stores_infinity ? Value(inf) : Value(0.0),
                                  Decimal{"0"}, std::string(100000, 'x'), Bytes{std::string("\0\1\2", 3)},
                                  Date{2932896}, Time{86399999999}, Timestamp{253402300799999999},
                                  TimestampTz{1700000000000000}, u, Json{"\"just a string\""}});
  ASSERT_EQ(write(b, WriteMode::create), 4u);

  const Schema described = conn_->describe(table_);
  ASSERT_EQ(described.fields.size(), schema->fields.size() + (quirks().extra_column ? 1 : 0));
  if (quirks().extra_column) {
    EXPECT_EQ(described.fields.back().name, "_extra");
    EXPECT_EQ(described.fields.back().type.id, TypeId::json);
  }
  for (size_t i = 0; i < schema->fields.size(); ++i) {
    if (!quirks().exact_describe) {
      // Inferred schema: every written column is there, in some order.
      EXPECT_TRUE(described.index_of(schema->fields[i].name).has_value())
          << schema->fields[i].name;
      continue;
    }
    EXPECT_EQ(described.fields[i].name, schema->fields[i].name);
    EXPECT_EQ(described.fields[i].type.id, schema->fields[i].type.id) << described.fields[i].name;
  }
  EXPECT_EQ(described.primary_key, std::vector<std::string>{"id"});

  ScanSpec spec;
  spec.order_by = {{"id"}};
  if (!quirks().exact_describe)
    for (const auto& f : schema->fields) spec.columns.push_back(f.name);
  const auto rows = read_all(spec);
  ASSERT_EQ(rows.size(), 4u);
  // A fixed-scale DECIMAL pads to the column's scale: "0" reads "0.0000000000".
  const auto same_value = [&](Value v, Type written) {
    // Inferred types: compare in the written type (N "1.5" as float64 1.5).
    if (!quirks().exact_describe) v = coerce_value(v, written);
    if (quirks().decimal_keeps_written_scale || !v.holds<Decimal>()) return v;
    std::string t = v.as<Decimal>().text;
    if (t.find('.') != std::string::npos) {
      while (t.back() == '0') t.pop_back();
      if (t.back() == '.') t.pop_back();
    }
    return Value(Decimal{t});
  };
  for (size_t r = 0; r < 4; ++r)
    for (size_t c = 0; c < schema->fields.size(); ++c)
      EXPECT_EQ(same_value(rows[r][c], schema->fields[c].type),
                same_value(b.row(r)[c], schema->fields[c].type))
          << "row " << r << " column " << schema->fields[c].name << ": got '"
          << rows[r][c].to_text().substr(0, 80) << "' want '" << b.row(r)[c].to_text().substr(0, 80)
          << "'";
}

TEST_P(Conformance, NanIsStoredOrRefusedNeverSilentlyChanged) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""}, {"f", TypeId::float64, true, ""}};
  s->primary_key = {"id"};  // key-value stores need one
  Batch b(s);
  b.append_row(std::vector<Value>{int64_t{1}, std::numeric_limits<double>::quiet_NaN()});
  if (quirks().stores_nan) {
    write(b, WriteMode::create);
    auto rows = read_all({});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_TRUE(std::isnan(rows[0][1].as<double>()));
  } else {
    try {
      write(b, WriteMode::create);
      FAIL() << "NaN must be refused when the backend cannot store it";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::type_mismatch) << e.what();
    }
  }
}

TEST_P(Conformance, ScanStreamsInBoundedBatches) {
  Batch b = numbers(1, 10000);
  write(b, WriteMode::create);
  ScanSpec spec;
  spec.batch_rows = 777;
  size_t batches = 0;
  const auto rows = read_all(spec, &batches);
  EXPECT_EQ(rows.size(), 10000u);
  EXPECT_GE(batches, 13u);
  int64_t sum = 0;
  for (const auto& r : rows) sum += r[0].as<int64_t>();
  EXPECT_EQ(sum, 10000 * 10001 / 2);
  EXPECT_EQ(conn_->count_rows(table_), 10000u);
}

TEST_P(Conformance, FiltersProjectionLimitAndOrder) {
  const Batch b = numbers(1, 500);
  write(b, WriteMode::create);
  auto expect_ids = [&](const std::string& where, size_t n) {
    ScanSpec spec;
    spec.filter = parse_filter(where);
    spec.batch_rows = 64;
    const auto got = read_all(spec);
    const Batch want = apply_filter(*spec.filter, b);
    EXPECT_EQ(got.size(), want.num_rows()) << where;
    EXPECT_EQ(got.size(), n) << where;
  };
  // Expected counts computed independently (Python over the same generator).
  expect_ids("qty > 4000", 91);
  expect_ids("grp = 'v1' AND qty <= 300", 7);
  expect_ids("grp IN ('v0', 'v2') OR id = 7", 287);
  expect_ids("id IN (3, 7, 600)", 2);  // a key list (DynamoDB: BatchGetItem)
  expect_ids("grp IS NULL", 71);
  expect_ids("NOT (id < 490)", 11);
  expect_ids("price >= 499.5", 2);                  // decimal: filtered exactly
  expect_ids("qty = 'not a number'", 0);

  ScanSpec proj;
  proj.columns = {"price", "id"};
  proj.limit = 5;
  proj.order_by = {{"id", true}};
  const auto top = read_all(proj);
  ASSERT_EQ(top.size(), 5u);
  EXPECT_EQ(top[0].size(), 2u);
  EXPECT_EQ(top[0][1], Value(int64_t{500}));
  EXPECT_EQ(top[4][1], Value(int64_t{496}));
  if (quirks().decimal_keeps_written_scale) {
    EXPECT_EQ(top[0][0], Value(Decimal{"500.60"}));
  } else {
    // The same number, with the backend's own scale ("500.6" or "500.60"); a
    // backend without column types may read it in another numeric type.
    std::string t = coerce_value(top[0][0], Type(TypeId::decimal)).as<Decimal>().text;
    while (t.back() == '0') t.pop_back();
    EXPECT_EQ(t, "500.6");
  }

  ScanSpec limited;
  limited.filter = parse_filter("grp = 'v2'");
  limited.limit = 10;
  limited.batch_rows = 3;
  EXPECT_EQ(read_all(limited).size(), 10u);
}

TEST_P(Conformance, PartitionsCoverTheTableExactlyOnce) {
  write(numbers(1, 1000), WriteMode::create);
  // Keys at both ends of int64: range splits must not overflow.
  Batch extremes(numbers(1, 1).schema_ptr());
  for (int64_t id : {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()})
    extremes.append_row(std::vector<Value>{id, "x", Value(), Decimal{"1.00"}});
  write(extremes, WriteMode::append);
  int64_t sum = 0;
  size_t rows = 0, mins = 0, maxes = 0;
  for (uint32_t k = 0; k < 3; ++k) {
    ScanSpec spec;
    spec.partition = {k, 3};
    for (const auto& r : read_all(spec)) {
      const int64_t id = r[0].as<int64_t>();
      if (id == std::numeric_limits<int64_t>::min()) ++mins;
      else if (id == std::numeric_limits<int64_t>::max()) ++maxes;
      else sum += id, ++rows;
    }
  }
  EXPECT_EQ(rows, 1000u);
  EXPECT_EQ(sum, 1000 * 1001 / 2);
  EXPECT_EQ(mins, 1u);
  EXPECT_EQ(maxes, 1u);
}

TEST_P(Conformance, AppendReplaceAndCreateConflict) {
  write(numbers(1, 10), WriteMode::create);
  EXPECT_THROW(
      {
        try {
          write(numbers(1, 1), WriteMode::create);
        } catch (const Error& e) {
          EXPECT_EQ(e.code(), ErrorCode::conflict) << e.what();
          throw;
        }
      },
      Error);
  write(numbers(11, 20), WriteMode::append);
  EXPECT_EQ(conn_->count_rows(table_), 20u);
  write(numbers(100, 102), WriteMode::replace);
  const auto rows = read_all({});
  ASSERT_EQ(rows.size(), 3u);
  int64_t min_id = rows[0][0].as<int64_t>();  // a scan has no order: check the smallest
  for (const auto& r : rows) min_id = std::min(min_id, r[0].as<int64_t>());
  EXPECT_EQ(min_id, 100);
}

TEST_P(Conformance, UpsertUpdatesExistingKeysAndInsertsNewOnes) {
  write(numbers(1, 10, "old"), WriteMode::create);
  write(numbers(5, 15, "new"), WriteMode::upsert);
  ScanSpec spec;
  spec.order_by = {{"id"}};
  const auto rows = read_all(spec);
  ASSERT_EQ(rows.size(), 15u);
  EXPECT_EQ(rows[3][1], Value("old1"));   // id 4 untouched
  EXPECT_EQ(rows[4][1], Value("new2"));   // id 5 updated
  EXPECT_EQ(rows[14][1], Value("new0"));  // id 15 inserted
  // Replaying the same upsert changes nothing: idempotent.
  write(numbers(5, 15, "new"), WriteMode::upsert);
  EXPECT_EQ(conn_->count_rows(table_), 15u);
}

// One rule on every backend: when the rows of an upsert repeat a key, the
// last row for that key wins, within a batch and across batches.
TEST_P(Conformance, UpsertWithRepeatedKeysKeepsTheLastRow) {
  write(numbers(1, 3, "old"), WriteMode::create);
  auto rows = [&](const std::vector<std::pair<int64_t, std::string>>& list) {
    Batch b(std::make_shared<Schema>(numbers(1, 1).schema()));
    for (const auto& [id, grp] : list)
      b.append_row(std::vector<Value>{id, grp, id * 10, Decimal{std::to_string(id) + ".50"}});
    return b;
  };
  std::vector<std::pair<int64_t, std::string>> first = {
      {2, "a"}, {4, "b"}, {2, "c"}, {4, "d"}, {6, "x"}};
  // More rows than one DynamoDB BatchWriteItem (25) or Cosmos DB bulk request
  // takes, cycling over five keys.
  for (int i = 0; i < 60; ++i) first.emplace_back(10 + i % 5, "r" + std::to_string(i));
  {
    auto w = conn_->writer(table_, numbers(1, 1).schema(), {WriteMode::upsert, {}});
    w->write(rows(first));
    w->write(rows({{4, "e"}, {5, "f"}, {5, "g"}, {10, "z"}}));
    w->commit();
  }
  ScanSpec spec;
  spec.order_by = {{"id"}};
  std::vector<std::string> got;
  for (const auto& r : read_all(spec))
    got.push_back(r[0].to_text() + "=" + (r[1].is_null() ? "NULL" : r[1].to_text()));
  EXPECT_EQ(got, (std::vector<std::string>{"1=old1", "2=c", "3=old0", "4=e", "5=g", "6=x", "10=z",
                                           "11=r56", "12=r57", "13=r58", "14=r59"}));
}

TEST_P(Conformance, AbortedWriterLeavesTargetUnchanged) {
  write(numbers(1, 10), WriteMode::create);
  const size_t tables_before = conn_->list_tables().size();
  {
    auto w = conn_->writer(table_, numbers(1, 1).schema(), {WriteMode::append, {}});
    w->write(numbers(11, 500));
  }  // destroyed without commit
  if (!quirks().transactional_writes) {
    // No transactions: what write() sent stays, and the capabilities say so.
    EXPECT_FALSE(conn_->capabilities().transactions);
    EXPECT_EQ(conn_->count_rows(table_), 500u);
  }
  {
    auto w = conn_->writer(table_, numbers(1, 1).schema(), {WriteMode::replace, {}});
    w->write(numbers(1000, 1005));
    w->abort();
  }
  EXPECT_EQ(conn_->count_rows(table_), quirks().transactional_writes ? 10u : 6u)
      << "without transactions an aborted replace has already replaced the rows";
  EXPECT_EQ(conn_->list_tables().size(), tables_before) << "no leftover tables from replace";
}

TEST_P(Conformance, WrongTypeIsRefusedAndNothingIsWritten) {
  write(numbers(1, 10), WriteMode::create);
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""}, {"qty", TypeId::string, true, ""}};
  Batch bad(s);
  bad.append_row(std::vector<Value>{int64_t{100}, "12"});   // fits after conversion
  bad.append_row(std::vector<Value>{int64_t{101}, "abc"});  // does not fit
  try {
    write(bad, WriteMode::append);
    FAIL() << "expected type_mismatch";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::type_mismatch) << e.what();
    EXPECT_NE(std::string(e.what()).find("qty"), std::string::npos) << e.what();
  }
  EXPECT_EQ(conn_->count_rows(table_), 10u);
}

TEST_P(Conformance, MissingTableAndBadQueryErrors) {
  auto code_of = [](auto&& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::internal;
  };
  EXPECT_EQ(code_of([&] { conn_->describe("no_such_table_xyz"); }), ErrorCode::not_found);
  EXPECT_EQ(code_of([&] { conn_->scan({.table = "no_such_table_xyz"}); }), ErrorCode::not_found);
  EXPECT_EQ(code_of([&] { conn_->query("SELEC 1 FROM nowhere"); }), ErrorCode::invalid_argument);
  write(numbers(1, 3), WriteMode::create);
  EXPECT_EQ(code_of([&] { conn_->scan({.table = table_, .columns = {"nope"}}); }),
            ErrorCode::not_found);
}

TEST_P(Conformance, QueryWithBoundParametersAndExecute) {
  write(numbers(1, 100), WriteMode::create);
  if (!quirks().sql) {
    // The native dialect is not SQL: SQL text is refused, never misread.
    EXPECT_FALSE(conn_->capabilities().sql);
    try {
      conn_->query("SELECT id FROM " + table_);
      FAIL() << "SQL text must be refused";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << e.what();
    }
    return;
  }
  const auto& ph = quirks().placeholder;
  const std::vector<Value> params{int64_t{10}, "v1"};
  auto r = conn_->query("SELECT id, grp FROM " + table_ + " WHERE id <= " + ph(1) +
                            " AND grp = " + ph(2) + " ORDER BY id",
                        params, {.batch_rows = 2});
  std::vector<int64_t> ids;
  while (auto b = r->next())
    for (size_t i = 0; i < b->num_rows(); ++i) ids.push_back(b->column(0).int64_at(i));
  EXPECT_EQ(ids, (std::vector<int64_t>{1, 4, 10}));
  // A parameter is a value, never SQL: an injection attempt matches nothing.
  const std::vector<Value> evil{int64_t{0}, "x' OR '1'='1"};
  auto r2 = conn_->query("SELECT id FROM " + table_ + " WHERE id > " + ph(1) +
                             " AND grp = " + ph(2),
                         evil);
  EXPECT_FALSE(r2->next().has_value());
  const std::vector<Value> del{int64_t{90}};
  EXPECT_EQ(conn_->execute("DELETE FROM " + table_ + " WHERE id > " + ph(1), del), 10u);
  EXPECT_EQ(conn_->count_rows(table_), 90u);
}

TEST_P(Conformance, ListTablesAndPing) {
  write(numbers(1, 1), WriteMode::create);
  bool found = false;
  for (const auto& t : conn_->list_tables()) found = found || t.name == table_;
  EXPECT_TRUE(found);
  const PingResult p = conn_->ping();
  EXPECT_FALSE(p.server_version.empty());
  EXPECT_GE(p.latency.count(), 0);
}

// ---- change batches (ChangeWriter): what sync and migrate apply ----

struct Change {
  ChangeOp op;
  int64_t id;
  std::string name;
  std::optional<int64_t> qty;
  int64_t ver;
};

std::shared_ptr<Schema> change_schema() {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""},
               {"name", TypeId::string, true, ""},
               {"qty", TypeId::int64, true, ""},
               {"ver", TypeId::int64, true, ""}};
  s->primary_key = {"id"};
  return s;
}

ChangeBatch change_batch(const std::vector<Change>& list) {
  ChangeBatch b{Batch(change_schema()), {}};
  for (const auto& c : list) {
    b.rows.append_row(std::vector<Value>{
        c.id, c.op == ChangeOp::remove ? Value() : Value(c.name),
        c.op == ChangeOp::remove || !c.qty ? Value() : Value(*c.qty), c.ver});
    b.ops.push_back(c.op);
  }
  return b;
}

// What applying the batch `list` leaves, by the contract's rules: per key the
// change with the highest version (the later one on a tie; without versions
// the last one) decides, applied conditionally on the stored version.
void apply_oracle(std::map<int64_t, Change>& table, const std::vector<Change>& list,
                  bool versioned) {
  std::map<int64_t, Change> winners;
  for (const auto& c : list) {
    auto [it, fresh] = winners.try_emplace(c.id, c);
    if (!fresh && (!versioned || c.ver >= it->second.ver)) it->second = c;
  }
  for (const auto& [id, c] : winners) {
    auto it = table.find(c.id);
    if (c.op == ChangeOp::upsert) {
      if (it == table.end() || !versioned || it->second.ver < c.ver) table[c.id] = c;
    } else if (it != table.end() && (!versioned || it->second.ver <= c.ver)) {
      table.erase(it);
    }
  }
}

std::vector<std::string> oracle_rows(const std::map<int64_t, Change>& table) {
  std::vector<std::string> out;
  for (const auto& [id, c] : table)
    out.push_back(std::to_string(id) + "|" + c.name + "|" +
                  (c.qty ? std::to_string(*c.qty) : "NULL") + "|" + std::to_string(c.ver));
  return out;
}

class Changes : public Conformance {
 protected:
  // The table, created empty with the change schema.
  void create() {
    auto w = conn_->writer(table_, *change_schema(), {WriteMode::create, {}});
    w->commit();
  }
  std::vector<std::string> stored() {
    ScanSpec spec;
    spec.columns = {"id", "name", "qty", "ver"};
    spec.order_by = {{"id"}};
    std::vector<std::string> out;
    for (const auto& r : read_all(spec)) {
      std::string line;
      for (size_t i = 0; i < r.size(); ++i)
        line += (i ? "|" : "") + (r[i].is_null() ? std::string("NULL") : r[i].to_text());
      out.push_back(line);
    }
    return out;
  }
  std::unique_ptr<ChangeWriter> writer(std::string version = {}) {
    ChangeOptions o;
    o.version_column = std::move(version);
    return conn_->change_writer(table_, *change_schema(), o);
  }
};

// Every backend applies change batches: the sync and migrate tools need it.
TEST_P(Changes, EveryBackendAppliesChangeBatches) {
  create();
  EXPECT_TRUE(conn_->capabilities().change_writes);
  EXPECT_NE(writer(), nullptr);
}

TEST_P(Changes, UpsertsAndRemovesTakeEffectInOrder) {
  create();
  const auto U = ChangeOp::upsert;
  const auto R = ChangeOp::remove;
  std::vector<Change> first;
  for (int64_t i = 1; i <= 40; ++i) first.push_back({U, i, "n" + std::to_string(i), i * 10, 1});
  std::vector<Change> second = {
      {U, 3, "three", std::nullopt, 2},  // replaces every column, qty to NULL
      {R, 5, "", {}, 2},
      {R, 99, "", {}, 2},                // not stored: nothing happens
      {U, 7, "seven", 70, 2}, {R, 7, "", {}, 3},   // upsert then remove: gone
      {R, 8, "", {}, 2}, {U, 8, "eight", 80, 3},   // remove then upsert: back
      {U, 41, "a", 1, 1}, {U, 41, "b", 2, 1}, {U, 41, "c", 3, 1},  // the last one wins
  };
  std::map<int64_t, Change> oracle;
  apply_oracle(oracle, first, false);
  apply_oracle(oracle, second, false);
  auto w = writer();
  w->apply(change_batch(first));
  w->commit();
  w->apply(change_batch(second));
  const ChangeResult r = w->commit();
  EXPECT_EQ(r.upserts, 40u + 6u);
  EXPECT_EQ(r.removes, 4u);
  EXPECT_EQ(stored(), oracle_rows(oracle));
  // The same changes again: the same table.
  w->apply(change_batch(first));
  w->apply(change_batch(second));
  w->commit();
  EXPECT_EQ(stored(), oracle_rows(oracle));
}

TEST_P(Changes, VersionsNeverPutAnOlderRowOverANewerOne) {
  create();
  const auto U = ChangeOp::upsert;
  const auto R = ChangeOp::remove;
  std::vector<Change> base;
  for (int64_t i = 1; i <= 8; ++i) base.push_back({U, i, "v5", i, 5});
  std::vector<Change> next = {
      {U, 1, "v4", 1, 4},   // older: skipped
      {U, 2, "v5b", 2, 5},  // equal: already applied, skipped
      {U, 3, "v6", 3, 6},   // newer: applied
      {R, 4, "", {}, 4},    // remove older than the row: skipped
      {R, 5, "", {}, 5},    // remove at the row's version: applied
      {R, 6, "", {}, 9},    // newer remove: applied
      {U, 20, "new", 7, 1}, // not stored: inserted whatever its version
      {U, 7, "v9", 7, 9}, {U, 7, "v8", 7, 8},  // one batch, out of order: the highest wins
      {R, 8, "", {}, 7}, {U, 8, "v6", 8, 6},   // remove v7 then an older upsert: stays removed
  };
  std::map<int64_t, Change> oracle;
  apply_oracle(oracle, base, true);
  apply_oracle(oracle, next, true);
  auto w = writer("ver");
  w->apply(change_batch(base));
  w->commit();
  w->apply(change_batch(next));
  w->commit();
  EXPECT_EQ(stored(), oracle_rows(oracle));
  // Replaying the whole stream from the start changes nothing.
  w->apply(change_batch(base));
  w->apply(change_batch(next));
  w->commit();
  EXPECT_EQ(stored(), oracle_rows(oracle));
}

// Differential: a seeded random stream against the one-by-one oracle.
TEST_P(Changes, RandomStreamsMatchTheOracle) {
  for (bool versioned : {false, true}) {
    conn_->drop_table(table_, true);
    create();
    std::mt19937_64 rng(versioned ? 20261207 : 7);
    std::map<int64_t, Change> oracle;
    auto w = writer(versioned ? "ver" : "");
    for (int batch = 0; batch < 12; ++batch) {
      std::vector<Change> list;
      const int n = 1 + static_cast<int>(rng() % 40);
      for (int k = 0; k < n; ++k) {
        Change c{rng() % 4 == 0 ? ChangeOp::remove : ChangeOp::upsert,
                 static_cast<int64_t>(rng() % 25), "s" + std::to_string(rng() % 1000),
                 rng() % 5 == 0 ? std::nullopt : std::optional<int64_t>(rng() % 100),
                 static_cast<int64_t>(rng() % 30)};
        list.push_back(c);
      }
      apply_oracle(oracle, list, versioned);
      w->apply(change_batch(list));
      if (rng() % 3 == 0) w->commit();
    }
    w->commit();
    EXPECT_EQ(stored(), oracle_rows(oracle)) << (versioned ? "with versions" : "unconditional");
  }
}

TEST_P(Changes, BadChangesAreRefused) {
  auto code_of = [](auto&& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::internal;
  };
  if (quirks().empty_tables_exist)
    EXPECT_EQ(code_of([&] { (void)writer(); }), ErrorCode::not_found) << "no table yet";
  else  // a table without rows does not exist: a missing one is an empty one
    EXPECT_EQ(code_of([&] { (void)writer(); }), ErrorCode::internal) << "no error expected";
  create();
  EXPECT_EQ(code_of([&] { (void)writer("name"); }), ErrorCode::invalid_argument)
      << "a version column must be an integer";
  EXPECT_EQ(code_of([&] { (void)writer("nope"); }), ErrorCode::invalid_argument);
  auto w = writer();
  ChangeBatch b = change_batch({{ChangeOp::upsert, 1, "a", 1, 1}});
  b.ops.push_back(ChangeOp::remove);
  EXPECT_EQ(code_of([&] { w->apply(b); }), ErrorCode::invalid_argument) << "ops != rows";
  ChangeBatch null_key{Batch(change_schema()), {ChangeOp::upsert}};
  null_key.rows.append_row(std::vector<Value>{Value(), "x", Value(), int64_t{1}});
  EXPECT_EQ(code_of([&] { w->apply(null_key); }), ErrorCode::invalid_argument) << "NULL key";
  w->abort();
  // Nothing was written (a schemaless store infers no columns from no rows:
  // read whole rows).
  if (quirks().empty_tables_exist)
    EXPECT_TRUE(read_all({}).empty());
  else  // no documents: no collection
    EXPECT_EQ(code_of([&] { (void)read_all({}); }), ErrorCode::not_found);
}

TEST_P(Changes, AbortKeepsWhatWasCommitted) {
  create();
  auto w = writer();
  w->apply(change_batch({{ChangeOp::upsert, 1, "kept", 1, 1}}));
  w->commit();
  w->apply(change_batch({{ChangeOp::upsert, 2, "maybe", 2, 1}, {ChangeOp::remove, 1, "", {}, 1}}));
  w->abort();
  if (quirks().transactional_writes)
    EXPECT_EQ(stored(), std::vector<std::string>{"1|kept|1|1"});
  else
    EXPECT_FALSE(conn_->capabilities().transactions);
}

INSTANTIATE_TEST_SUITE_P(Backends, Changes, ::testing::ValuesIn(all_backends()),
                         [](const auto& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(Backends, Conformance, ::testing::ValuesIn(all_backends()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace polydb::conformance
