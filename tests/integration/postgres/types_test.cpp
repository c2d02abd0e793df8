// PostgreSQL-specific types and writes against the real server, and interop
// with psql: what polydb writes psql reads, and the other way round.

#include <cmath>

#include "fixture.hpp"

namespace polydb::pgtest {
namespace {

using PostgresTypes = PostgresTest;

std::vector<std::vector<Value>> scan_all(Connection& c, const std::string& table,
                                         std::vector<OrderBy> order = {{"id"}}) {
  auto r = c.scan({.table = table, .order_by = std::move(order)});
  return collect_rows(*r);
}

TEST_F(PostgresTypes, NumericKeepsThirtyPlusDigitsBothWays) {
  conn_->execute("CREATE TABLE " + t("n") + " (id int PRIMARY KEY, v numeric(40,20), w numeric)");
  conn_->execute("INSERT INTO " + t("n") +
                 " VALUES (1, 12345678901234567890.12345678901234567890,"
                 " -0.000000000000000000000000000001)");
  const Schema s = conn_->describe(t("n"));
  EXPECT_EQ(s.fields[1].type, Type(TypeId::decimal, 40, 20));
  EXPECT_EQ(s.fields[2].type, Type(TypeId::decimal));
  auto rows = scan_all(*conn_, t("n"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][1], Value(Decimal{"12345678901234567890.12345678901234567890"}));
  EXPECT_EQ(rows[0][2], Value(Decimal{"-0.000000000000000000000000000001"}));

  auto src = std::make_shared<Schema>(s);
  Batch b(src);
  b.append_row(std::vector<Value>{int64_t{2}, Decimal{"-99999999999999999999.99999999999999999999"},
                                  Decimal{"1" + std::string(60, '0') + ".5"}});
  auto w = conn_->writer(t("n"), *src, {WriteMode::append, {}});
  w->write(b);
  w->commit();
  EXPECT_EQ(psql("SELECT v, w FROM " + t("n") + " WHERE id = 2"),
            "-99999999999999999999.99999999999999999999|1" + std::string(60, '0') + ".5\n");

  conn_->execute("INSERT INTO " + t("n") + " VALUES (3, 'NaN', 0)");
  try {
    scan_all(*conn_, t("n"));
    FAIL() << "numeric NaN has no decimal form";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::type_mismatch) << e.what();
    EXPECT_NE(e.message().find("NaN"), std::string::npos) << e.what();
    EXPECT_NE(e.message().find("'v'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(conn_->count_rows(t("n")), 3u) << "the connection is usable after the error";
}

TEST_F(PostgresTypes, TimestamptzIsUtcWhateverTheSessionTimeZone) {
  // psql writes in New York time; polydb reads UTC microseconds, also from a
  // session whose TimeZone is not UTC.
  psql(
      "SET TimeZone = 'America/New_York';"
      "CREATE TABLE " +
      t("tz") +
      " (id int PRIMARY KEY, at timestamptz, naive timestamp);"
      "INSERT INTO " +
      t("tz") + " VALUES (1, '2024-07-01 08:00:00', '2024-07-01 08:00:00');");
  auto c = connect(url_ + "?options=-c%20TimeZone%3DAsia/Tokyo");
  auto rows = scan_all(*c, t("tz"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][1], Value(parse_value("2024-07-01 12:00:00Z", TypeId::timestamp_tz)));
  EXPECT_EQ(rows[0][2], Value(parse_value("2024-07-01 08:00:00", TypeId::timestamp)));
  // Filters on timestamptz compare instants, not wall-clock text.
  auto r = c->scan({.table = t("tz"), .filter = parse_filter("at = '2024-07-01 12:00:00Z'")});
  EXPECT_TRUE(r->plan().filter_pushed);
  EXPECT_EQ(collect_rows(*r).size(), 1u);
  // What polydb writes reads back in psql as the same instant.
  auto s = std::make_shared<Schema>(conn_->describe(t("tz")));
  Batch b(s);
  b.append_row(std::vector<Value>{int64_t{2}, TimestampTz{0}, Timestamp{0}});
  auto w = c->writer(t("tz"), *s, {WriteMode::append, {}});
  w->write(b);
  w->commit();
  EXPECT_EQ(psql("SET TimeZone = 'UTC'; SELECT at, naive FROM " + t("tz") + " WHERE id = 2"),
            "1970-01-01 00:00:00+00|1970-01-01 00:00:00\n");
}

TEST_F(PostgresTypes, IntervalsArraysEnumsDomainsAndJson) {
  conn_->execute("CREATE TYPE " + t("mood") + " AS ENUM ('sad', 'ok', 'happy')");
  conn_->execute("CREATE DOMAIN " + t("posint") + " AS int CHECK (VALUE > 0)");
  conn_->execute("CREATE DOMAIN " + t("email") + " AS text CHECK (VALUE LIKE '%@%')");
  conn_->execute("CREATE TABLE " + t("x") + " (id " + t("posint") +
                 " PRIMARY KEY, "
                 "span interval, nums int[], grid text[][], m " +
                 t("mood") + ", e " + t("email") + ", doc jsonb, raw json, moods " + t("mood") +
                 "[], ts timestamptz[], c char(4),"
                 " tt timetz, p point)");
  conn_->execute(
      "INSERT INTO " + t("x") +
      " VALUES (1, '1 year 2 months 3 days 04:05:06.5', "
      "'{1,NULL,3}', '{{a,\"b c\"},{\"d\\\"e\",NULL}}', 'happy', 'a@b', "
      "'{\"k\": [1, 2.50, {\"z\": null}], \"a\": \"x y\"}', '{\"keep\" :  \"spacing\"}', "
      "'{sad,ok}', '{\"2024-01-01 00:00:00+00\"}', 'ab', '12:00:00+02', '(1,2)')");
  const Schema s = conn_->describe(t("x"));
  auto type_of = [&](const std::string& col) { return s.field(col).type; };
  EXPECT_EQ(type_of("id"), Type(TypeId::int64));
  EXPECT_EQ(s.field("id").native_type, schema_ + ".posint");
  EXPECT_EQ(type_of("span"), Type(TypeId::string));
  EXPECT_EQ(type_of("nums"), Type(TypeId::json));
  EXPECT_EQ(type_of("m"), Type(TypeId::string));
  EXPECT_EQ(type_of("e"), Type(TypeId::string));
  EXPECT_EQ(type_of("doc"), Type(TypeId::json));
  EXPECT_EQ(type_of("moods"), Type(TypeId::json));
  EXPECT_EQ(type_of("p"), Type(TypeId::string));

  auto rows = scan_all(*conn_, t("x"));
  ASSERT_EQ(rows.size(), 1u);
  const auto& r = rows[0];
  EXPECT_EQ(r[0], Value(int64_t{1}));
  EXPECT_EQ(r[1], Value("P1Y2M3DT4H5M6.5S"));
  EXPECT_EQ(r[2], Value(Json{"[1,null,3]"}));
  EXPECT_EQ(r[3], Value(Json{R"([["a","b c"],["d\"e",null]])"}));
  EXPECT_EQ(r[4], Value("happy"));
  EXPECT_EQ(r[5], Value("a@b"));
  EXPECT_EQ(r[6], Value(Json{R"({"a":"x y","k":[1,2.50,{"z":null}]})"}));
  EXPECT_EQ(r[7], Value(Json{R"({"keep" :  "spacing"})"})) << "json keeps its text";
  EXPECT_EQ(r[8], Value(Json{R"(["sad","ok"])"}));
  EXPECT_EQ(r[9], Value(Json{R"(["2024-01-01T00:00:00+00:00"])"}));
  EXPECT_EQ(r[10], Value("ab  "));
  EXPECT_EQ(r[11], Value("12:00:00+02:00"));
  EXPECT_EQ(r[12], Value("(1,2)")) << "types without a binary reader come as text";

  // The same through query(): binary results, same values (point refused).
  auto q =
      conn_->query("SELECT id, span, nums, grid, m, e, doc, raw, moods, ts, c, tt FROM " + t("x"));
  auto qrows = collect_rows(*q);
  ASSERT_EQ(qrows.size(), 1u);
  for (size_t i = 0; i < qrows[0].size(); ++i) EXPECT_EQ(qrows[0][i], r[i]) << i;

  // Writing: strings into enum, domain and interval columns; json into jsonb.
  auto src = std::make_shared<Schema>();
  src->fields = {{"id", TypeId::int64, false, ""},
                 {"span", TypeId::string, true, ""},
                 {"m", TypeId::string, true, ""},
                 {"e", TypeId::string, true, ""},
                 {"doc", TypeId::json, true, ""}};
  Batch b(src);
  b.append_row(std::vector<Value>{int64_t{2}, "P-1DT0.25S", "sad", "x@y", Json{"[true]"}});
  auto w = conn_->writer(t("x"), *src, {WriteMode::append, {}});
  w->write(b);
  w->commit();
  EXPECT_EQ(psql("SET IntervalStyle = 'iso_8601'; SELECT span, m, e, doc FROM " + t("x") +
                 " WHERE id = 2"),
            "P-1DT0.25S|sad|x@y|[true]\n");

  // Domain checks and enum labels are enforced by the server: type_mismatch / conflict.
  // (The server reports them while the COPY runs: at write() or commit().)
  auto write_one = [&](std::vector<Value> row) {
    Batch one(src);
    one.append_row(row);
    auto writer = conn_->writer(t("x"), *src, {WriteMode::append, {}});
    writer->write(one);
    writer->commit();
  };
  EXPECT_EQ(code_of([&] {
              write_one({int64_t{3}, Value(), "furious", Value(), Value()});
            }),
            ErrorCode::type_mismatch);
  EXPECT_EQ(code_of([&] {
              write_one({int64_t{-3}, Value(), Value(), Value(), Value()});
            }),
            ErrorCode::conflict)
      << "CHECK violation";
  EXPECT_EQ(conn_->count_rows(t("x")), 2u);
}

TEST_F(PostgresTypes, ValuesThatDoNotFitNameTheRowAndColumn) {
  conn_->execute("CREATE TABLE " + t("small") + " (id int PRIMARY KEY, q smallint, s varchar(3))");
  auto src = std::make_shared<Schema>();
  src->fields = {{"id", TypeId::int64, false, ""},
                 {"q", TypeId::int64, true, ""},
                 {"s", TypeId::string, true, ""}};
  Batch b(src);
  b.append_row(std::vector<Value>{int64_t{1}, int64_t{7}, "abc"});
  b.append_row(std::vector<Value>{int64_t{2}, int64_t{70000}, "abc"});
  try {
    auto w = conn_->writer(t("small"), *src, {WriteMode::append, {}});
    w->write(b);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::type_mismatch) << e.what();
    EXPECT_NE(e.message().find("row 2, column 'q'"), std::string::npos) << e.what();
  }
  // Caught by the server (varchar(3)): the COPY context names line and column.
  Batch b2(src);
  b2.append_row(std::vector<Value>{int64_t{1}, int64_t{7}, "abc"});
  b2.append_row(std::vector<Value>{int64_t{2}, int64_t{8}, "abcd"});
  try {
    auto w = conn_->writer(t("small"), *src, {WriteMode::append, {}});
    w->write(b2);
    w->commit();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::type_mismatch) << e.what();
    EXPECT_NE(e.message().find("line 2, column s"), std::string::npos) << e.what();
  }
  EXPECT_EQ(conn_->count_rows(t("small")), 0u) << "nothing half-written";
}

TEST_F(PostgresTypes, ReplaceUpsertAndInterop) {
  psql("CREATE TABLE " + t("shop") +
       " (id bigint PRIMARY KEY, name text, price numeric(10,2));"
       "INSERT INTO " +
       t("shop") + " VALUES (1, 'tea', 2.50), (2, 'cake', 4.00);");
  auto rows = scan_all(*conn_, t("shop"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1], (std::vector<Value>{int64_t{2}, "cake", Decimal{"4.00"}}));

  auto src = std::make_shared<Schema>(conn_->describe(t("shop")));
  Batch up(src);
  up.append_row(std::vector<Value>{int64_t{2}, "cheesecake", Decimal{"5.25"}});
  up.append_row(std::vector<Value>{int64_t{3}, "scone", Decimal{"1.75"}});
  auto w = conn_->writer(t("shop"), *src, {WriteMode::upsert, {}});
  w->write(up);
  EXPECT_EQ(w->commit().rows, 2u);
  EXPECT_EQ(psql("SELECT id, name, price FROM " + t("shop") + " ORDER BY id"),
            "1|tea|2.50\n2|cheesecake|5.25\n3|scone|1.75\n");

  // The same key twice in one upsert: the last row wins (polydb's rule on
  // every backend; ON CONFLICT alone would refuse to touch a row twice).
  Batch twice(src);
  twice.append_row(std::vector<Value>{int64_t{1}, "a", Value()});
  twice.append_row(std::vector<Value>{int64_t{1}, "b", Value()});
  auto w2 = conn_->writer(t("shop"), *src, {WriteMode::upsert, {}});
  w2->write(twice);
  w2->commit();
  EXPECT_EQ(psql("SELECT id, name, price FROM " + t("shop") + " ORDER BY id"),
            "1|b|\n2|cheesecake|5.25\n3|scone|1.75\n");

  Batch fresh(src);
  fresh.append_row(std::vector<Value>{int64_t{10}, "bun", Decimal{"0.99"}});
  auto w3 = conn_->writer(t("shop"), *src, {WriteMode::replace, {}});
  w3->write(fresh);
  w3->commit();
  EXPECT_EQ(psql("SELECT id, name, price FROM " + t("shop")), "10|bun|0.99\n");
  EXPECT_EQ(psql("SELECT conname FROM pg_constraint WHERE conrelid = '" + t("shop") +
                 "'::regclass AND contype = 'p'"),
            "shop_pkey\n")
      << "the swapped-in table keeps the usual key name";
  EXPECT_EQ(psql("SELECT count(*) FROM pg_class WHERE relname LIKE '\\_polydb%'"), "0\n");
}

TEST_F(PostgresTypes, FloatsKeepNaNAndInfinityAndFiltersAgree) {
  conn_->execute("CREATE TABLE " + t("f") + " (id int PRIMARY KEY, r real, d double precision)");
  conn_->execute("INSERT INTO " + t("f") +
                 " VALUES (1, 'NaN', 'NaN'), (2, 'Infinity', "
                 "'-Infinity'), (3, 0.5, 2.5), (4, NULL, NULL)");
  auto rows = scan_all(*conn_, t("f"));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_TRUE(std::isnan(rows[0][1].as<double>()));
  EXPECT_EQ(rows[1][1], Value(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(rows[1][2], Value(-std::numeric_limits<double>::infinity()));
  EXPECT_EQ(rows[2][1], Value(0.5));
  // PostgreSQL sorts NaN above everything; polydb never calls NaN greater.
  auto r = conn_->scan({.table = t("f"), .filter = parse_filter("d > 0")});
  EXPECT_TRUE(r->plan().filter_pushed);
  const auto hits = collect_rows(*r);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0][0], Value(int64_t{3}));
}

}  // namespace
}  // namespace polydb::pgtest
