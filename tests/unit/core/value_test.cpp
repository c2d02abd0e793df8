#include "polydb/value.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "polydb/error.hpp"

namespace polydb {
namespace {

TEST(CivilDate, RoundTripsAcrossEras) {
  for (int32_t days : {-719468, -1, 0, 1, 10957, 19358, 2932896}) {
    int64_t y;
    unsigned m, d;
    civil_from_days(days, y, m, d);
    EXPECT_EQ(days_from_civil(y, m, d), days) << days;
  }
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
}

TEST(ParseValue, Integers) {
  EXPECT_EQ(parse_value("42", TypeId::int64), Value(int64_t{42}));
  EXPECT_EQ(parse_value("-9223372036854775808", TypeId::int64),
            Value(std::numeric_limits<int64_t>::min()));
  EXPECT_THROW(parse_value("9223372036854775808", TypeId::int64), Error);
  EXPECT_THROW(parse_value("1.5", TypeId::int64), Error);
  EXPECT_THROW(parse_value("abc", TypeId::int64), Error);
  try {
    parse_value("abc", TypeId::int64);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::type_mismatch);
    EXPECT_NE(e.message().find("abc"), std::string::npos);
  }
}

TEST(ParseValue, FloatsIncludingSpecials) {
  EXPECT_EQ(parse_value("1.5", TypeId::float64).as<double>(), 1.5);
  EXPECT_TRUE(std::isnan(parse_value("NaN", TypeId::float64).as<double>()));
  EXPECT_EQ(parse_value("-inf", TypeId::float64).as<double>(),
            -std::numeric_limits<double>::infinity());
  EXPECT_EQ(format_double(0.1), "0.1");
  EXPECT_EQ(format_double(-std::numeric_limits<double>::infinity()), "-Infinity");
}

// As PostgreSQL writes a float8: the shortest digits that read back exactly,
// plainly for decimal exponents in [-4, 15), else with an exponent.
TEST(FormatDouble, ShortestDigitsPlainlyBetweenTenToTheMinusFourAndTenToTheFifteen) {
  EXPECT_EQ(format_double(100000.0), "100000");  // was 1e+05
  EXPECT_EQ(format_double(1e6), "1000000");
  EXPECT_EQ(format_double(123456789012345.0), "123456789012345");
  EXPECT_EQ(format_double(1e15), "1e+15");
  EXPECT_EQ(format_double(1.2345678901234568e17), "1.2345678901234568e+17");
  EXPECT_EQ(format_double(0.0001), "0.0001");
  EXPECT_EQ(format_double(0.00001), "1e-05");
  EXPECT_EQ(format_double(-2.5e-300), "-2.5e-300");
  EXPECT_EQ(format_double(0.0), "0");
  EXPECT_EQ(format_double(-0.0), "-0");
  EXPECT_EQ(format_double(99999.5), "99999.5");
  EXPECT_EQ(format_double(0.1 + 0.2), "0.30000000000000004");
  // Every value reads back as itself (a fixed-seed sample of bit patterns).
  std::mt19937_64 rng(20261207);
  for (int i = 0; i < 100000; ++i) {
    double d;
    const uint64_t bits = rng();
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isfinite(d)) continue;
    const std::string text = format_double(d);
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), d) << text;
  }
}

TEST(ParseValue, DecimalsAreCanonicalAndExact) {
  EXPECT_EQ(parse_value("+00123.4500", TypeId::decimal).as<Decimal>().text, "123.4500");
  EXPECT_EQ(parse_value("-0.0", TypeId::decimal).as<Decimal>().text, "0.0");
  EXPECT_EQ(parse_value("12345678901234567890.123456789", TypeId::decimal).as<Decimal>().text,
            "12345678901234567890.123456789");
  EXPECT_THROW(parse_value("1e5", TypeId::decimal), Error);
}

TEST(ParseValue, DatesTimesTimestamps) {
  EXPECT_EQ(parse_value("1970-01-02", TypeId::date).as<Date>().days, 1);
  EXPECT_THROW(parse_value("2023-02-29", TypeId::date), Error);
  EXPECT_NO_THROW(parse_value("2024-02-29", TypeId::date));
  EXPECT_EQ(parse_value("00:00:01.5", TypeId::time).as<Time>().micros, 1'500'000);
  const auto ts = parse_value("2024-01-31T12:34:56.123456", TypeId::timestamp).as<Timestamp>();
  EXPECT_EQ(format_timestamp(ts), "2024-01-31 12:34:56.123456");
  const auto tz = parse_value("2024-01-31 14:34:56+02:00", TypeId::timestamp_tz);
  EXPECT_EQ(format_timestamp_tz(tz.as<TimestampTz>()), "2024-01-31 12:34:56+00:00");
  EXPECT_THROW(parse_value("2024-01-31 12:00:00Z", TypeId::timestamp), Error);
  EXPECT_EQ(format_timestamp(Timestamp{-1}), "1969-12-31 23:59:59.999999");
}

// Found by fuzz/pg_copy_fuzz: PostgreSQL's -infinity reads as INT64_MIN, and
// formatting it overflowed int64 (day * micros per day) before the fix.
TEST(FormatValue, TimestampsAtTheEndsOfTheRange) {
  EXPECT_EQ(format_timestamp(Timestamp{INT64_MIN}), "-290308-12-21 19:59:05.224192");
  EXPECT_EQ(format_timestamp(Timestamp{INT64_MAX}), "+294247-01-10 04:00:54.775807");
  EXPECT_EQ(format_timestamp_tz(TimestampTz{INT64_MIN}), "-290308-12-21 19:59:05.224192+00:00");
  // They read back; one microsecond further does not fit (found by
  // fuzz/mysql_fuzz: years up to 999999 parse, and day * micros per day
  // overflowed int64 before the fix).
  EXPECT_EQ(parse_value("+294247-01-10 04:00:54.775807", TypeId::timestamp),
            Value(Timestamp{INT64_MAX}));
  EXPECT_EQ(parse_value("-290308-12-21 19:59:05.224192+00:00", TypeId::timestamp_tz),
            Value(TimestampTz{INT64_MIN}));
  EXPECT_THROW(parse_value("+294247-01-10 04:00:54.775808", TypeId::timestamp), Error);
  EXPECT_THROW(parse_value("999999-12-31 23:59:59", TypeId::timestamp), Error);
  EXPECT_THROW(parse_value("-999999-01-01 00:00:00Z", TypeId::timestamp_tz), Error);
  EXPECT_THROW(parse_value("-290308-12-21 19:59:05.224192+00:01", TypeId::timestamp_tz), Error);
}

TEST(ParseValue, UuidBytesBooleans) {
  const auto u = parse_value("123E4567-e89b-12d3-a456-426614174000", TypeId::uuid).as<Uuid>();
  EXPECT_EQ(format_uuid(u), "123e4567-e89b-12d3-a456-426614174000");
  EXPECT_THROW(parse_value("123e4567", TypeId::uuid), Error);
  EXPECT_EQ(parse_value("\\x00ff", TypeId::bytes).as<Bytes>().data, std::string("\0\xff", 2));
  EXPECT_THROW(parse_value("\\x0", TypeId::bytes), Error);
  EXPECT_EQ(parse_value("Yes", TypeId::boolean), Value(true));
  EXPECT_THROW(parse_value("maybe", TypeId::boolean), Error);
}

TEST(CoerceValue, WideningsAndRefusals) {
  EXPECT_EQ(coerce_value(Value(int64_t{3}), TypeId::float64), Value(3.0));
  EXPECT_THROW(coerce_value(Value(std::numeric_limits<int64_t>::max()), TypeId::float64), Error);
  EXPECT_EQ(coerce_value(Value(int64_t{-7}), TypeId::decimal), Value(Decimal{"-7"}));
  EXPECT_EQ(coerce_value(Value(2.5), TypeId::decimal), Value(Decimal{"2.5"}));
  EXPECT_EQ(coerce_value(Value("17"), TypeId::int64), Value(int64_t{17}));
  EXPECT_EQ(coerce_value(Value(TimestampTz{-1}), TypeId::timestamp), Value(Timestamp{-1}));
  EXPECT_THROW(coerce_value(Value("seventeen"), TypeId::int64), Error);
  EXPECT_THROW(coerce_value(Value(1.5), TypeId::int64), Error);
  EXPECT_EQ(coerce_value(Value(), TypeId::int64), Value());
  EXPECT_EQ(coerce_value(Value(int64_t{5}), TypeId::string), Value("5"));
}

TEST(ValueAccess, WrongTypeIsTypeMismatch) {
  Value v(int64_t{1});
  try {
    (void)v.as<std::string>();
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::type_mismatch);
  }
}

}  // namespace
}  // namespace polydb
