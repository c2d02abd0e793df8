// PostgreSQL type mapping and binary formats, without a server: the byte
// layouts below are those of PostgreSQL's *_send/*_recv functions.

#include "connectors/postgres/types.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "polydb/error.hpp"

namespace polydb::postgres {
namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string out;
  for (int v : b) out += static_cast<char>(v);
  return out;
}

// Encodes row 0 of a one-value column of `type` and returns the field body
// (without its length prefix).
std::string encode(const PgType& type, const Value& v) {
  Column col(polydb_type(type));
  col.append(v);
  std::string out;
  encode_field(type, col, 0, out);
  EXPECT_GE(out.size(), 4u);
  return out.substr(4);
}

Value decode(const PgType& type, const std::string& body) {
  Column col(polydb_type(type));
  decode_field(type, body.data(), static_cast<int32_t>(body.size()), col, "c");
  return col.value_at(0);
}

ErrorCode code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::internal;
}

TEST(PostgresTypes, BuiltinTypesMapToPolydbTypes) {
  EXPECT_EQ(polydb_type(builtin_type(oid::kBool)), Type(TypeId::boolean));
  for (Oid o : {oid::kInt2, oid::kInt4, oid::kInt8, oid::kOid})
    EXPECT_EQ(polydb_type(builtin_type(o)), Type(TypeId::int64)) << o;
  for (Oid o : {oid::kFloat4, oid::kFloat8})
    EXPECT_EQ(polydb_type(builtin_type(o)), Type(TypeId::float64)) << o;
  for (Oid o : {oid::kText, oid::kVarchar, oid::kBpchar, oid::kName, oid::kInterval, oid::kTimetz,
                oid::kXml})
    EXPECT_EQ(polydb_type(builtin_type(o)), Type(TypeId::string)) << o;
  EXPECT_EQ(polydb_type(builtin_type(oid::kJson)), Type(TypeId::json));
  EXPECT_EQ(polydb_type(builtin_type(oid::kJsonb)), Type(TypeId::json));
  EXPECT_EQ(polydb_type(builtin_type(oid::kBytea)), Type(TypeId::bytes));
  EXPECT_EQ(polydb_type(builtin_type(oid::kDate)), Type(TypeId::date));
  EXPECT_EQ(polydb_type(builtin_type(oid::kTime)), Type(TypeId::time));
  EXPECT_EQ(polydb_type(builtin_type(oid::kTimestamp)), Type(TypeId::timestamp));
  EXPECT_EQ(polydb_type(builtin_type(oid::kTimestamptz)), Type(TypeId::timestamp_tz));
  EXPECT_EQ(polydb_type(builtin_type(oid::kUuid)), Type(TypeId::uuid));
  EXPECT_EQ(builtin_type(600).codec, Codec::unsupported);  // point
}

TEST(PostgresTypes, NumericTypmodGivesPrecisionAndScale) {
  const PgType numeric = builtin_type(oid::kNumeric);
  EXPECT_EQ(polydb_type(numeric, -1), Type(TypeId::decimal));
  EXPECT_EQ(polydb_type(numeric, ((12 << 16) | 2) + 4), Type(TypeId::decimal, 12, 2));
  EXPECT_EQ(polydb_type(numeric, ((1000 << 16) | 30) + 4), Type(TypeId::decimal, 1000, 30));
  // numeric(2,-3) (PostgreSQL 15): a negative scale is left unconstrained.
  EXPECT_EQ(polydb_type(numeric, ((2 << 16) | (0x7ff & -3)) + 4), Type(TypeId::decimal));
}

TEST(PostgresTypes, CatalogTypesFollowDomainsEnumsArraysAndStringTypes) {
  CatalogType domain{16391, oid::kInt4, 'b', 'N', 0, "posint"};
  const PgType d = type_from_catalog(domain, nullptr);
  EXPECT_EQ(d.codec, Codec::int4);
  EXPECT_TRUE(d.comparable);
  EXPECT_EQ(d.name, "posint");

  const PgType e = type_from_catalog({16394, 16394, 'e', 'E', 0, "mood"}, nullptr);
  EXPECT_EQ(e.codec, Codec::text);
  EXPECT_FALSE(e.comparable) << "enums sort by declaration order, not by label";

  const PgType element = builtin_type(oid::kInt4);
  const PgType a = type_from_catalog({1007, 1007, 'b', 'A', oid::kInt4, "integer[]"}, &element);
  EXPECT_EQ(a.codec, Codec::array);
  EXPECT_EQ(a.element, Codec::int4);
  EXPECT_EQ(polydb_type(a), Type(TypeId::json));

  const PgType citext = type_from_catalog({17000, 17000, 'b', 'S', 0, "citext", "citext"}, nullptr);
  EXPECT_EQ(citext.codec, Codec::text);
  EXPECT_TRUE(citext.comparable) << "pushed natively: the server applies citext's rule";
  EXPECT_EQ(citext.collation, Collation::case_insensitive);
  // A domain over citext keeps the rule; another string type is bytewise and stays local.
  EXPECT_EQ(type_from_catalog({17001, 17000, 'b', 'S', 0, "email", "citext"}, nullptr).collation,
            Collation::case_insensitive);
  const PgType other = type_from_catalog({17002, 17002, 'b', 'S', 0, "ltree", "ltree"}, nullptr);
  EXPECT_EQ(other.collation, Collation::binary);
  EXPECT_FALSE(other.comparable);

  EXPECT_EQ(type_from_catalog({3904, 3904, 'r', 'R', 0, "int4range"}, nullptr).codec,
            Codec::unsupported);
  // char(n) ignores trailing blanks: comparable under polydb's pad_space collation.
  EXPECT_TRUE(builtin_type(oid::kBpchar).comparable);
  EXPECT_EQ(builtin_type(oid::kBpchar).collation, Collation::pad_space);
  EXPECT_EQ(type_from_catalog({17001, oid::kBpchar, 'b', 'S', 0, "code"}, nullptr).collation,
            Collation::pad_space)
      << "a domain over char(n)";
  EXPECT_TRUE(builtin_type(oid::kVarchar).comparable);
  EXPECT_EQ(builtin_type(oid::kVarchar).collation, Collation::binary);
}

TEST(PostgresTypes, DeclaredTypesForCreateTable) {
  EXPECT_EQ(declared_type(TypeId::boolean), "boolean");
  EXPECT_EQ(declared_type(TypeId::int64), "bigint");
  EXPECT_EQ(declared_type(TypeId::float64), "double precision");
  EXPECT_EQ(declared_type(Type(TypeId::decimal, 12, 2)), "numeric");
  EXPECT_EQ(declared_type(TypeId::string), "text");
  EXPECT_EQ(declared_type(TypeId::bytes), "bytea");
  EXPECT_EQ(declared_type(TypeId::date), "date");
  EXPECT_EQ(declared_type(TypeId::time), "time");
  EXPECT_EQ(declared_type(TypeId::timestamp), "timestamp");
  EXPECT_EQ(declared_type(TypeId::timestamp_tz), "timestamptz");
  EXPECT_EQ(declared_type(TypeId::uuid), "uuid");
  EXPECT_EQ(declared_type(TypeId::json), "jsonb");
}

TEST(PostgresTypes, NumericBinaryFormat) {
  // 12345.678 = digits [1, 2345, 6780], weight 1, dscale 3.
  std::string out;
  encode_numeric("12345.678", out);
  EXPECT_EQ(out, bytes({0, 3, 0, 1, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1a, 0x7c}));
  EXPECT_EQ(decode_numeric(out.data(), static_cast<int32_t>(out.size())), "12345.678");
  out.clear();
  encode_numeric("-0.00012", out);  // digits [1, 2000], weight -1, negative, dscale 5
  EXPECT_EQ(out, bytes({0, 2, 0xff, 0xff, 0x40, 0, 0, 5, 0, 1, 0x07, 0xd0}));
  out.clear();
  encode_numeric("0.000", out);  // zero: no digits, positive, dscale 3
  EXPECT_EQ(out, bytes({0, 0, 0, 0, 0, 0, 0, 3}));
  EXPECT_EQ(decode_numeric(out.data(), 8), "0.000");
}

TEST(PostgresTypes, NumericRoundTripsExactly) {
  for (const char* text :
       {"0", "1", "-1", "10000", "99999999", "100000000", "0.1", "0.0001", "0.00001", "-0.5",
        "500.60", "1234567890123456789012345678.0123456789", "-0.0000000001",
        "123456789012345678901234567890123456789.000000000000000000001", "7.000", "10000.0001"}) {
    std::string out;
    encode_numeric(text, out);
    EXPECT_EQ(decode_numeric(out.data(), static_cast<int32_t>(out.size())), text);
  }
  std::string out;
  encode_numeric("-0.00", out);
  EXPECT_EQ(decode_numeric(out.data(), static_cast<int32_t>(out.size())), "0.00");
  EXPECT_EQ(code_of([] {
              std::string o;
              encode_numeric("1e5", o);
            }),
            ErrorCode::type_mismatch);
}

TEST(PostgresTypes, NumericNaNAndInfinityAreTypeMismatch) {
  for (int sign : {0xC0, 0xD0, 0xF0}) {
    const std::string nan = bytes({0, 0, 0, 0, sign, 0, 0, 0});
    EXPECT_EQ(code_of([&] { decode_numeric(nan.data(), 8); }), ErrorCode::type_mismatch);
  }
  try {
    decode(builtin_type(oid::kNumeric), bytes({0, 0, 0, 0, 0xC0, 0, 0, 0}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("NaN"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("'c'"), std::string::npos) << e.message();
  }
}

TEST(PostgresTypes, FixedWidthBinaryFormats) {
  EXPECT_EQ(encode(builtin_type(oid::kInt8), int64_t{-2}),
            bytes({255, 255, 255, 255, 255, 255, 255, 254}));
  EXPECT_EQ(encode(builtin_type(oid::kInt4), int64_t{258}), bytes({0, 0, 1, 2}));
  EXPECT_EQ(encode(builtin_type(oid::kInt2), int64_t{-1}), bytes({255, 255}));
  EXPECT_EQ(encode(builtin_type(oid::kBool), true), bytes({1}));
  EXPECT_EQ(encode(builtin_type(oid::kFloat8), 1.0), bytes({0x3f, 0xf0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(encode(builtin_type(oid::kFloat4), 1.0), bytes({0x3f, 0x80, 0, 0}));
  // Dates count days from 2000-01-01.
  EXPECT_EQ(encode(builtin_type(oid::kDate), Date{10957}), bytes({0, 0, 0, 0}));
  EXPECT_EQ(encode(builtin_type(oid::kDate), Date{10956}), bytes({255, 255, 255, 255}));
  // Timestamps count microseconds from 2000-01-01 00:00.
  EXPECT_EQ(encode(builtin_type(oid::kTimestamptz), TimestampTz{946684800000001}),
            bytes({0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(encode(builtin_type(oid::kTime), Time{1}), bytes({0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(encode(builtin_type(oid::kJsonb), Json{"[1]"}), "\1[1]");
}

TEST(PostgresTypes, EveryCodecRoundTrips) {
  Uuid u;
  for (int i = 0; i < 16; ++i) u.bytes[i] = static_cast<uint8_t>(i * 17);
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<Oid, Value>> cases = {
      {oid::kBool, false},
      {oid::kInt2, int64_t{-32768}},
      {oid::kInt4, int64_t{2147483647}},
      {oid::kInt8, std::numeric_limits<int64_t>::min()},
      {oid::kOid, int64_t{4294967295}},
      {oid::kFloat4, 0.5},
      {oid::kFloat8, -inf},
      {oid::kFloat8, 1e-300},
      {oid::kNumeric, Decimal{"-12.3400"}},
      {oid::kText, "héllo 世界"},
      {oid::kVarchar, ""},
      {oid::kJson, Json{R"({"a": 1})"}},
      {oid::kJsonb, Json{R"({"a":[1,"x y"]})"}},
      {oid::kBytea, Bytes{std::string("\0\1\xff", 3)}},
      {oid::kDate, Date{-719162}},  // 0001-01-01
      {oid::kDate, Date{2932896}},  // 9999-12-31
      {oid::kTime, Time{86399999999}},
      {oid::kTimestamp, Timestamp{-62135596800000000}},
      {oid::kTimestamptz, TimestampTz{-1}},
      {oid::kUuid, u},
      {oid::kInterval, "P1Y2M3DT4H5M6.5S"},
      {oid::kInterval, "PT0S"},
  };
  for (const auto& [o, v] : cases) {
    const PgType t = builtin_type(o);
    EXPECT_EQ(decode(t, encode(t, v)), v) << t.name << " " << v.to_text();
  }
  const double nan =
      decode(builtin_type(oid::kFloat8), encode(builtin_type(oid::kFloat8), std::nan("")))
          .as<double>();
  EXPECT_TRUE(std::isnan(nan));
}

TEST(PostgresTypes, InfiniteDatesAndTimestampsUseTheExtremes) {
  const std::string pinf = bytes({0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  EXPECT_EQ(decode(builtin_type(oid::kTimestamp), pinf),
            Value(Timestamp{std::numeric_limits<int64_t>::max()}));
  EXPECT_EQ(encode(builtin_type(oid::kTimestamp), Timestamp{std::numeric_limits<int64_t>::max()}),
            pinf);
  EXPECT_EQ(decode(builtin_type(oid::kDate), bytes({0x80, 0, 0, 0})),
            Value(Date{std::numeric_limits<int32_t>::min()}));
}

TEST(PostgresTypes, ValuesOutOfTheColumnRangeAreTypeMismatch) {
  EXPECT_EQ(code_of([] { encode(builtin_type(oid::kInt2), int64_t{40000}); }),
            ErrorCode::type_mismatch);
  EXPECT_EQ(code_of([] { encode(builtin_type(oid::kInt4), int64_t{1} << 40); }),
            ErrorCode::type_mismatch);
  EXPECT_EQ(code_of([] { encode(builtin_type(oid::kFloat4), 1e300); }), ErrorCode::type_mismatch);
  EXPECT_EQ(code_of([] { encode(builtin_type(oid::kNumeric), Decimal{"12abc"}); }),
            ErrorCode::type_mismatch);
  EXPECT_EQ(code_of([] { encode(builtin_type(oid::kInterval), "1 day"); }),
            ErrorCode::type_mismatch);
  EXPECT_FALSE(can_encode(builtin_type(600)));
}

TEST(PostgresTypes, TimeOfDayBeyondMidnightIsRefused) {
  // PostgreSQL allows 24:00:00; polydb times end before midnight.
  EXPECT_EQ(code_of([] {
              decode(builtin_type(oid::kTime), bytes({0, 0, 0, 0x14, 0x1d, 0xd7, 0x60, 0}));
            }),
            ErrorCode::type_mismatch);
}

TEST(PostgresTypes, TimeWithTimeZoneReadsAsText) {
  // 12:00:00+02:00: PostgreSQL stores the zone as seconds west of UTC (-7200).
  const std::string body = bytes({0, 0, 0, 0x0a, 0x0e, 0xeb, 0xb0, 0, 0xff, 0xff, 0xe3, 0xe0});
  EXPECT_EQ(decode(builtin_type(oid::kTimetz), body), Value("12:00:00+02:00"));
}

TEST(PostgresTypes, IntervalsInIso8601) {
  EXPECT_EQ(format_interval(0, 0, 0), "PT0S");
  EXPECT_EQ(format_interval(14, 3, 4 * 3600000000LL + 5 * 60000000LL + 6500000),
            "P1Y2M3DT4H5M6.5S");
  EXPECT_EQ(format_interval(-14, -3, -(4 * 3600000000LL + 500000)), "P-1Y-2M-3DT-4H-0.5S");
  EXPECT_EQ(format_interval(0, 1, 1), "P1DT0.000001S");
  auto iv = parse_interval("P2WT-1.25S");
  ASSERT_TRUE(iv);
  EXPECT_EQ(iv->days, 14);
  EXPECT_EQ(iv->micros, -1250000);
  for (const char* bad : {"", "P", "1 day", "PT", "P1.5D", "PXD", "P1DT2X"})
    EXPECT_FALSE(parse_interval(bad)) << bad;
}

TEST(PostgresTypes, ArraysReadAsJson) {
  CatalogType facts{1007, 1007, 'b', 'A', oid::kInt4, "integer[]"};
  const PgType element = builtin_type(oid::kInt4);
  const PgType array = type_from_catalog(facts, &element);
  // {{1,NULL},{3,4}}: ndim 2, has nulls, int4, dims (2,1) (2,1), elements.
  std::string body =
      bytes({0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 23, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1});
  for (int v : {1, -1, 3, 4}) {
    if (v < 0) {
      body += bytes({255, 255, 255, 255});
      continue;
    }
    body += bytes({0, 0, 0, 4, 0, 0, 0, v});
  }
  EXPECT_EQ(decode(array, body), Value(Json{"[[1,null],[3,4]]"}));
  EXPECT_EQ(decode(array, bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 23})), Value(Json{"[]"}));

  const PgType text_element = builtin_type(oid::kText);
  const PgType texts =
      type_from_catalog({1009, 1009, 'b', 'A', oid::kText, "text[]"}, &text_element);
  std::string t = bytes({0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 25, 0, 0, 0, 1, 0, 0, 0, 1});
  t += bytes({0, 0, 0, 4}) + "a\"\n\\";
  EXPECT_EQ(decode(texts, t), Value(Json{R"(["a\"\n\\"])"}));
  // A truncated array is corruption, never a short value.
  EXPECT_EQ(code_of([&] { decode(array, body.substr(0, body.size() - 2)); }),
            ErrorCode::corruption);
}

// Found by fuzz/pg_copy_fuzz: values no server sends (and timestamps from
// the last 30 years of PostgreSQL's range) overflowed int (UBSan), and an
// array header with a zero dimension looped for billions of elements, before
// the fix.
TEST(PostgresTypes, CorruptFieldsAreErrorsNotUndefinedBehaviour) {
  EXPECT_EQ(code_of([] {
              decode(builtin_type(oid::kDate), bytes({0x7f, 0xff, 0xff, 0}));
            }),
            ErrorCode::corruption);
  EXPECT_EQ(decode(builtin_type(oid::kDate), bytes({0x7f, 0xff, 0xd5, 0x20})),
            Value(Date{0x7fffd520 + 10957}));
  // December 294276: a valid PostgreSQL timestamp, past polydb's last one.
  const std::string late = bytes({0x7f, 0xff, 0xff, 0, 0, 0, 0, 0});
  EXPECT_EQ(code_of([&] { decode(builtin_type(oid::kTimestamptz), late); }),
            ErrorCode::type_mismatch);
  EXPECT_EQ(
      code_of([] {
        decode(builtin_type(oid::kTime), bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0}));
      }),
      ErrorCode::corruption);
  // timetz with a zone of INT32_MIN seconds, and with a negative clock.
  EXPECT_EQ(code_of([] {
              decode(builtin_type(oid::kTimetz), bytes({0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0}));
            }),
            ErrorCode::corruption);
  EXPECT_EQ(code_of([] {
              decode(builtin_type(oid::kTimetz),
                     bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}));
            }),
            ErrorCode::corruption);
  EXPECT_EQ(code_of([] { encode(builtin_type(oid::kDate), Date{INT32_MIN + 1}); }),
            ErrorCode::type_mismatch);

  CatalogType facts{1007, 1007, 'b', 'A', oid::kInt4, "integer[]"};
  const PgType element = builtin_type(oid::kInt4);
  const PgType array = type_from_catalog(facts, &element);
  // ndim 2, dims (2147483647, 1) (0, 1), no elements.
  EXPECT_EQ(code_of([&] {
              decode(array, bytes({0,    0,    0, 2, 0, 0, 0, 0, 0, 0, 0, 23, 0x7f, 0xff,
                                   0xff, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,  0,    1}));
            }),
            ErrorCode::corruption);
  // ndim 1 with 1000 elements announced and one present.
  EXPECT_EQ(code_of([&] {
              decode(array, bytes({0, 0, 0, 1,    0, 0, 0, 0, 0,    0,    0,    23,
                                   0, 0, 3, 0xe8, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}));
            }),
            ErrorCode::corruption);
}

// From fuzz/pg_copy_fuzz: a leading zero digit group (PostgreSQL strips
// them, a corrupt stream need not) gave "00511.0", no canonical decimal.
TEST(PostgresTypes, NumericTextIsCanonicalWhateverTheDigits) {
  // ndigits 2, weight 1, positive, dscale 1, digits 0000 0511.
  EXPECT_EQ(decode_numeric(bytes({0, 2, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0xff}).data(), 12), "511.0");
  EXPECT_EQ(decode_numeric(bytes({0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}).data(), 12), "0");
}

TEST(PostgresCopy, HeaderAndTuplesAreDecodedOnlyWhenComplete) {
  const std::string header =
      std::string("PGCOPY\n\377\r\n", 11) + bytes({0, 0, 0, 0, 0, 0, 0, 2}) + "xy";
  EXPECT_FALSE(copy_header_size(header.substr(0, 18)));
  EXPECT_FALSE(copy_header_size(header.substr(0, 20)));
  EXPECT_EQ(copy_header_size(header), 21u);
  EXPECT_EQ(code_of([] { copy_header_size(std::string(19, 'P')); }), ErrorCode::corruption);

  const std::vector<PgType> types{builtin_type(oid::kInt4), builtin_type(oid::kText)};
  auto schema = std::make_shared<Schema>();
  schema->fields = {{.name = "id", .type = TypeId::int64}, {.name = "t", .type = TypeId::string}};
  Batch batch(schema);
  const std::string tuple = bytes({0, 2, 0, 0, 0, 4, 0, 0, 0, 7, 0, 0, 0, 2}) + "ab";
  for (size_t cut = 0; cut < tuple.size(); ++cut) {
    const CopyTuple t = decode_copy_tuple(std::string_view(tuple).substr(0, cut), types, batch);
    EXPECT_EQ(t.kind, CopyTuple::Kind::incomplete) << cut;
    EXPECT_EQ(batch.num_rows(), 0u);
  }
  const CopyTuple row = decode_copy_tuple(tuple + bytes({0xff, 0xff}), types, batch);
  EXPECT_EQ(row.kind, CopyTuple::Kind::row);
  EXPECT_EQ(row.consumed, tuple.size());
  ASSERT_EQ(batch.num_rows(), 1u);
  EXPECT_EQ(batch.row(0), (std::vector<Value>{int64_t{7}, "ab"}));
  const CopyTuple end = decode_copy_tuple(bytes({0xff, 0xff}), types, batch);
  EXPECT_EQ(end.kind, CopyTuple::Kind::trailer);
  EXPECT_EQ(end.consumed, 2u);
  EXPECT_EQ(code_of([&] {
              decode_copy_tuple(bytes({0, 3}), types, batch);
            }),
            ErrorCode::corruption);
}

TEST(PostgresTypes, JsonbOutputIsCompacted) {
  EXPECT_EQ(compact_json(R"({"a": [1, 2, {"b": null}], "c": "x, y: z"})"),
            R"({"a":[1,2,{"b":null}],"c":"x, y: z"})");
  EXPECT_EQ(compact_json(R"("a \" b")"), R"("a \" b")");
}

TEST(PostgresTypes, SqlLiteralsAreTypedAndQuoted) {
  const QuoteLiteral quote = [](std::string_view s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
  };
  EXPECT_EQ(sql_literal(int64_t{-5}, quote), "'-5'::int8");
  EXPECT_EQ(sql_literal(std::numeric_limits<int64_t>::min(), quote),
            "'-9223372036854775808'::int8");
  EXPECT_EQ(sql_literal(true, quote), "TRUE");
  EXPECT_EQ(sql_literal(Value(), quote), "NULL");
  EXPECT_EQ(sql_literal(1.5, quote), "'1.5'::float8");
  EXPECT_EQ(sql_literal(-std::numeric_limits<double>::infinity(), quote), "'-Infinity'::float8");
  EXPECT_FALSE(sql_literal(std::nan(""), quote));
  EXPECT_EQ(sql_literal(Decimal{"499.5"}, quote), "'499.5'::numeric");
  EXPECT_FALSE(sql_literal(Decimal{"1); DROP TABLE t; --"}, quote));
  EXPECT_EQ(sql_literal("O'Brien", quote), "'O''Brien'::text");
  EXPECT_FALSE(sql_literal(std::string("a\0b", 3), quote));
  EXPECT_EQ(sql_literal(Date{19723}, quote), "'2024-01-01'::date");
  EXPECT_FALSE(sql_literal(Date{-719163}, quote)) << "year 0 is not printable for PostgreSQL";
  EXPECT_EQ(sql_literal(TimestampTz{0}, quote), "'1970-01-01 00:00:00+00:00'::timestamptz");
  EXPECT_EQ(sql_literal(Bytes{"\x01"}, quote), "'\\x01'::bytea");
  EXPECT_FALSE(sql_literal(Json{"{}"}, quote));
}

}  // namespace
}  // namespace polydb::postgres
