// The copy matrix: `polydb copy --mode create` of a table holding every core
// type, for every ordered pair among SQLite, PostgreSQL and MySQL/MariaDB,
// each result copied back to SQLite and compared row by row with the
// original; and `polydb copy --parallel N` giving exactly the source rows.
//
// Needs the servers of scripts/services.sh (POLYDB_TEST_POSTGRES_URL,
// POLYDB_TEST_MYSQL_URL): without them the tests fail, they never skip.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "polydb/batch.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/value.hpp"
#include "process.hpp"

namespace {

namespace fs = std::filesystem;
using polydb::Type;
using polydb::TypeId;
using polydb::Value;
using polydb::e2e::Process;
using polydb::e2e::RunResult;

// A server URL from the environment; empty (and the test failed) when unset.
std::string server_url(const char* var) {
  const char* url = std::getenv(var);
  if (url && *url) return url;
  ADD_FAILURE() << var
                << " is not set: run `make test`, or start the servers with `scripts/services.sh "
                   "start postgres mariadb` and export what `scripts/services.sh env` prints";
  return {};
}

// Unique per process and call: tests running side by side never share a table.
std::string unique_name(const std::string& stem) {
  static int counter = 0;
  return "pm_" + stem + "_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

// ---------------------------------------------------------------- the data

// Every core type. Values some engine cannot hold are left out of the data
// rather than skipped silently while copying:
// - NaN: MySQL has no NaN and SQLite turns it into NULL, so no NaN at all;
// - ±Infinity: MySQL's DOUBLE has none, so only the tables that never pass
//   through MySQL hold them (`with_infinities`);
// - -0.0 and subnormal doubles: MySQL rejects subnormals and SQLite may store
//   -0.0 as integer 0; none in the data;
// - dates and timestamps stay within years 1000-9999 (MySQL's DATE/DATETIME);
// - no NUL in text (PostgreSQL text cannot hold it; bytes can).
const std::vector<std::pair<std::string, Type>> kColumns = {
    {"id", TypeId::int64},       {"b", TypeId::boolean},
    {"i", TypeId::int64},        {"f", TypeId::float64},
    {"d", Type(TypeId::decimal, 20, 6)},
    {"s", TypeId::string},       {"y", TypeId::bytes},
    {"dt", TypeId::date},        {"tm", TypeId::time},
    {"ts", TypeId::timestamp},   {"tz", TypeId::timestamp_tz},
    {"u", TypeId::uuid},         {"j", TypeId::json},
};

// Rows as text (parse_value of each column's type); nullptr = NULL.
using TextRow = std::vector<const char*>;
const std::vector<TextRow> kRows = {
    {"1", "true", "0", "0", "0.000000", "", "\\x", "1970-01-01", "00:00:00",
     "1970-01-01 00:00:00", "1970-01-01T00:00:00Z", "00000000-0000-0000-0000-000000000000",
     "{}"},
    {"2", "false", "9223372036854775807", "0.1", "99999999999999.999999",
     "h\xC3\xA9llo w\xC3\xB6rld \xE2\x80\x94 \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xF0\x9F\x8E\x89",
     "\\x00ff10805c0a0d09", "9999-12-31", "23:59:59.999999", "9999-12-31 23:59:59.999999",
     "9999-12-31T23:59:59.999999Z", "ffffffff-ffff-ffff-ffff-ffffffffffff",
     "{\"a\": 1, \"b\": [true, null, \"x\"], \"c\": {\"d\": 1.5}}"},
    {"3", "true", "-9223372036854775808", "-2.5e300", "-99999999999999.999999",
     "tab\there\nnewline \\backslash 'quote' \"dq\" ,comma", "\\x5c4e", "1000-01-01",
     "12:34:56.789012", "1000-01-01 00:00:00", "1000-01-01T00:00:00Z",
     "123e4567-e89b-12d3-a456-426614174000", "[1, \"two\", {\"three\": 3}]"},
    {"4", "false", "42", "1.7976931348623157e308", "0.000001", "\\N", "\\x5c4e0a", "2024-02-29",
     "00:00:00.000001", "1969-12-31 23:59:59.5", "2024-02-29T12:00:00.123456Z",
     "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
     "{\"unicode\": \"\xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x8E\x89\", \"n\": -0.25}"},
    {"5", "true", "-1", "2.2250738585072014e-308", "123.456000", "NULL", "\\x4e554c4c",
     "2000-01-01", "06:00:00", "2000-01-01 06:00:00.000001", "1999-12-31T23:00:00Z",
     "01234567-89ab-cdef-0123-456789abcdef", "\"just a string\""},
    {"6", nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
     nullptr, nullptr, nullptr},
};
// Rows added to the tables that never pass through MySQL.
const std::vector<TextRow> kInfinityRows = {
    {"7", "true", "7", "Infinity", "7.000000", "inf", "\\x07", "2007-07-07", "07:07:07",
     "2007-07-07 07:07:07", "2007-07-07T07:07:07Z", "77777777-7777-7777-7777-777777777777",
     "7"},
    {"8", "false", "8", "-Infinity", "8.000000", "-inf", "\\x08", "2008-08-08", "08:08:08",
     "2008-08-08 08:08:08", "2008-08-08T08:08:08Z", "88888888-8888-8888-8888-888888888888",
     "null"},
};

// Creates `table` in the SQLite file `url` from kColumns and the rows.
void make_types_table(const std::string& url, const std::string& table, bool with_infinities) {
  polydb::ConnectOptions options;
  options.create_if_missing = true;
  auto conn = polydb::connect(url, options);
  auto schema = std::make_shared<polydb::Schema>();
  for (const auto& [name, type] : kColumns)
    schema->fields.push_back(polydb::Field{name, type, name != "id", {}});
  schema->primary_key = {"id"};
  polydb::Batch batch(schema);
  auto add = [&](const TextRow& text) {
    std::vector<Value> row;
    for (size_t c = 0; c < kColumns.size(); ++c)
      row.push_back(text[c] ? polydb::parse_value(text[c], kColumns[c].second) : Value());
    batch.append_row(row);
  };
  for (const auto& r : kRows) add(r);
  if (with_infinities)
    for (const auto& r : kInfinityRows) add(r);
  auto writer = conn->writer(table, *schema, {.mode = polydb::WriteMode::create});
  writer->write(batch);
  writer->commit();
}

// A cell as text that compares equal when the value survived: JSON compared
// as a document (jsonb and MySQL reorder keys and respace), decimals as
// numbers (a target may widen the scale: DECIMAL(65,30) pads zeros).
std::string comparable(const Value& v) {
  if (v.is_null()) return "NULL";
  if (v.type_id() == TypeId::json) return nlohmann::json::parse(v.as<polydb::Json>().text).dump();
  std::string text = v.to_text();
  if (v.type_id() == TypeId::decimal && text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  return text;
}

struct Table {
  std::vector<std::string> names;
  std::vector<TypeId> types;
  std::vector<std::vector<std::string>> rows;
};

Table read_table(const std::string& url, const std::string& table) {
  auto conn = polydb::connect(url);
  auto reader = conn->query("SELECT * FROM \"" + table + "\" ORDER BY id");
  Table out;
  for (const auto& f : reader->schema().fields) {
    out.names.push_back(f.name);
    out.types.push_back(f.type.id);
  }
  while (auto batch = reader->next()) {
    for (size_t r = 0; r < batch->num_rows(); ++r) {
      auto& row = out.rows.emplace_back();
      for (size_t c = 0; c < batch->num_columns(); ++c)
        row.push_back(comparable(batch->column(c).value_at(r)));
    }
  }
  return out;
}

// ---------------------------------------------------------------- fixture

class CopyMatrixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = polydb::e2e::make_temp_dir("polydb-matrix-");
    pg_ = server_url("POLYDB_TEST_POSTGRES_URL");
    mysql_ = server_url("POLYDB_TEST_MYSQL_URL");
  }
  void TearDown() override {
    for (const auto& [url, table] : created_) {
      try {
        polydb::connect(url)->drop_table(table, true);
      } catch (const polydb::Error& e) {
        ADD_FAILURE() << "cannot drop " << table << ": " << e.message();
      }
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  RunResult polydb(const std::vector<std::string>& args) {
    return Process(args, dir_).wait(std::chrono::minutes(5));
  }
  std::string db(const std::string& name) const { return "sqlite://" + (dir_ / name).string(); }

  // `polydb copy SRC TABLE DST DST_TABLE --mode create EXTRA...`; a server
  // table it creates is dropped at the end of the test.
  void copy(const std::string& src, const std::string& table, const std::string& dst,
            const std::string& dst_table, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"-q", "copy", src, table, dst, dst_table, "--mode", "create"};
    args.insert(args.end(), extra.begin(), extra.end());
    if (!dst.starts_with("sqlite:")) created_.emplace_back(dst, dst_table);
    const RunResult r = polydb(args);
    ASSERT_EQ(r.status, 0) << "polydb copy " << src << " " << table << " -> " << dst << " "
                           << dst_table << ":\n"
                           << r;
  }

  fs::path dir_;
  std::string pg_, mysql_;
  std::vector<std::pair<std::string, std::string>> created_;
};

// ---------------------------------------------------------------- types

TEST_F(CopyMatrixTest, EveryTypeSurvivesEveryPairOfBackends) {
  ASSERT_FALSE(pg_.empty() || mysql_.empty());
  const std::string origin = db("origin.db");
  make_types_table(origin, "types_inf", true);
  make_types_table(origin, "types", false);
  const Table with_inf = read_table(origin, "types_inf");
  const Table without_inf = read_table(origin, "types");
  ASSERT_EQ(with_inf.rows.size(), kRows.size() + kInfinityRows.size());

  const std::vector<std::pair<std::string, std::string>> backends = {
      {"sqlite", ""}, {"postgres", pg_}, {"mysql", mysql_}};
  for (const auto& [a, a_url] : backends) {
    for (const auto& [b, b_url] : backends) {
      if (a == b) continue;
      SCOPED_TRACE(a + " -> " + b);
      const bool via_mysql = a == "mysql" || b == "mysql";
      const std::string data = via_mysql ? "types" : "types_inf";
      // The source table in `a`: the original, or a copy of it.
      std::string src = origin, src_table = data;
      if (!a_url.empty()) {
        src = a_url;
        src_table = unique_name(a + "_src");
        copy(origin, data, src, src_table);
      }
      // The pair under test, then back to SQLite for the comparison.
      const std::string dst = b_url.empty() ? db(a + "_to_sqlite.db") : b_url;
      const std::string dst_table = unique_name(a + "_to_" + b);
      copy(src, src_table, dst, dst_table);
      const std::string back = db(a + "_to_" + b + "_back.db");
      copy(dst, dst_table, back, "back");
      if (HasFatalFailure()) return;

      const Table& want = via_mysql ? without_inf : with_inf;
      const Table got = read_table(back, "back");
      EXPECT_EQ(got.names, want.names);
      EXPECT_EQ(got.types, want.types) << "a core type changed on the way";
      ASSERT_EQ(got.rows.size(), want.rows.size());
      for (size_t r = 0; r < want.rows.size(); ++r)
        for (size_t c = 0; c < want.names.size() && c < got.rows[r].size(); ++c)
          EXPECT_EQ(got.rows[r][c], want.rows[r][c])
              << "row id " << want.rows[r][0] << ", column " << want.names[c];
    }
  }
}

// ---------------------------------------------------------------- --parallel

// count, sum of ids and a checksum over every cell, in id order.
std::string fingerprint(const std::string& sqlite_url, const std::string& table) {
  auto conn = polydb::connect(sqlite_url);
  auto reader = conn->query("SELECT id, name, v FROM \"" + table + "\" ORDER BY id");
  uint64_t count = 0;
  int64_t sum = 0;
  size_t hash = 0;
  while (auto batch = reader->next()) {
    for (size_t r = 0; r < batch->num_rows(); ++r) {
      ++count;
      sum += batch->column(0).value_at(r).as<int64_t>();
      std::string row;
      for (size_t c = 0; c < 3; ++c) row += batch->column(c).value_at(r).to_text() + '|';
      hash = hash * 1'000'003 ^ std::hash<std::string>{}(row);
    }
  }
  return "count " + std::to_string(count) + ", sum(id) " + std::to_string(sum) + ", checksum " +
         std::to_string(hash);
}

// rows(id INTEGER [PRIMARY KEY], name TEXT, v REAL): ids 1..n, in a new SQLite file.
std::string make_rows(const std::string& url, const std::string& table, int n, bool keyed) {
  polydb::ConnectOptions options;
  options.create_if_missing = true;
  auto conn = polydb::connect(url, options);
  conn->execute("CREATE TABLE \"" + table + "\" (id INTEGER" +
                (keyed ? " PRIMARY KEY" : " NOT NULL") + ", name TEXT, v REAL)");
  conn->execute("INSERT INTO \"" + table +
                "\" WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < " +
                std::to_string(n) +
                ") SELECT x, CASE WHEN x % 13 = 0 THEN NULL ELSE 'row ' || x END, x * 0.25 FROM "
                "c");
  return fingerprint(url, table);
}

TEST_F(CopyMatrixTest, ParallelCopyFromServersGivesExactlyTheSourceRows) {
  ASSERT_FALSE(pg_.empty() || mysql_.empty());
  const std::string origin = db("rows.db");
  // Keyed: key ranges; unkeyed: ctid blocks (PostgreSQL), key hashes (MySQL).
  const std::string keyed = make_rows(origin, "keyed", 50'000, true);
  const std::string unkeyed = make_rows(origin, "unkeyed", 50'000, false);
  for (const auto& [name, url] : {std::pair{"postgres", pg_}, std::pair{"mysql", mysql_}}) {
    for (const auto& [table, want] : {std::pair{"keyed", keyed}, std::pair{"unkeyed", unkeyed}}) {
      SCOPED_TRACE(std::string(name) + " " + table);
      const std::string server_table = unique_name(std::string(name) + "_" + table);
      copy(origin, table, url, server_table);
      const std::string out = db(std::string(name) + "_" + table + ".db");
      copy(url, server_table, out, "copied", {"--parallel", "3", "--batch-size", "1000"});
      if (HasFatalFailure()) return;
      EXPECT_EQ(fingerprint(out, "copied"), want);
    }
  }
}

TEST_F(CopyMatrixTest, CopyWithinOneServerDatabaseUsesTwoConnections) {
  // The same CONN on both sides: PostgreSQL cannot stream COPY out and in on
  // one connection, so the copy must open a second one (SQLite shares one).
  ASSERT_FALSE(pg_.empty() || mysql_.empty());
  const std::string origin = db("rows.db");
  const std::string want = make_rows(origin, "keyed", 5'000, true);
  for (const auto& [name, url] : {std::pair{"postgres", pg_}, std::pair{"mysql", mysql_}}) {
    SCOPED_TRACE(name);
    const std::string a = unique_name(std::string(name) + "_a");
    const std::string b = unique_name(std::string(name) + "_b");
    copy(origin, "keyed", url, a);
    copy(url, a, url, b);
    const std::string out = db(std::string(name) + "_within.db");
    copy(url, b, out, "copied");
    if (HasFatalFailure()) return;
    EXPECT_EQ(fingerprint(out, "copied"), want);
  }
}

TEST_F(CopyMatrixTest, CopyWithinOneEngineKeepsTheColumnTypes) {
  // --mode create between two databases of one engine declares what the
  // source declares (built-in types only); other pairs map polydb types.
  ASSERT_FALSE(pg_.empty() || mysql_.empty());
  struct Case {
    std::string name, url, ddl;
    std::vector<std::string> want;  // native types of id, n, s, d, t
  };
  const std::vector<Case> cases = {
      {"postgres", pg_,
       "(id integer PRIMARY KEY, n smallint, s varchar(20), d numeric(12,2), t timestamp(3))",
       {"integer", "smallint", "character varying(20)", "numeric(12,2)",
        "timestamp(3) without time zone"}},
      {"mysql", mysql_,
       "(id int PRIMARY KEY, n smallint, s varchar(20), d decimal(12,2), t datetime(3))",
       {"int(11)", "smallint(6)", "varchar(20)", "decimal(12,2)", "datetime(3)"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string a = unique_name(c.name + "_types_a");
    const std::string b = unique_name(c.name + "_types_b");
    auto conn = polydb::connect(c.url);
    conn->execute("CREATE TABLE " + a + " " + c.ddl);
    created_.emplace_back(c.url, a);
    conn->execute("INSERT INTO " + a + " VALUES (1, 2, 'x', 1.25, '2024-01-02 03:04:05.678')");
    copy(c.url, a, c.url, b);
    if (HasFatalFailure()) return;
    const polydb::Schema got = conn->describe(b);
    ASSERT_EQ(got.fields.size(), c.want.size());
    for (size_t i = 0; i < c.want.size(); ++i)
      EXPECT_EQ(got.fields[i].native_type, c.want[i]) << got.fields[i].name;
    EXPECT_EQ(got.primary_key, std::vector<std::string>{"id"});
    auto reader = conn->query("SELECT d, t FROM " + b);
    const auto batch = reader->next();
    ASSERT_TRUE(batch && batch->num_rows() == 1);
    EXPECT_EQ(comparable(batch->column(0).value_at(0)), "1.25");
    EXPECT_EQ(comparable(batch->column(1).value_at(0)), "2024-01-02 03:04:05.678");
  }
}

TEST_F(CopyMatrixTest, ParallelCopyFromSqliteGivesExactlyTheSourceRows) {
  const std::string origin = db("rows.db");
  const std::string want = make_rows(origin, "keyed", 20'000, true);
  copy(origin, "keyed", db("out.db"), "copied", {"--parallel", "4", "--batch-size", "500"});
  EXPECT_EQ(fingerprint(db("out.db"), "copied"), want);
}

TEST_F(CopyMatrixTest, ParallelOptionIsValidated) {
  const std::string origin = db("rows.db");
  make_rows(origin, "keyed", 10, true);
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--parallel", "0"}, {"--parallel", "65"},
        {"--parallel", "two"}, {"--parallel", "2", "--limit", "5"}}) {
    std::vector<std::string> args{"copy", origin, "keyed", db("out.db")};
    args.insert(args.end(), bad.begin(), bad.end());
    const RunResult r = polydb(args);
    EXPECT_EQ(r.status, 2) << bad[0] << " " << bad[1] << ":\n" << r;
    EXPECT_NE(r.err.find("--parallel"), std::string::npos) << r;
  }
  EXPECT_FALSE(fs::exists(dir_ / "out.db"));
}

}  // namespace
