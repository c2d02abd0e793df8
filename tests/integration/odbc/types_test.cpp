// Native column types read through each ODBC driver: describe() maps them to
// polydb types and scan() returns the values the server holds.

#include <gtest/gtest.h>

#include "fixture.hpp"

namespace polydb::odbctest {
namespace {

using TypesTest = OdbcTest;

struct Case {
  std::string ddl;      ///< the column's native type
  std::string literal;  ///< SQL literal inserted
  Type type;            ///< polydb type describe() reports
  Value value;          ///< what scan() returns
};

std::vector<Case> postgres_cases() {
  return {
      {"smallint", "-32768", TypeId::int64, int64_t{-32768}},
      {"integer", "2147483647", TypeId::int64, int64_t{2147483647}},
      {"bigint", "-9223372036854775808", TypeId::int64, std::numeric_limits<int64_t>::min()},
      {"real", "1.5", TypeId::float64, 1.5},
      {"double precision", "'-Infinity'", TypeId::float64, -std::numeric_limits<double>::infinity()},
      {"numeric(20,5)", "-123456789012345.12345", Type(TypeId::decimal, 20, 5),
       Decimal{"-123456789012345.12345"}},
      {"numeric", "0.000000000000000000000000000000001", TypeId::decimal,
       Decimal{"0.000000000000000000000000000000001"}},
      {"boolean", "true", TypeId::boolean, true},
      {"varchar(10)", "'ünïcødé'", TypeId::string, "ünïcødé"},
      {"char(3)", "'ab'", TypeId::string, "ab "},
      {"text", "'line1\nline2 🎉'", TypeId::string, "line1\nline2 🎉"},
      {"bytea", "'\\x00ff10'::bytea", TypeId::bytes, Bytes{std::string("\0\xff\x10", 3)}},
      {"date", "'0001-01-01'", TypeId::date, Date{-719162}},
      {"time", "'23:59:59.999999'", TypeId::time, Time{86399999999}},
      {"timestamp", "'2024-01-31 12:34:56.123456'", TypeId::timestamp,
       Timestamp{1706704496123456}},
      {"timestamptz", "'2024-01-31 14:34:56.5+02'", TypeId::timestamp_tz,
       TimestampTz{1706704496500000}},
      {"uuid", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", TypeId::uuid,
       parse_value("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", TypeId::uuid)},
      {"jsonb", "'{\"a\": [1, 2]}'", TypeId::json, Json{"{\"a\":[1,2]}"}},
      {"json", "'[true, null]'", TypeId::json, Json{"[true,null]"}},
  };
}

std::vector<Case> mariadb_cases() {
  return {
      {"tinyint", "-128", TypeId::int64, int64_t{-128}},
      {"int", "2147483647", TypeId::int64, int64_t{2147483647}},
      {"bigint", "-9223372036854775808", TypeId::int64, std::numeric_limits<int64_t>::min()},
      {"double", "2.5e-300", TypeId::float64, 2.5e-300},
      {"decimal(20,5)", "-123456789012345.12345", Type(TypeId::decimal, 20, 5),
       Decimal{"-123456789012345.12345"}},
      {"boolean", "1", TypeId::boolean, true},
      {"varchar(10) CHARACTER SET utf8mb4", "'ünïcødé'", TypeId::string, "ünïcødé"},
      {"longtext CHARACTER SET utf8mb4", "'line1\nline2 🎉'", TypeId::string, "line1\nline2 🎉"},
      {"varbinary(10)", "x'00ff10'", TypeId::bytes, Bytes{std::string("\0\xff\x10", 3)}},
      {"longblob", "x'00ff10'", TypeId::bytes, Bytes{std::string("\0\xff\x10", 3)}},
      {"date", "'1000-01-01'", TypeId::date, Date{-354285}},
      {"time(6)", "'23:59:59.999999'", TypeId::time, Time{86399999999}},
      {"datetime(6)", "'2024-01-31 12:34:56.123456'", TypeId::timestamp,
       Timestamp{1706704496123456}},
      {"json", "'{\"a\": [1, 2]}'", TypeId::json, Json{"{\"a\":[1,2]}"}},
  };
}

TEST_P(TypesTest, NativeTypesReadAsPolydbTypes) {
  const auto cases = is_postgres() ? postgres_cases() : mariadb_cases();
  const std::string t = table("types");
  std::string ddl = "CREATE TABLE " + t + " (id int PRIMARY KEY", values = "1";
  for (size_t i = 0; i < cases.size(); ++i) {
    ddl += ", c" + std::to_string(i) + " " + cases[i].ddl;
    values += ", " + cases[i].literal;
  }
  conn_->execute(ddl + ")");
  conn_->execute("INSERT INTO " + t + " VALUES (" + values + ")");
  conn_->execute("INSERT INTO " + t + " (id) VALUES (2)");  // NULLs in every column
  const Schema s = conn_->describe(t);
  ASSERT_EQ(s.fields.size(), cases.size() + 1);
  EXPECT_EQ(s.primary_key, std::vector<std::string>{"id"});
  for (size_t i = 0; i < cases.size(); ++i)
    EXPECT_EQ(to_string(s.fields[i + 1].type), to_string(cases[i].type)) << cases[i].ddl;
  ScanSpec spec{.table = t};
  spec.order_by = {{"id"}};
  auto r = conn_->scan(spec);
  const auto rows = collect_rows(*r);
  ASSERT_EQ(rows.size(), 2u);
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(rows[0][i + 1], cases[i].value)
        << cases[i].ddl << ": got '" << rows[0][i + 1].to_text() << "'";
    EXPECT_TRUE(rows[1][i + 1].is_null()) << cases[i].ddl;
  }
  // The same through query(): types from the result's own metadata.
  auto q = conn_->query("SELECT * FROM " + t + " WHERE id = ?", std::vector<Value>{int64_t{1}});
  const auto qrows = collect_rows(*q);
  ASSERT_EQ(qrows.size(), 1u);
  for (size_t i = 0; i < cases.size(); ++i) {
    const TypeId id = cases[i].type.id;
    if (id != TypeId::json && id != TypeId::boolean && id != TypeId::timestamp_tz &&
        id != TypeId::uuid) {
      EXPECT_EQ(qrows[0][i + 1].to_text(), cases[i].value.to_text()) << cases[i].ddl;
    }
  }
}

TEST_P(TypesTest, EveryPolydbTypeWrittenAndReadBack) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""},       {"b", TypeId::boolean, true, ""},
               {"d", Type(TypeId::decimal, 18, 4), true, ""},
               {"tz", TypeId::timestamp_tz, true, ""}, {"u", TypeId::uuid, true, ""},
               {"tm", TypeId::time, true, ""},         {"j", TypeId::json, true, ""}};
  s->primary_key = {"id"};
  Batch b(s);
  b.append_row(std::vector<Value>{int64_t{1}, false, Decimal{"-0.0001"}, TimestampTz{1},
                                  parse_value("00000000-0000-0000-0000-0000000000ff", TypeId::uuid),
                                  Time{1}, Json{"{\"k\":\"v\"}"}});
  const std::string t = table("written");
  auto w = conn_->writer(t, *s, {WriteMode::create, {}});
  w->write(b);
  EXPECT_EQ(w->commit().rows, 1u);
  auto r = conn_->scan({.table = t});
  const auto rows = collect_rows(*r);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], b.row(0));
}

INSTANTIATE_TEST_SUITE_P(Drivers, TypesTest, ::testing::ValuesIn(drivers()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace polydb::odbctest
