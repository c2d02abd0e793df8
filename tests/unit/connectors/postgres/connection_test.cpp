// PostgreSQL SQL generation and URL handling, without a server: table names,
// libpq keywords, pushed-down filters, partitions, CREATE TABLE.

#include "connectors/postgres/connection.hpp"

#include <gtest/gtest.h>

#include "polydb/error.hpp"

namespace polydb::postgres {
namespace {

std::string quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

ErrorCode code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::internal;
}

std::string keyword(const ConnectParams& p, std::string_view key) {
  for (const auto& [k, v] : p.keywords)
    if (k == key) return v;
  return "<unset>";
}

// orders(id bigint primary key, name text, price numeric(12,2), f double
// precision, code char(3), mood enum, ts timestamptz, doc jsonb)
TableDesc orders() {
  TableDesc d;
  d.name = {"public", "orders"};
  d.relkind = 'r';
  auto add = [&](std::string name, PgType t, int32_t typmod = -1) {
    d.schema.fields.push_back({std::move(name), polydb_type(t, typmod), true, t.name});
    d.types.push_back(std::move(t));
  };
  add("id", builtin_type(oid::kInt8));
  add("name", builtin_type(oid::kText));
  add("price", builtin_type(oid::kNumeric), ((12 << 16) | 2) + 4);
  add("f", builtin_type(oid::kFloat8));
  add("code", builtin_type(oid::kBpchar));
  add("mood", type_from_catalog({16394, 16394, 'e', 'E', 0, "mood"}, nullptr));
  add("ts", builtin_type(oid::kTimestamptz));
  add("doc", builtin_type(oid::kJsonb));
  d.schema.primary_key = {"id"};
  return d;
}

std::optional<std::string> pushed(std::string_view where) {
  return filter_to_sql(parse_filter(where), orders(), quote);
}

TEST(PostgresSql, IdentifiersAreQuotedWithDoubledQuotes) {
  EXPECT_EQ(quote_ident("orders"), "\"orders\"");
  EXPECT_EQ(quote_ident("we\"ird"), "\"we\"\"ird\"");
  EXPECT_EQ((TableName{"Sales", "Order Lines"}.quoted()), "\"Sales\".\"Order Lines\"");
}

TEST(PostgresSql, TableNamesAreReadExactlyFirstThenFolded) {
  using C = std::vector<NameCandidate>;
  EXPECT_EQ(parse_table_name("orders"), (C{{"", "orders"}}));
  EXPECT_EQ(parse_table_name("Orders"), (C{{"", "Orders"}, {"", "orders"}}));
  EXPECT_EQ(parse_table_name("sales.orders"), (C{{"sales", "orders"}, {"", "sales.orders"}}));
  EXPECT_EQ(parse_table_name("\"Sales\".\"Order.Lines\""), (C{{"Sales", "Order.Lines"}}));
  EXPECT_EQ(parse_table_name("\"a\"\"b\""), (C{{"", "a\"b"}}));
  EXPECT_EQ(parse_table_name("Sales.\"T\""), (C{{"Sales", "T"}, {"sales", "T"}}));
  // Unquoted names are taken as written (a table may be called "a.b.c").
  EXPECT_EQ(parse_table_name("a.b.c"), (C{{"a", "b.c"}, {"", "a.b.c"}}));
  for (const char* bad : {"", "\"open", "\"a\".b.c", "\"a\"x", "\"a\"..b", "\"\""})
    EXPECT_EQ(code_of([&] { parse_table_name(bad); }), ErrorCode::invalid_argument) << bad;
}

TEST(PostgresSql, UrlsBecomeLibpqKeywords) {
  const Uri uri = Uri::parse(
      "postgresql://app:s%40cret@[::1]:5433/shop?sslmode=verify-full&sslrootcert=/ca.pem"
      "&application-name=etl&target_session_attrs=read-write");
  const ConnectParams p = connect_params(uri, {});
  EXPECT_EQ(keyword(p, "host"), "::1");
  EXPECT_EQ(keyword(p, "port"), "5433");
  EXPECT_EQ(keyword(p, "dbname"), "shop");
  EXPECT_EQ(keyword(p, "user"), "app");
  EXPECT_EQ(keyword(p, "sslmode"), "verify-full");
  EXPECT_EQ(keyword(p, "sslrootcert"), "/ca.pem");
  EXPECT_EQ(keyword(p, "application_name"), "etl");
  EXPECT_EQ(keyword(p, "target_session_attrs"), "read-write");
  EXPECT_EQ(keyword(p, "connect_timeout"), "10");  // ConnectOptions::timeout
  EXPECT_EQ(keyword(p, "client_encoding"), "UTF8");
  EXPECT_EQ(keyword(p, "password"), "<unset>") << "the password stays a Secret";
  EXPECT_EQ(p.password.reveal(), "s@cret");
}

TEST(PostgresSql, UrlDefaults) {
  ConnectOptions o;
  o.timeout = std::chrono::milliseconds(2500);
  const ConnectParams p = connect_params(Uri::parse("postgres://h/db"), o);
  EXPECT_EQ(keyword(p, "application_name"), "polydb");
  EXPECT_EQ(keyword(p, "connect_timeout"), "3");
  EXPECT_EQ(keyword(p, "user"), "<unset>") << "libpq falls back to PGUSER";
  EXPECT_TRUE(p.password.empty()) << "libpq falls back to PGPASSWORD / passfile";
  EXPECT_EQ(keyword(connect_params(Uri::parse("postgres://h/db?connect_timeout=7"), o),
                    "connect_timeout"),
            "7");
}

TEST(PostgresSql, UnknownOrBadUrlOptionsAreRefusedByName) {
  try {
    connect_params(Uri::parse("postgresql://u:pw@h/db?ssl=true&foo=1"), {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(e.message().find("'ssl'"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("'foo'"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("sslmode"), std::string::npos) << e.message();
    EXPECT_EQ(e.message().find("pw"), std::string::npos) << "no password in messages";
  }
  EXPECT_EQ(code_of([] { connect_params(Uri::parse("postgresql://h/db?sslmode=on"), {}); }),
            ErrorCode::invalid_argument);
  EXPECT_EQ(
      code_of([] { connect_params(Uri::parse("postgresql://h/db?connect_timeout=soon"), {}); }),
      ErrorCode::invalid_argument);
  EXPECT_EQ(
      code_of([] { connect_params(Uri::parse("postgresql://h/db?target_session_attrs=x"), {}); }),
      ErrorCode::invalid_argument);
}

TEST(PostgresSql, AwsIamAuthForcesTlsAndTakesNoPassword) {
  const std::string base = "postgresql://app@db.x.eu-west-1.rds.amazonaws.com/shop?auth=aws-iam";
  ConnectParams p = connect_params(Uri::parse(base), {});
  ASSERT_TRUE(p.iam);
  EXPECT_EQ(p.iam->region, "eu-west-1");
  EXPECT_EQ(p.iam->port, 5432);
  EXPECT_EQ(keyword(p, "sslmode"), "verify-full") << "an RDS host: verified by default";
  EXPECT_EQ(keyword(connect_params(Uri::parse("postgresql://app@10.1.2.3/shop?auth=aws-iam&"
                                              "region=eu-west-1"),
                                   {}),
                    "sslmode"),
            "require")
      << "elsewhere at least require";
  EXPECT_EQ(keyword(p, "auth"), "<unset>") << "polydb's option, not libpq's";
  EXPECT_EQ(keyword(connect_params(Uri::parse(base + "&sslmode=prefer"), {}), "sslmode"),
            "require");
  EXPECT_EQ(keyword(connect_params(Uri::parse(base + "&sslmode=verify-full"), {}), "sslmode"),
            "verify-full");
  EXPECT_EQ(code_of([&] { connect_params(Uri::parse(base + "&sslmode=disable"), {}); }),
            ErrorCode::invalid_argument);
  EXPECT_EQ(code_of([] {
              connect_params(Uri::parse("postgresql://app:pw@h/db?auth=aws-iam&region=x"), {});
            }),
            ErrorCode::invalid_argument);
  EXPECT_FALSE(connect_params(Uri::parse("postgresql://app:pw@h/db"), {}).iam);
}

TEST(PostgresSql, ComparisonsArePushedWithTypedLiterals) {
  EXPECT_EQ(pushed("id > 5"), "\"id\" > '5'::int8");
  EXPECT_EQ(pushed("id = '7'"), "\"id\" = '7'::int8")
      << "a string literal reads as the column type";
  EXPECT_EQ(pushed("price >= 499.5"), "\"price\" >= '499.5'::numeric");
  EXPECT_EQ(pushed("price < 2.5e1"), "\"price\" < '25'::float8");
  EXPECT_EQ(pushed("name = 'O''Brien'"), "\"name\" = 'O''Brien'::text");
  EXPECT_EQ(pushed("name < 'b'"), "\"name\" COLLATE \"C\" < 'b'::text");
  EXPECT_EQ(pushed("id IN (1, 2)"), "\"id\" IN ('1'::int8, '2'::int8)");
  EXPECT_EQ(pushed("name IS NULL"), "\"name\" IS NULL");
  EXPECT_EQ(pushed("doc IS NOT NULL"), "\"doc\" IS NOT NULL");
  EXPECT_EQ(pushed("NOT (id < 3 OR name = 'x')"),
            "(NOT (\"id\" < '3'::int8 OR \"name\" = 'x'::text))");
  EXPECT_EQ(pushed("f > 1"), "(\"f\" > '1'::int8 AND \"f\" <> 'NaN'::float8)");
  EXPECT_EQ(pushed("ts >= '2024-01-01 00:00:00Z'"),
            "\"ts\" >= '2024-01-01 00:00:00+00:00'::timestamptz");
  // char(n) compares ignoring trailing blanks in PostgreSQL as in polydb
  // (pad_space): bpchar against bpchar (statistics, indexes), the literal's
  // own blanks gone.
  EXPECT_EQ(pushed("code = 'ab  '"), "\"code\" = 'ab'::bpchar");
  EXPECT_EQ(pushed("code IN ('a ', 'b')"), "\"code\" IN ('a'::bpchar, 'b'::bpchar)");
  EXPECT_EQ(pushed("code < 'b '"), "\"code\" COLLATE \"C\" < 'b'::bpchar");
}

TEST(PostgresSql, ComparisonsWithOtherSemanticsStayLocal) {
  EXPECT_FALSE(pushed("id = 'abc'")) << "not an integer: polydb's rules decide";
  EXPECT_FALSE(pushed("mood > 'happy'")) << "enums sort by declaration order";
  EXPECT_FALSE(pushed("doc = '{}'"));
  EXPECT_FALSE(pushed("name = 5")) << "polydb does not compare text with numbers";
  EXPECT_FALSE(pushed("id = 1 OR mood = 'sad'")) << "one local part keeps the OR local";
  EXPECT_EQ(code_of([] { pushed("nope = 1"); }), ErrorCode::not_found);
}

TEST(PostgresSql, PartitionsByIntegerKeyRange) {
  const TableDesc d = orders();
  const std::pair<int64_t, int64_t> range{1, 1000};
  EXPECT_EQ(partition_predicate(d, 0, 3, range, 0), "\"id\" < '335'::int8");
  EXPECT_EQ(partition_predicate(d, 1, 3, range, 0),
            "\"id\" >= '335'::int8 AND \"id\" < '668'::int8");
  EXPECT_EQ(partition_predicate(d, 2, 3, range, 0), "\"id\" >= '668'::int8");
  EXPECT_EQ(partition_predicate(d, 0, 3, std::nullopt, 0), "TRUE") << "empty table";
  EXPECT_EQ(partition_predicate(d, 2, 3, std::nullopt, 0), "FALSE");
  const std::pair<int64_t, int64_t> full{INT64_MIN, INT64_MAX};
  EXPECT_EQ(partition_predicate(d, 1, 2, full, 0), "\"id\" >= '0'::int8");
}

TEST(PostgresSql, PartitionsByBlockRangeWithoutIntegerKey) {
  TableDesc d = orders();
  d.schema.primary_key = {"name"};
  EXPECT_EQ(partition_predicate(d, 0, 4, std::nullopt, 10), "ctid < '(3,0)'::tid");
  EXPECT_EQ(partition_predicate(d, 1, 4, std::nullopt, 10),
            "ctid >= '(3,0)'::tid AND ctid < '(6,0)'::tid");
  EXPECT_EQ(partition_predicate(d, 3, 4, std::nullopt, 10), "ctid >= '(8,0)'::tid");
  d.relkind = 'v';
  EXPECT_EQ(partition_predicate(d, 0, 4, std::nullopt, 0), "TRUE") << "views: part 0 reads all";
  EXPECT_EQ(partition_predicate(d, 1, 4, std::nullopt, 0), "FALSE");
}

TEST(PostgresSql, CreateTableDeclaresTypesNullabilityAndKey) {
  Schema s;
  s.fields = {{"id", TypeId::int64, false, ""},
              {"Amount", Type(TypeId::decimal, 12, 2), true, ""},
              {"at", TypeId::timestamp_tz, true, ""}};
  s.primary_key = {"id"};
  EXPECT_EQ(create_table_sql({"public", "t"}, s),
            "CREATE TABLE \"public\".\"t\" (\"id\" bigint NOT NULL, \"Amount\" numeric, \"at\" "
            "timestamptz, PRIMARY KEY (\"id\"))");
}

TEST(PostgresSql, CreateTableKeepsBuiltInNativeTypesOnlyWhenAsked) {
  Schema s;
  s.fields = {{"id", TypeId::int64, false, "integer"},
              {"name", TypeId::string, true, "character varying(20)"},
              {"amount", Type(TypeId::decimal, 12, 2), true, "numeric(12,2)"},
              {"at", TypeId::timestamp, true, "timestamp(3) without time zone"},
              {"mood", TypeId::string, true, "mood"},            // an enum: not declarable
              {"tags", TypeId::json, true, "text[]"},           // arrays are read as json
              {"evil", TypeId::string, true, "text); DROP TABLE x; --"}};
  s.primary_key = {"id"};
  EXPECT_EQ(create_table_sql({"public", "t"}, s, true),
            "CREATE TABLE \"public\".\"t\" (\"id\" integer NOT NULL, \"name\" character "
            "varying(20), \"amount\" numeric(12,2), \"at\" timestamp(3) without time zone, "
            "\"mood\" text, \"tags\" jsonb, \"evil\" text, PRIMARY KEY (\"id\"))");
  EXPECT_EQ(create_table_sql({"public", "t"}, s, false).find("integer"), std::string::npos);
  EXPECT_TRUE(native_type_declarable("double precision"));
  EXPECT_TRUE(native_type_declarable("timestamp with time zone"));
  EXPECT_FALSE(native_type_declarable("numeric(12,2"));
  EXPECT_FALSE(native_type_declarable("character varying(x)"));
  EXPECT_FALSE(native_type_declarable("integer[]"));
  EXPECT_FALSE(native_type_declarable(""));
}

TEST(PostgresSql, OnlySingleReadOnlyQueriesGoThroughCopy) {
  EXPECT_EQ(copyable_query("SELECT * FROM t"), "SELECT * FROM t");
  EXPECT_EQ(copyable_query("  -- note\n /* c */ (select 1) UNION (select 2);  \n"),
            "  -- note\n /* c */ (select 1) UNION (select 2)");
  EXPECT_EQ(copyable_query("values (1), (2)"), "values (1), (2)");
  EXPECT_EQ(copyable_query("TABLE t"), "TABLE t");
  EXPECT_EQ(copyable_query("SELECT 1 -- trailing comment"), "SELECT 1 -- trailing comment")
      << "the caller closes the parenthesis on a new line";
  EXPECT_FALSE(copyable_query("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d"));
  EXPECT_FALSE(copyable_query("INSERT INTO t VALUES (1) RETURNING id"));
  EXPECT_FALSE(copyable_query("SELECT 1; SELECT 2"));
  EXPECT_FALSE(copyable_query("SELECT ';'")) << "a semicolon anywhere else: the slow, safe path";
  EXPECT_FALSE(copyable_query("SELECTED"));
  EXPECT_FALSE(copyable_query("-- only a comment"));
  EXPECT_FALSE(copyable_query(""));
}

TEST(PostgresSql, ManagedHostsVerifyTheServerByDefault) {
  const auto p = connect_params(Uri::parse("postgresql://app@db1.abc123.eu-west-1.rds.amazonaws.com/shop"), {});
  EXPECT_EQ(keyword(p, "sslmode"), "verify-full");
  EXPECT_NE(keyword(p, "sslrootcert"), "<unset>") << "the system CA bundle";
  const auto azure = connect_params(Uri::parse("postgresql://app@x.postgres.database.azure.com/db"), {});
  EXPECT_EQ(keyword(azure, "sslmode"), "verify-full");
  const auto chosen = connect_params(
      Uri::parse("postgresql://app@db1.abc123.eu-west-1.rds.amazonaws.com/shop?sslmode=require"), {});
  EXPECT_EQ(keyword(chosen, "sslmode"), "require") << "the URL's choice wins";
  EXPECT_EQ(keyword(chosen, "sslrootcert"), "<unset>");
  EXPECT_EQ(keyword(connect_params(Uri::parse("postgresql://app@127.0.0.1/db"), {}), "sslmode"),
            "<unset>")
      << "libpq's own default (prefer) elsewhere";
}

TEST(PgHighestParameter, CountsPlaceholdersOutsideStringsCommentsAndQuotes) {
  EXPECT_EQ(highest_parameter("SELECT 1"), 0u);
  EXPECT_EQ(highest_parameter("SELECT $1"), 1u);
  EXPECT_EQ(highest_parameter("SELECT $2, $1 + $10"), 10u);
  EXPECT_EQ(highest_parameter("SELECT '$5', \"$6\", $1"), 1u);
  EXPECT_EQ(highest_parameter("SELECT 'it''s $4', $2"), 2u);
  EXPECT_EQ(highest_parameter("SELECT E'\\' $7', $3"), 3u);
  EXPECT_EQ(highest_parameter("SELECT $1 -- and $9\n, $2"), 2u);
  EXPECT_EQ(highest_parameter("SELECT /* $8 /* nested $9 */ still */ $1"), 1u);
  EXPECT_EQ(highest_parameter("SELECT $$ $5 $$, $tag$ $6 $tag$, $1"), 1u);
  EXPECT_EQ(highest_parameter("SELECT a$1 FROM t"), 0u);  // '$' inside an identifier
  EXPECT_EQ(highest_parameter("SELECT $1::int, x[$2]"), 2u);
  EXPECT_EQ(highest_parameter("SELECT 'unterminated $3"), 0u);
}

}  // namespace
}  // namespace polydb::postgres
