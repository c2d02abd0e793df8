// MySQL / MariaDB types against the real server, both ways, and interop with
// the mariadb client: what polydb writes the client reads, and the other way round.

#include <cmath>

#include "fixture.hpp"

namespace polydb::mytest {
namespace {

using MysqlTypes = MysqlTest;

TEST_F(MysqlTypes, Decimal65DigitsBothWays) {
  conn_->execute("CREATE TABLE n (id INT PRIMARY KEY, v DECIMAL(65,30), w DECIMAL(10,2))");
  const std::string big = "12345678901234567890123456789012345.123456789012345678901234567890";
  client("INSERT INTO n VALUES (1, " + big + ", -0.05)");
  const Schema s = conn_->describe("n");
  EXPECT_EQ(s.fields[1].type, Type(TypeId::decimal, 65, 30));
  auto rows = scan_all(*conn_, "n");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][1], Value(Decimal{big}));
  EXPECT_EQ(rows[0][2], Value(Decimal{"-0.05"}));

  auto src = std::make_shared<Schema>(s);
  Batch b(src);
  b.append_row(std::vector<Value>{int64_t{2}, Decimal{"-" + big}, Decimal{"99999999.99"}});
  write(*conn_, "n", b);
  EXPECT_EQ(client("SELECT v, w FROM n WHERE id = 2"), "-" + big + "\t99999999.99\n");
  // Filters on decimals are exact on the server.
  auto r = conn_->scan({.table = "n", .filter = parse_filter("w >= 99999999.99")});
  EXPECT_TRUE(r->plan().filter_pushed);
  EXPECT_EQ(collect_rows(*r).size(), 1u);
}

TEST_F(MysqlTypes, DatetimeAndTimestampKeepMicrosecondsAndTimestampIsUtc) {
  conn_->execute("CREATE TABLE tz (id INT PRIMARY KEY, naive DATETIME(6), at TIMESTAMP(6) NULL)");
  // The client writes in +02:00; polydb reads TIMESTAMP as UTC instants.
  client(
      "SET time_zone = '+02:00'; INSERT INTO tz VALUES (1, '2024-07-01 08:00:00.123456', "
      "'2024-07-01 08:00:00.654321')");
  const Schema s = conn_->describe("tz");
  EXPECT_EQ(s.fields[1].type, Type(TypeId::timestamp));
  EXPECT_EQ(s.fields[2].type, Type(TypeId::timestamp_tz));
  auto rows = scan_all(*conn_, "tz");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][1], Value(parse_value("2024-07-01 08:00:00.123456", TypeId::timestamp)));
  EXPECT_EQ(rows[0][2], Value(parse_value("2024-07-01 06:00:00.654321Z", TypeId::timestamp_tz)));
  auto r =
      conn_->scan({.table = "tz", .filter = parse_filter("at = '2024-07-01 06:00:00.654321Z'")});
  EXPECT_TRUE(r->plan().filter_pushed);
  EXPECT_EQ(collect_rows(*r).size(), 1u);
  // Query results: DATETIME is a timestamp, TIMESTAMP a timestamp_tz.
  auto q = conn_->query("SELECT naive, at, DATE(naive) AS d, TIME(naive) AS t FROM tz");
  EXPECT_EQ(q->schema().fields[0].type, Type(TypeId::timestamp));
  EXPECT_EQ(q->schema().fields[1].type, Type(TypeId::timestamp_tz));
  EXPECT_EQ(q->schema().fields[2].type, Type(TypeId::date));
  EXPECT_EQ(q->schema().fields[3].type, Type(TypeId::time));
  const auto qrows = collect_rows(*q);
  EXPECT_EQ(qrows.at(0).at(3), Value(parse_value("08:00:00.123456", TypeId::time)));
}

TEST_F(MysqlTypes, BitEnumSetYearAndTinyint) {
  conn_->execute(
      "CREATE TABLE k (id INT PRIMARY KEY, b5 BIT(5), b64 BIT(64), e ENUM('small','large'), "
      "s SET('a','b','c'), y YEAR, flag TINYINT(1), tiny TINYINT)");
  client(
      "INSERT INTO k VALUES (1, b'10101', x'0102030405060708', 'large', 'a,c', 2024, 1, -5),"
      " (2, NULL, NULL, NULL, '', 1901, 0, 127)");
  const Schema s = conn_->describe("k");
  EXPECT_EQ(s.fields[1].type, Type(TypeId::int64));
  EXPECT_EQ(s.fields[2].type, Type(TypeId::bytes));
  EXPECT_EQ(s.fields[3].type, Type(TypeId::string));
  EXPECT_EQ(s.fields[4].type, Type(TypeId::string));
  EXPECT_EQ(s.fields[5].type, Type(TypeId::int64));
  EXPECT_EQ(s.fields[6].type, Type(TypeId::boolean));
  EXPECT_EQ(s.fields[7].type, Type(TypeId::int64));
  auto rows = scan_all(*conn_, "k");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][1], Value(int64_t{21}));
  EXPECT_EQ(rows[0][2], Value(Bytes{std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8)}));
  EXPECT_EQ(rows[0][3], Value("large"));
  EXPECT_EQ(rows[0][4], Value("a,c"));
  EXPECT_EQ(rows[0][5], Value(int64_t{2024}));
  EXPECT_EQ(rows[0][6], Value(true));
  EXPECT_EQ(rows[0][7], Value(int64_t{-5}));
  EXPECT_EQ(rows[1][4], Value(""));
  EXPECT_EQ(rows[1][6], Value(false));

  // polydb writes BIT from integers, ENUM/SET from text.
  auto src = std::make_shared<Schema>(s);
  Batch b(src);
  b.append_row(std::vector<Value>{int64_t{3}, int64_t{31}, Bytes{std::string(8, '\xff')}, "small",
                                  "b,c", int64_t{2155}, true, int64_t{0}});
  write(*conn_, "k", b);
  EXPECT_EQ(client("SELECT b5 + 0, HEX(b64), e, s, y, flag FROM k WHERE id = 3"),
            "31\tFFFFFFFFFFFFFFFF\tsmall\tb,c\t2155\t1\n");
  Batch bad(src);
  bad.append_row(std::vector<Value>{int64_t{4}, int64_t{32}, Value(), "huge", Value(), Value(),
                                    Value(), Value()});
  const Error e = error_of([&] { write(*conn_, "k", bad); });
  EXPECT_EQ(e.code(), ErrorCode::type_mismatch) << e.what();
  EXPECT_EQ(conn_->count_rows("k"), 3u);

  // A TINYINT(1) holding 2 is not a boolean: an error, or an integer on request.
  client("INSERT INTO k (id, flag) VALUES (5, 2)");
  const Error two = error_of([&] { scan_all(*conn_, "k"); });
  EXPECT_EQ(two.code(), ErrorCode::type_mismatch) << two.what();
  EXPECT_NE(two.message().find("tinyint1-as-boolean=false"), std::string::npos) << two.what();
  auto ints = connect(url_for(db_, "tinyint1-as-boolean=false"));
  EXPECT_EQ(ints->describe("k").fields[6].type, Type(TypeId::int64));
  EXPECT_EQ(scan_all(*ints, "k").back()[6], Value(int64_t{2}));
}

TEST_F(MysqlTypes, UnsignedBigintBeyondInt64IsAnExactDecimal) {
  conn_->execute("CREATE TABLE u (id BIGINT UNSIGNED PRIMARY KEY, small INT UNSIGNED)");
  client(
      "INSERT INTO u VALUES (18446744073709551615, 4294967295), (1, 0), "
      "(9223372036854775808, 1)");
  const Schema s = conn_->describe("u");
  EXPECT_EQ(s.fields[0].type, Type(TypeId::decimal, 20, 0));
  EXPECT_EQ(s.fields[1].type, Type(TypeId::int64));
  auto rows = scan_all(*conn_, "u");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][0], Value(Decimal{"1"}));
  EXPECT_EQ(rows[1][0], Value(Decimal{"9223372036854775808"}));
  EXPECT_EQ(rows[2][0], Value(Decimal{"18446744073709551615"}));
  EXPECT_EQ(rows[2][1], Value(int64_t{4294967295}));
  auto r = conn_->scan({.table = "u", .filter = parse_filter("id > 9223372036854775807")});
  EXPECT_TRUE(r->plan().filter_pushed);
  EXPECT_EQ(collect_rows(*r).size(), 2u);
  // Partitions split the unsigned key range exactly.
  size_t total = 0;
  for (uint32_t k = 0; k < 4; ++k) {
    ScanSpec spec{.table = "u"};
    spec.partition = {k, 4};
    auto p = conn_->scan(spec);
    EXPECT_NE(p->plan().native.find(">="), std::string::npos) << p->plan().native;
    total += collect_rows(*p).size();
  }
  EXPECT_EQ(total, 3u);
  auto q = collect_rows(*conn_->query("SELECT MAX(id) FROM u"));
  EXPECT_EQ(q.at(0).at(0), Value(Decimal{"18446744073709551615"}));
}

TEST_F(MysqlTypes, ZeroDatesAreAnErrorByDefaultAndNullOnRequest) {
  conn_->execute("CREATE TABLE z (id INT PRIMARY KEY, d DATE NOT NULL, ts DATETIME)");
  client(
      "SET sql_mode = ''; INSERT INTO z VALUES (1, '0000-00-00', '0000-00-00 00:00:00'), "
      "(2, '2024-01-31', '2024-01-31 10:00:00')");
  const Error e = error_of([&] { scan_all(*conn_, "z"); });
  EXPECT_EQ(e.code(), ErrorCode::type_mismatch) << e.what();
  EXPECT_NE(e.message().find("'d'"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("zero-date=null"), std::string::npos) << e.what();

  auto lenient = connect(url_for(db_, "zero-date=null"));
  EXPECT_TRUE(lenient->describe("z").fields[1].nullable);
  auto rows = scan_all(*lenient, "z");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(rows[0][1].is_null());
  EXPECT_TRUE(rows[0][2].is_null());
  EXPECT_EQ(rows[1][1], Value(Date{days_from_civil(2024, 1, 31)}));
  // Filters on such columns run locally, where the zero date is NULL.
  auto r = lenient->scan({.table = "z", .filter = parse_filter("d IS NULL")});
  EXPECT_FALSE(r->plan().filter_pushed);
  EXPECT_EQ(collect_rows(*r).size(), 1u);
  // polydb never writes a zero date: strict mode refuses one from SQL too.
  const std::vector<Value> zero{"0000-00-00"};
  EXPECT_EQ(error_of([&] { conn_->execute("INSERT INTO z VALUES (3, ?, NULL)", zero); }).code(),
            ErrorCode::type_mismatch);
}

TEST_F(MysqlTypes, TimeOutsideADayIsAnErrorWithAHint) {
  conn_->execute("CREATE TABLE tm (id INT PRIMARY KEY, t TIME(6))");
  client("INSERT INTO tm VALUES (1, '23:59:59.999999'), (2, '838:59:59'), (3, '-00:00:01')");
  auto ok = conn_->scan({.table = "tm", .filter = parse_filter("id = 1")});
  EXPECT_EQ(collect_rows(*ok).at(0).at(1), Value(Time{86399999999}));
  for (int id : {2, 3}) {
    auto r = conn_->scan({.table = "tm", .filter = parse_filter("id = " + std::to_string(id))});
    const Error e = error_of([&] { collect_rows(*r); });
    EXPECT_EQ(e.code(), ErrorCode::type_mismatch) << e.what();
    EXPECT_NE(e.message().find("CAST(col AS CHAR)"), std::string::npos) << e.what();
  }
  auto text = collect_rows(*conn_->query("SELECT CAST(t AS CHAR) FROM tm WHERE id = 2"));
  EXPECT_EQ(text.at(0).at(0), Value("838:59:59.000000"));
}

TEST_F(MysqlTypes, Utf8mb4AndBinaryBothWays) {
  conn_->execute("CREATE TABLE s (id INT PRIMARY KEY, txt VARCHAR(50), bin VARBINARY(50))");
  client("INSERT INTO s VALUES (1, 'party 🎉 ü', x'00FF0A5C09')");
  auto rows = scan_all(*conn_, "s");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][1], Value("party 🎉 ü"));
  EXPECT_EQ(rows[0][2], Value(Bytes{std::string("\x00\xff\n\\\t", 5)}));
  auto src = std::make_shared<Schema>(conn_->describe("s"));
  Batch b(src);
  b.append_row(std::vector<Value>{int64_t{2}, "😀 tab\there \\N", Bytes{std::string("\0\r\n", 3)}});
  write(*conn_, "s", b);
  EXPECT_EQ(client("SELECT HEX(txt), HEX(bin) FROM s WHERE id = 2"),
            "F09F9880207461620968657265205C4E\t000D0A\n");
  // Invalid UTF-8 is refused, not mangled.
  Batch bad(src);
  bad.append_row(std::vector<Value>{int64_t{3}, std::string("\xff\xfe", 2), Value()});
  const Error e = error_of([&] { write(*conn_, "s", bad); });
  EXPECT_EQ(e.code(), ErrorCode::type_mismatch) << e.what();
  EXPECT_NE(e.message().find("'txt'"), std::string::npos) << e.what();
}

TEST_F(MysqlTypes, JsonAndUuid) {
  conn_->execute("CREATE TABLE j (id INT PRIMARY KEY, doc JSON, u UUID)");
  client("INSERT INTO j VALUES (1, '{\"a\": [1, 2]}', '123e4567-e89b-12d3-a456-426614174000')");
  const Schema s = conn_->describe("j");
  EXPECT_EQ(s.fields[1].type, Type(TypeId::json));
  EXPECT_EQ(s.fields[2].type, Type(TypeId::uuid));
  auto rows = scan_all(*conn_, "j");
  EXPECT_EQ(rows.at(0)[1], Value(Json{"{\"a\": [1, 2]}"}));
  EXPECT_EQ(rows.at(0)[2],
            Value(parse_value("123e4567-e89b-12d3-a456-426614174000", TypeId::uuid)));
  auto q = conn_->query("SELECT doc, u FROM j");
  EXPECT_EQ(q->schema().fields[0].type, Type(TypeId::json));
  EXPECT_EQ(q->schema().fields[1].type, Type(TypeId::uuid));
  auto src = std::make_shared<Schema>(s);
  Batch bad(src);
  bad.append_row(std::vector<Value>{int64_t{2}, Json{"{not json"}, Value()});
  EXPECT_EQ(error_of([&] { write(*conn_, "j", bad); }).code(), ErrorCode::conflict)
      << "MariaDB's json_valid CHECK";
}

TEST_F(MysqlTypes, EveryPolydbTypeReadsBackInTheClient) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""},    {"b", TypeId::boolean, true, ""},
               {"f", TypeId::float64, true, ""},    {"d", Type(TypeId::decimal, 12, 3), true, ""},
               {"dt", TypeId::date, true, ""},      {"tm", TypeId::time, true, ""},
               {"ts", TypeId::timestamp, true, ""}, {"tz", TypeId::timestamp_tz, true, ""},
               {"u", TypeId::uuid, true, ""},       {"j", TypeId::json, true, ""},
               {"s", TypeId::string, true, ""}};
  s->primary_key = {"id"};
  Batch b(s);
  Uuid u;
  for (int i = 0; i < 16; ++i) u.bytes[i] = static_cast<uint8_t>(0xa0 + i);
  b.append_row(std::vector<Value>{int64_t{1}, true, 0.1, Decimal{"-123456789.125"}, Date{0},
                                  Time{1}, Timestamp{1704067200000000}, TimestampTz{-1}, u,
                                  Json{"[1,\"x\"]"}, "naïve"});
  write(*conn_, "all_types", b, WriteMode::create);
  EXPECT_EQ(client("SELECT * FROM all_types"),
            "1\t1\t0.1\t-123456789.125\t1970-01-01\t00:00:00.000001\t2024-01-01 "
            "00:00:00.000000\t1969-12-31 23:59:59.999999\ta0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf\t"
            "[1,\"x\"]\tnaïve\n");
  // And the client's rows read back through polydb with the same types.
  client(
      "INSERT INTO all_types VALUES (2, 0, -2.5, 7, '2000-02-29', '12:00:00', "
      "'2000-01-01 00:00:00', '2000-01-01 00:00:00', 'A0A1A2A3-A4A5-A6A7-A8A9-AAABACADAEAF', "
      "'{}', '')");
  auto rows = scan_all(*conn_, "all_types");
  ASSERT_EQ(rows.size(), 2u);
  for (size_t c = 0; c < s->fields.size(); ++c)
    EXPECT_EQ(rows[0][c], b.row(0)[c]) << s->fields[c].name;
  EXPECT_EQ(rows[1][3], Value(Decimal{"7.000"}));
  EXPECT_EQ(rows[1][8], Value(u)) << "UUID text in upper case reads the same";
  EXPECT_EQ(rows[1][7], Value(TimestampTz{946684800000000}));
  // A uuid filter matches whatever the text's case.
  auto r =
      conn_->scan({.table = "all_types", .filter = Filter::compare("u", CompareOp::eq, Value(u))});
  EXPECT_TRUE(r->plan().filter_pushed);
  EXPECT_EQ(collect_rows(*r).size(), 2u);
}

}  // namespace
}  // namespace polydb::mytest
