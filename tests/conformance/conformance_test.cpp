// The conformance suite: every connector passes the same tests.
// Backends and their quirks come from backends.cpp.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>

#include "fixture.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb::conformance {
namespace {

TEST_P(Conformance, EveryTypeRoundTripsWithEdgeValues) {
  auto schema = all_types_schema();
  const Batch b = edge_rows();
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

INSTANTIATE_TEST_SUITE_P(Backends, Conformance, ::testing::ValuesIn(all_backends()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace polydb::conformance
