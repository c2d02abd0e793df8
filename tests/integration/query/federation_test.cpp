// Federated queries over PostgreSQL, MariaDB and SQLite at once, checked
// against answers computed independently: the same data is also loaded into
// one PostgreSQL schema, and PostgreSQL runs the same SQL there.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "../dynamodb/fixture.hpp"
#include "../mysql/fixture.hpp"
#include "../odbc/fixture.hpp"
#include "../postgres/fixture.hpp"
#include "core/c_callback.hpp"
#include "rows.hpp"
#include "polydb/query.hpp"
#include "polydb/uri.hpp"

namespace polydb {
namespace {

using querytest::Rows;

// Numbers are compared to the cent, everything else as text.
std::string canonical(const Value& v) {
  if (v.is_null()) return "NULL";
  switch (v.type_id()) {
    case TypeId::int64: return std::to_string(v.as<int64_t>());
    case TypeId::float64: {
      const double d = v.as<double>();
      return d == std::trunc(d) && std::fabs(d) < 1e15 ? std::to_string(static_cast<int64_t>(d))
                                                       : fmt::format("{:.2f}", d);
    }
    case TypeId::decimal: {
      const double d = std::stod(v.as<Decimal>().text);
      return d == std::trunc(d) && std::fabs(d) < 1e15 ? std::to_string(static_cast<int64_t>(d))
                                                       : fmt::format("{:.2f}", d);
    }
    default: return v.to_text();
  }
}

Rows rows_of(BatchReader& r) { return querytest::rows_of(r, canonical); }

// The same rows, numbers equal to the cent: a sum polydb adds in floating
// point (a decimal times an integer) against the backend's exact one.
void expect_near(const Rows& got, const Rows& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t r = 0; r < got.size(); ++r) {
    ASSERT_EQ(got[r].size(), want[r].size()) << "row " << r;
    for (size_t c = 0; c < got[r].size(); ++c) {
      char* end_a = nullptr;
      char* end_b = nullptr;
      const double a = std::strtod(got[r][c].c_str(), &end_a);
      const double b = std::strtod(want[r][c].c_str(), &end_b);
      if (*end_a == '\0' && *end_b == '\0' && !got[r][c].empty() && !want[r][c].empty())
        EXPECT_NEAR(a, b, 0.011 + 1e-12 * std::fabs(b)) << "row " << r << " column " << c;
      else
        EXPECT_EQ(got[r][c], want[r][c]) << "row " << r << " column " << c;
    }
  }
}

// Replaces {orders}, {customers}, {products} in `sql`.
std::string expand(std::string sql, const std::map<std::string, std::string>& names) {
  for (const auto& [key, name] : names)
    for (size_t at; (at = sql.find("{" + key + "}")) != std::string::npos;)
      sql.replace(at, key.size() + 2, name);
  return sql;
}

class FederatedQueryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::tie(pg_url_, my_url_, lite_url_, schema_, dir_) = querytest::scratch("fed_", "products.db");

    auto pg = connect(pg_url_);
    pg->execute("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    pg->execute("DROP SCHEMA IF EXISTS " + schema_ + "_oracle CASCADE");
    pg->execute("CREATE SCHEMA " + schema_);
    pg->execute("CREATE SCHEMA " + schema_ + "_oracle");
    auto my = connect(my_url_);
    my->execute("DROP TABLE IF EXISTS " + schema_ + "_customers");
    ConnectOptions create;
    create.create_if_missing = true;
    auto lite = connect(lite_url_, create);

    load(*pg, schema_ + ".orders", orders());
    load(*pg, schema_ + "_oracle.orders", orders());
    pg->execute("CREATE INDEX ON " + schema_ + ".orders (customer_id)");
    pg->execute("ANALYZE " + schema_ + ".orders");
    load(*my, schema_ + "_customers", customers());
    // InnoDB refreshes row estimates in the background; the planner tests
    // need them current, as PostgreSQL's ANALYZE above makes its own.
    my->execute("ANALYZE TABLE " + schema_ + "_customers");
    load(*pg, schema_ + "_oracle.customers", customers());
    load(*lite, "products", products());
    load(*pg, schema_ + "_oracle.products", products());
  }
  static void TearDownTestSuite() {
    // (nothing when SetUpTestSuite failed and said why)
    querytest::drop_scratch(pg_url_, my_url_, schema_, {"_customers"}, dir_);
  }

  struct Table {
    Schema schema;
    std::vector<std::vector<Value>> rows;
  };

  static Field field(const char* name, Type type, bool nullable = true) {
    return Field{name, type, nullable, {}};
  }

  // orders: 20000 rows over 2100 customer ids (ids above 2000 have no customer),
  // some NULL customers and amounts.
  static Table orders() {
    Table t;
    t.schema.fields = {field("id", TypeId::int64, false),      field("customer_id", TypeId::int64),
                       field("product_id", TypeId::int64),      field("amount", Type(TypeId::decimal, 12, 2)),
                       field("status", TypeId::string),         field("created", TypeId::date)};
    t.schema.primary_key = {"id"};
    for (int64_t i = 1; i <= 20000; ++i) {
      const int64_t cents = (i * 7919) % 100000;
      t.rows.push_back({i, i % 97 == 0 ? Value() : Value(1 + (i * 31) % 2100),
                        Value(1 + i % 200),
                        i % 101 == 0 ? Value()
                                     : Value(Decimal{fmt::format("{}.{:02d}", cents / 100, cents % 100)}),
                        std::string(i % 3 == 0 ? "new" : i % 3 == 1 ? "paid" : "sent"),
                        Date{19723 + static_cast<int32_t>(i % 366)}});
    }
    return t;
  }

  static Table customers() {
    static const char* kCountries[] = {"DE", "FR", "US", "JP", "BR"};
    Table t;
    t.schema.fields = {field("id", TypeId::int64, false), field("name", TypeId::string, false),
                       field("country", TypeId::string), field("segment", TypeId::string)};
    t.schema.primary_key = {"id"};
    for (int64_t i = 1; i <= 2000; ++i)
      t.rows.push_back({i, "c" + std::to_string(i),
                        i % 13 == 0 ? Value() : Value(std::string(kCountries[i % 5])),
                        std::string(i % 20 == 0 ? "ent" : "smb")});
    return t;
  }

  static Table products() {
    Table t;
    t.schema.fields = {field("id", TypeId::int64, false), field("category", TypeId::string),
                       field("price", Type(TypeId::decimal, 8, 2))};
    t.schema.primary_key = {"id"};
    for (int64_t i = 1; i <= 200; ++i)
      t.rows.push_back({i, std::string(1, static_cast<char>('a' + i % 6)),
                        Decimal{fmt::format("{}.{:02d}", i * 3, i % 100)}});
    return t;
  }

  static void load(Connection& conn, const std::string& name, const Table& t) {
    auto schema = std::make_shared<Schema>(t.schema);
    auto w = conn.writer(name, *schema, WriteOptions{WriteMode::create, {}, {}});
    Batch b(schema);
    for (const auto& r : t.rows) b.append_row(r);
    w->write(b);
    w->commit();
  }

  // The DynamoDB emulator's URL, with the credentials it wants (any).
  static std::string dynamo_url() {
    setenv("AWS_ACCESS_KEY_ID", "polydbtest", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "polydbtest", 1);
    setenv("AWS_DEFAULT_REGION", "us-east-1", 1);
    return dynamotest::server_url();
  }

  std::unique_ptr<Federation> federation(FederationOptions o = {}) {
    auto fed = std::make_unique<Federation>(o);
    fed->attach("pg", pg_url_);
    fed->attach("my", my_url_);
    fed->attach("lite", lite_url_);
    return fed;
  }

  std::map<std::string, std::string> fed_names() const {
    return {{"orders", "pg." + schema_ + ".orders"},
            {"customers", "my." + schema_ + "_customers"},
            {"products", "lite.products"}};
  }
  std::map<std::string, std::string> oracle_names() const {
    const std::string o = schema_ + "_oracle.";
    return {{"orders", o + "orders"}, {"customers", o + "customers"}, {"products", o + "products"}};
  }

  // Runs `sql` federated and on the oracle; expects the same rows.
  void check(Federation& fed, const std::string& sql) { check(fed, sql, fed_names()); }
  void check(Federation& fed, const std::string& sql,
             const std::map<std::string, std::string>& names) {
    SCOPED_TRACE(expand(sql, names));
    auto r = fed.query(expand(sql, names));
    const Rows got = rows_of(*r);
    if (!oracle_) oracle_ = connect(pg_url_);
    auto oracle = oracle_->query(expand(sql, oracle_names()));
    const Rows want = rows_of(*oracle);
    EXPECT_EQ(got, want);
    EXPECT_FALSE(want.empty());
  }

  struct Target {
    const char* table;   // placeholder
    const char* column;  // an integer column
    const char* text;    // a text column
  };

  // Runs every pushdown shape against `target` (named by `names`), compares
  // the answers with the oracle's and checks from EXPLAIN ANALYZE that the
  // conditions reached the backend's native query. `order_pushable`: whether
  // the backend takes ORDER BY (and so LIMIT) for this table.
  void check_every_shape(Federation& fed, const Target& target,
                         const std::map<std::string, std::string>& names, bool order_pushable) {
    const char* shapes[] = {"{c} = 7",
                            "{c} <> 7",
                            "{c} < 50",
                            "{c} <= 50",
                            "{c} > 1990",
                            "{c} >= 1990",
                            "{c} IN (3, 5, 8)",
                            "{t} IS NULL",
                            "{t} IS NOT NULL AND {c} < 20",
                            "{t} = 'DE' OR {c} = 3",
                            // Bytewise, as SQLite: a case-insensitive or
                            // language collation would drop rows here.
                            "{t} > 'Z'",
                            "{t} < 'a'"};
    for (const char* shape : shapes) {
      std::string where = shape;
      for (size_t at; (at = where.find("{c}")) != std::string::npos;)
        where.replace(at, 3, target.column);
      for (size_t at; (at = where.find("{t}")) != std::string::npos;)
        where.replace(at, 3, target.text);
      const std::string count = std::string("SELECT COUNT(*), MIN(") + target.column + ") FROM {" +
                                target.table + "} WHERE " + where;
      check(fed, count, names);
      SCOPED_TRACE(expand(count, names));
      const auto plan = fed.explain(expand(count, names), {}, {}, true);
      const bool has_or = where.find(" OR ") != std::string::npos;
      // An OR may become one pushed scan per branch (SQLite's OR-by-union).
      ASSERT_GE(plan.tables.size(), 1u);
      if (!has_or) {  // a single conjunction is pushed whole
        ASSERT_EQ(plan.tables.size(), 1u);
        EXPECT_FALSE(plan.tables[0].filter.empty());
        EXPECT_NE(plan.tables[0].native.find("WHERE"), std::string::npos) << plan.tables[0].native;
      }
    }
    // Projection, ORDER BY and LIMIT together. (SQLite offers no LIMIT to a
    // virtual table when the WHERE holds an IS NOT NULL.)
    const std::string top = std::string("SELECT ") + target.column + " FROM {" + target.table +
                            "} WHERE " + target.column + " >= 1 ORDER BY " + target.column +
                            " DESC LIMIT 3";
    SCOPED_TRACE(expand(top, names));
    const auto plan = fed.explain(expand(top, names), {}, {}, true);
    ASSERT_EQ(plan.tables.size(), 1u);
    const RemoteAccess& t = plan.tables[0];
    const std::string& table = names.at(target.table);
    EXPECT_EQ(t.table.substr(0, t.table.find('.')), table.substr(0, table.find('.')));
    EXPECT_NE(t.native.find("WHERE"), std::string::npos) << t.native;
    if (order_pushable) {
      EXPECT_EQ(t.limit, "LIMIT");
      EXPECT_EQ(t.order, std::string(target.column) + " DESC");
      EXPECT_LE(t.rows_fetched, 3u);
    } else {  // SQLite sorts and limits what the backend sends
      EXPECT_EQ(t.limit, "");
      EXPECT_EQ(t.order, "");
      EXPECT_EQ(t.native.find("ORDER BY"), std::string::npos) << t.native;
      EXPECT_EQ(t.native.find("LIMIT"), std::string::npos) << t.native;
    }
    check(fed, top, names);
  }

  // Runs every shape on `target` through the ODBC driver `driver`, attached
  // as `name`. ORDER BY goes to a backend only when it places NULLs as
  // SQLite does (Capabilities::order_nulls).
  void check_every_shape_through_odbc(const odbctest::Driver& driver, const std::string& name,
                                      const Target& target) {
    const std::string url = odbctest::odbc_url(driver);
    auto fed = federation();
    fed->attach(name, url);
    auto names = fed_names();
    const std::string table = expand(std::string("{") + target.table + "}", names);
    names[target.table] = name + table.substr(table.find('.'));  // same table, through ODBC
    const Capabilities caps = connect(url)->capabilities();
    check_every_shape(*fed, target, names, caps.order_pushdown && caps.order_nulls);
  }

  std::unique_ptr<Connection> oracle_;  // the PostgreSQL that answers for comparison
  static inline std::string pg_url_, my_url_, lite_url_, schema_;
  static inline std::filesystem::path dir_;
};

TEST_F(FederatedQueryTest, JoinsAndAggregatesAcrossThreeBackends) {
  auto fed = federation();
  for (const char* sql : {
           "SELECT c.country, COUNT(*), SUM(o.amount) FROM {orders} o JOIN {customers} c ON c.id "
           "= o.customer_id WHERE c.segment = 'ent' AND o.created >= '2024-06-01' GROUP BY "
           "c.country ORDER BY c.country NULLS FIRST",
           "SELECT o.status, COUNT(*), COUNT(c.id), SUM(o.amount) FROM {orders} o LEFT JOIN "
           "{customers} c ON c.id = o.customer_id GROUP BY o.status ORDER BY o.status",
           "SELECT p.category, COUNT(*), SUM(o.amount), MAX(p.price) FROM {orders} o JOIN "
           "{products} p ON p.id = o.product_id JOIN {customers} c ON c.id = o.customer_id WHERE "
           "c.country IN ('DE', 'FR') GROUP BY p.category ORDER BY p.category",
           "SELECT id, amount FROM {orders} ORDER BY amount DESC NULLS LAST, id LIMIT 10",
           "SELECT customer_id, COUNT(*) FROM {orders} WHERE status = 'paid' AND amount BETWEEN "
           "10 AND 500 GROUP BY customer_id HAVING COUNT(*) > 3 ORDER BY 2 DESC, 1 LIMIT 20",
           "SELECT c.id, c.name FROM {customers} c WHERE c.id IN (SELECT customer_id FROM "
           "{orders} WHERE amount > 990) ORDER BY c.id",
           "SELECT COUNT(*), SUM(o.amount) FROM {orders} o WHERE NOT EXISTS (SELECT 1 FROM "
           "{customers} c WHERE c.id = o.customer_id)",
       })
    check(*fed, sql);
}

TEST_F(FederatedQueryTest, EveryPushdownShapeOnEverySqlBackend) {
  auto fed = federation();
  for (const auto& target :
       {Target{"orders", "customer_id", "status"}, Target{"customers", "id", "country"},
        Target{"products", "id", "category"}})
    check_every_shape(*fed, target, fed_names(), true);
}

// The same shapes through the ODBC connector, over the very tables read
// natively above: PostgreSQL via psqlODBC, MariaDB via MariaDB Connector/ODBC.
TEST_F(FederatedQueryTest, EveryPushdownShapeThroughPsqlOdbc) {
  check_every_shape_through_odbc(odbctest::drivers().at(0), "opg",
                                 {"orders", "customer_id", "status"});
}

TEST_F(FederatedQueryTest, EveryPushdownShapeThroughMariaDbOdbc) {
  check_every_shape_through_odbc(odbctest::drivers().at(1), "omy", {"customers", "id", "country"});
}

// char(n) and other pad-space columns compare as their engines compare them
// (trailing blanks insignificant), pushed down or evaluated by polydb, in
// filters, IN lists, joins and GROUP BY: the TPC-H q12/q19 shape. The oracle is
// PostgreSQL with every table as char(n). Output keeps the engine's own values
// (PostgreSQL pads); the queries print rtrim() so the three engines agree.
TEST_F(FederatedQueryTest, CharColumnsCompareAsTheirEnginesDo) {
  auto pg = connect(pg_url_);
  auto my = connect(my_url_);
  ConnectOptions create;
  create.create_if_missing = true;
  auto lite = connect(lite_url_, create);
  const std::string my_table = schema_ + "_modes";
  const std::string o = schema_ + "_oracle.";
  for (const std::string& s : {schema_ + ".", o}) {
    pg->execute(fmt::format("CREATE TABLE {}ship (id int PRIMARY KEY, mode char(10), note text)", s));
    // Unpadded and padded spellings of the same value: all one value.
    pg->execute(fmt::format(
        "INSERT INTO {}ship SELECT i, CASE WHEN i % 11 = 0 THEN NULL ELSE (ARRAY['MAIL', "
        "'SHIP  ', 'AIR', 'REG AIR', 'TRUCK', 'MAIL   '])[1 + i % 6] END, 'n' || i FROM "
        "generate_series(1, 3000) i",
        s));
    pg->execute(fmt::format("CREATE INDEX ON {}ship (mode)", s));
    pg->execute(fmt::format("ANALYZE {}ship", s));
  }
  pg->execute("CREATE TABLE " + o + "modes (mode char(10) PRIMARY KEY, prio int, alias char(12))");
  pg->execute("CREATE TABLE " + o + "labels (mode char(10), label text)");
  my->execute("DROP TABLE IF EXISTS " + my_table);
  // utf8mb4_bin: PAD SPACE and case-sensitive, for CHAR and VARCHAR alike.
  my->execute("CREATE TABLE " + my_table +
              " (mode CHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PRIMARY KEY, prio INT, "
              "alias VARCHAR(12) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin)");
  lite->execute("DROP TABLE IF EXISTS labels");
  lite->execute("CREATE TABLE labels (mode TEXT COLLATE RTRIM, label TEXT)");
  const char* modes[] = {"MAIL", "SHIP", "AIR", "REG AIR", "TRUCK"};
  for (size_t i = 0; i < std::size(modes); ++i) {
    const std::string padded = std::string(modes[i]) + std::string(i % 3, ' ');
    my->execute(fmt::format("INSERT INTO {} VALUES ('{}', {}, '{}')", my_table, padded, i, padded));
    pg->execute(fmt::format("INSERT INTO {}modes VALUES ('{}', {}, '{}')", o, padded, i, padded));
    lite->execute(fmt::format("INSERT INTO labels VALUES ('{}', 'l{}')", padded, i));
    pg->execute(fmt::format("INSERT INTO {}labels VALUES ('{}', 'l{}')", o, padded, i));
  }
  auto fed = federation();
  const std::map<std::string, std::string> names = {
      {"ship", "pg." + schema_ + ".ship"}, {"modes", "my." + my_table}, {"labels", "lite.labels"}};
  const std::map<std::string, std::string> oracle = {
      {"ship", o + "ship"}, {"modes", o + "modes"}, {"labels", o + "labels"}};
  const auto same = [&](const std::string& sql) {
    SCOPED_TRACE(expand(sql, names));
    const Rows got = rows_of(*fed->query(expand(sql, names)));
    const Rows want = rows_of(*pg->query(expand(sql, oracle)));
    EXPECT_EQ(got, want);
    EXPECT_FALSE(want.empty());
  };
  for (const char* sql : {
           "SELECT COUNT(*) FROM {ship} WHERE mode = 'MAIL'",
           "SELECT COUNT(*) FROM {ship} WHERE mode = 'SHIP'",
           "SELECT COUNT(*) FROM {ship} WHERE mode = 'SHIP     '",
           "SELECT COUNT(*) FROM {ship} WHERE 'MAIL' = mode",
           "SELECT COUNT(*) FROM {ship} WHERE mode IN ('MAIL', 'SHIP')",
           "SELECT COUNT(*) FROM {ship} WHERE mode <> 'MAIL'",
           "SELECT COUNT(*) FROM {ship} WHERE mode > 'MAIL' AND mode <= 'SHIP '",
           "SELECT rtrim(mode), COUNT(*) FROM {ship} GROUP BY mode ORDER BY 1 NULLS FIRST",
           "SELECT COUNT(DISTINCT mode) FROM {ship}",
           "SELECT rtrim(alias), prio FROM {modes} WHERE alias IN ('MAIL', 'AIR  ', 'TRUCK') "
           "ORDER BY 2",
           "SELECT prio FROM {modes} WHERE alias = 'SHIP' AND mode = 'SHIP  '",
           // q12's shape: a char(n) IN list and a join on another engine's CHAR key.
           "SELECT rtrim(s.mode), m.prio, COUNT(*) FROM {ship} s JOIN {modes} m ON s.mode = m.mode "
           "WHERE s.mode IN ('MAIL', 'SHIP') GROUP BY s.mode, m.prio ORDER BY 1",
           "SELECT rtrim(m.mode), COUNT(s.id) FROM {modes} m LEFT JOIN {ship} s ON s.mode = "
           "m.mode GROUP BY m.mode ORDER BY 1",
           // q19's shape: ORed conditions over padded values.
           "SELECT COUNT(*) FROM {ship} s, {modes} m WHERE s.mode = m.mode AND ((m.prio = 0 AND "
           "s.mode IN ('MAIL', 'AIR')) OR (m.prio = 1 AND s.mode = 'SHIP'))",
           "SELECT rtrim(l.mode), l.label, m.prio FROM {labels} l JOIN {modes} m ON l.mode = "
           "m.mode ORDER BY 1",
           "SELECT rtrim(l.mode), COUNT(*) FROM {labels} l JOIN {ship} s ON l.mode = s.mode "
           "WHERE l.mode = 'REG AIR  ' GROUP BY l.mode ORDER BY 1",
       })
    same(sql);
  // The IN list on the char(n) column reaches PostgreSQL: only matching rows travel.
  // (Rows, not a count: a count is computed by PostgreSQL, one row travels.)
  const std::string in_list = "SELECT id FROM {ship} WHERE mode IN ('MAIL', 'SHIP')";
  const auto plan = fed->explain(expand(in_list, names), {}, {}, true);
  ASSERT_EQ(plan.tables.size(), 1u);
  EXPECT_NE(plan.tables[0].native.find("WHERE"), std::string::npos) << plan.tables[0].native;
  const Rows matching = rows_of(
      *pg->query(expand("SELECT COUNT(*) FROM {ship} WHERE mode IN ('MAIL', 'SHIP')", oracle)));
  EXPECT_EQ(std::to_string(plan.tables[0].rows_fetched), matching.at(0).at(0));
  // PostgreSQL returns char(n) padded, as psql shows it; MariaDB's CHAR comes unpadded.
  EXPECT_EQ(rows_of(*fed->query(expand("SELECT mode FROM {ship} WHERE id = 1", names))),
            (Rows{{"SHIP      "}}));
  EXPECT_EQ(rows_of(*fed->query(expand("SELECT mode FROM {modes} WHERE prio = 2", names))),
            (Rows{{"AIR"}}));
  // A collation other than the column's is SQLite's to apply, never pushed
  // as the column's: under BINARY the padded PostgreSQL values keep their blanks.
  EXPECT_EQ(rows_of(*fed->query(
                expand("SELECT COUNT(*) FROM {ship} WHERE mode = 'MAIL' COLLATE BINARY", names))),
            (Rows{{"0"}}));
  EXPECT_EQ(rows_of(*fed->query(expand(
                "SELECT COUNT(*) FROM {ship} WHERE mode = 'MAIL      ' COLLATE BINARY", names))),
            rows_of(*pg->query(expand("SELECT COUNT(*) FROM {ship} WHERE mode = 'MAIL'", oracle))));
  my->execute("DROP TABLE IF EXISTS " + my_table);
  lite->execute("DROP TABLE labels");
}

// The message of the error reading `sql` through `fed` throws (empty: none).
std::string query_error(Federation& fed, const std::string& sql, ErrorCode code) {
  try {
    rows_of(*fed.query(sql));
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.message();
    return e.message();
  }
  return "";
}

// Case-insensitive collations are their engine's: a constant condition is
// the backend's to answer, natively; joins, GROUP BY and DISTINCT follow the
// engine's rule where polydb can reproduce it exactly (printable ASCII), and
// are refused, never answered differently, where it cannot. The oracle is
// the engine itself with every table in it.
TEST_F(FederatedQueryTest, CaseInsensitiveColumnsFollowTheirEngineOrRefuse) {
  auto pg = connect(pg_url_);
  auto my = connect(my_url_);
  ConnectOptions create;
  create.create_if_missing = true;
  auto lite = connect(lite_url_, create);
  const std::string ci = schema_ + "_ci", keys = schema_ + "_cikeys";
  const std::string o = schema_ + "_oracle.";
  my->execute("DROP TABLE IF EXISTS " + ci);
  my->execute("DROP TABLE IF EXISTS " + keys);
  my->execute("CREATE TABLE " + ci +
              " (id INT PRIMARY KEY, s VARCHAR(12) CHARACTER SET utf8mb4 COLLATE "
              "utf8mb4_general_ci, g INT)");
  // The oracle's copy of the PostgreSQL keys, in the collation SQLite's rule
  // gives the join `c.s = k.k` (the left operand's).
  my->execute("CREATE TABLE " + keys +
              " (k VARCHAR(12) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci, label INT)");
  pg->execute("CREATE TABLE " + schema_ + ".cikeys (k text, label int)");
  const char* values[] = {"'abc'", "'ABC'", "'Abc '", "'abd'", "'a_c'", "'A-C'", "'a c'",
                          "''",    "NULL",  "'xyz'",  "'XYZ'", "'Xyz'", "'q'"};
  std::string rows;
  for (int i = 1; i <= 260; ++i)
    rows += fmt::format("{}({}, {}, {})", i > 1 ? ", " : "", i, values[i % 13], i % 4);
  my->execute("INSERT INTO " + ci + " VALUES " + rows);
  for (const std::string& t : {keys, schema_ + ".cikeys"}) {
    auto& conn = t == keys ? *my : *pg;
    conn.execute("INSERT INTO " + t + " VALUES ('ABC', 1), ('xyz', 2), ('a_C', 3), ('nope', 4)");
  }
  auto fed = federation();
  const std::map<std::string, std::string> names = {{"ci", "my." + ci},
                                                    {"keys", "pg." + schema_ + ".cikeys"}};
  const std::map<std::string, std::string> oracle = {{"ci", ci}, {"keys", keys}};
  const auto same = [&](const std::string& sql, const std::string& oracle_sql) {
    SCOPED_TRACE(expand(sql, names));
    const Rows want = rows_of(*my->query(expand(oracle_sql, oracle)));
    EXPECT_EQ(rows_of(*fed->query(expand(sql, names))), want);
    EXPECT_FALSE(want.empty());
  };
  for (const char* sql : {
           "SELECT COUNT(*) FROM {ci} WHERE s = 'abc'",
           "SELECT COUNT(*) FROM {ci} WHERE s = 'ABC   '",
           "SELECT COUNT(*) FROM {ci} WHERE s IN ('ABC', 'xyz', 'A_C')",
           "SELECT COUNT(*) FROM {ci} WHERE s <> 'abc'",
           "SELECT COUNT(*) FROM {ci} WHERE s > 'abc' AND s <= 'XYZ'",
           "SELECT COUNT(*) FROM {ci} WHERE s LIKE 'a%'",
           "SELECT COUNT(DISTINCT s) FROM {ci}",
           "SELECT UPPER(TRIM(s)), COUNT(*) FROM {ci} GROUP BY s ORDER BY 1",
           "SELECT UPPER(MIN(s)), UPPER(MAX(s)) FROM {ci} WHERE s <> ''",
           "SELECT g, COUNT(DISTINCT s) FROM {ci} GROUP BY g ORDER BY g",
           "SELECT k.label, COUNT(*) FROM {ci} c JOIN {keys} k ON c.s = k.k GROUP BY k.label "
           "ORDER BY 1",
           "SELECT COUNT(*) FROM {ci} a JOIN {ci} b ON a.s = b.s WHERE a.g = 1",
           "SELECT COUNT(*) FROM {ci} c WHERE c.s IN (SELECT k FROM {keys})",
       })
    same(sql, sql);
  // Under the PostgreSQL column's BINARY (the left operand's), bytes decide.
  same("SELECT COUNT(*) FROM {keys} k JOIN {ci} c ON k.k = c.s",
       "SELECT COUNT(*) FROM {keys} k JOIN {ci} c ON k.k = c.s COLLATE utf8mb4_bin");
  same("SELECT COUNT(DISTINCT s COLLATE BINARY) FROM {ci}",
       "SELECT COUNT(DISTINCT s COLLATE utf8mb4_bin) FROM {ci}");
  // The constant condition went to MariaDB: only matching rows travelled.
  const auto plan = fed->explain(expand("SELECT id FROM {ci} WHERE s = 'abc'", names), {}, {}, true);
  ASSERT_EQ(plan.tables.size(), 1u);
  EXPECT_EQ(plan.tables[0].rows_fetched, 60u) << plan.tables[0].native;

  // Beyond ASCII MariaDB folds letters and accents by its own tables: a
  // comparison polydb would have to make is refused, naming the collation.
  my->execute("INSERT INTO " + ci + " VALUES (1000, 'äbc', 9)");
  for (const char* sql : {"SELECT COUNT(DISTINCT s) FROM {ci}",
                          "SELECT s, COUNT(*) FROM {ci} GROUP BY s",
                          "SELECT COUNT(*) FROM {ci} c JOIN {keys} k ON c.s = k.k"}) {
    const std::string message = query_error(*fed, expand(sql, names), ErrorCode::unsupported);
    EXPECT_NE(message.find("'äbc'"), std::string::npos) << sql << ": " << message;
    EXPECT_NE(message.find("utf8mb4_general_ci"), std::string::npos) << message;
    EXPECT_NE(message.find("COLLATE BINARY"), std::string::npos) << message;
  }
  // What the backend answers alone stays the engine's: 'ÄBC' = 'abc' = 'äbc'.
  same("SELECT COUNT(*) FROM {ci} WHERE s = 'ÄBC'", "SELECT COUNT(*) FROM {ci} WHERE s = 'ÄBC'");
  same("SELECT id FROM {ci} WHERE s IN ('äbc') AND g = 9", "SELECT id FROM {ci} WHERE s IN ('äbc') AND g = 9");
  same("SELECT COUNT(DISTINCT s COLLATE BINARY) FROM {ci}",
       "SELECT COUNT(DISTINCT s COLLATE utf8mb4_bin) FROM {ci}");
  my->execute("DROP TABLE " + ci);
  my->execute("DROP TABLE " + keys);

  // PostgreSQL citext, against PostgreSQL itself; the keys in SQLite.
  pg->execute("CREATE EXTENSION IF NOT EXISTS citext");
  lite->execute("DROP TABLE IF EXISTS cikeys");
  lite->execute("CREATE TABLE cikeys (k TEXT, label INT)");
  lite->execute("INSERT INTO cikeys VALUES ('ABC', 1), ('xyz', 2), ('nope', 4)");
  pg->execute("CREATE TABLE " + o + "cikeys (k text, label int)");
  pg->execute("INSERT INTO " + o + "cikeys VALUES ('ABC', 1), ('xyz', 2), ('nope', 4)");
  for (const std::string& t : {schema_ + ".cit", o + "cit"}) {
    pg->execute("CREATE TABLE " + t + " (id int PRIMARY KEY, c citext, g int)");
    pg->execute("INSERT INTO " + t + " SELECT i, (ARRAY['abc', 'ABC', 'Abc', 'abd', 'xyz', "
                "'XYZ', '', NULL, 'q'])[1 + i % 9], i % 3 FROM generate_series(1, 180) i");
  }
  const std::map<std::string, std::string> pg_names = {{"cit", "pg." + schema_ + ".cit"},
                                                       {"keys", "lite.cikeys"}};
  const std::map<std::string, std::string> pg_oracle = {{"cit", o + "cit"}, {"keys", o + "cikeys"}};
  const auto same_pg = [&](const std::string& sql, const std::string& oracle_sql) {
    SCOPED_TRACE(expand(sql, pg_names));
    const Rows want = rows_of(*pg->query(expand(oracle_sql, pg_oracle)));
    EXPECT_EQ(rows_of(*fed->query(expand(sql, pg_names))), want);
    EXPECT_FALSE(want.empty());
  };
  for (const char* sql : {
           "SELECT COUNT(*) FROM {cit} WHERE c = 'abc'",
           "SELECT COUNT(*) FROM {cit} WHERE c IN ('ABC', 'Xyz')",
           "SELECT COUNT(*) FROM {cit} WHERE c <> 'abc'",
           "SELECT COUNT(*) FROM {cit} WHERE c >= 'ABD'",
           "SELECT COUNT(DISTINCT c) FROM {cit}",
           "SELECT UPPER(c), COUNT(*) FROM {cit} GROUP BY c ORDER BY 1 NULLS FIRST",
           "SELECT g, COUNT(DISTINCT c) FROM {cit} GROUP BY g ORDER BY g",
       })
    same_pg(sql, sql);
  same_pg("SELECT k.label, COUNT(*) FROM {cit} t JOIN {keys} k ON t.c = k.k GROUP BY k.label "
          "ORDER BY 1",
          "SELECT k.label, COUNT(*) FROM {cit} t JOIN {keys} k ON t.c = k.k::citext GROUP BY "
          "k.label ORDER BY 1");
  // A failure inside the collation callback (SQLite's C frames in between)
  // comes out as the error it is, and the next query is right again.
  fault_injection::fail_next_callback(
      CCallback::sqlite_collation,
      std::make_exception_ptr(Error(ErrorCode::internal, "injected collation fault")), 20);
  EXPECT_NE(query_error(*fed, expand("SELECT COUNT(DISTINCT c) FROM {cit}", pg_names),
                        ErrorCode::internal)
                .find("injected collation fault"),
            std::string::npos);
  EXPECT_EQ(fault_injection::clear_callback_faults(), 0u) << "the fault never fired";
  same_pg("SELECT COUNT(DISTINCT c) FROM {cit}", "SELECT COUNT(DISTINCT c) FROM {cit}");
  pg->execute("INSERT INTO " + schema_ + ".cit VALUES (1000, 'Äbc', 1)");
  EXPECT_NE(query_error(*fed, expand("SELECT COUNT(DISTINCT c) FROM {cit}", pg_names),
                        ErrorCode::unsupported)
                .find("citext"),
            std::string::npos);
  lite->execute("DROP TABLE cikeys");
}

// An aggregate of one PostgreSQL or MariaDB table is computed by that
// backend (one row per group crosses the wire, not every row), and the answer
// is the one PostgreSQL gives over all tables, the one polydb gives without
// the pushdown, in every shape: GROUP BY, HAVING, ORDER BY of a sum, a date
// key, no rows at all, a parameter, a subquery, a derived table in a join.
TEST_F(FederatedQueryTest, AggregatesOfOneTableAreComputedByItsBackend) {
  struct Case {
    const char* sql;
    const char* table;  // the table whose backend computes it
    uint64_t max_rows;  // rows fetched from it, at most
  };
  const Case cases[] = {
      {"SELECT status, COUNT(*), SUM(amount), AVG(amount), MIN(amount), MAX(created), "
       "COUNT(customer_id) FROM {orders} WHERE created >= '2024-03-01' AND amount BETWEEN 10 AND "
       "900 GROUP BY status ORDER BY status",
       "orders", 3},
      {"SELECT SUM(amount * (1 - 0.05) * (customer_id + 1)), COUNT(*), AVG(customer_id) FROM "
       "{orders} WHERE status IN ('paid', 'sent')",
       "orders", 1},
      {"SELECT customer_id, SUM(amount * customer_id) AS s FROM {orders} WHERE customer_id IS NOT "
       "NULL GROUP BY customer_id HAVING COUNT(*) > 9 ORDER BY s DESC, customer_id LIMIT 5",
       "orders", 2100},
      {"SELECT created, COUNT(*), SUM(amount) FROM {orders} WHERE id < 500 GROUP BY created ORDER "
       "BY created LIMIT 10",
       "orders", 366},
      {"SELECT COUNT(*), SUM(amount), MIN(created) FROM {orders} WHERE customer_id = 99999",
       "orders", 1},
      {"SELECT COUNT(*), SUM(id), AVG(id), MAX(id) - MIN(id) FROM {customers} WHERE id BETWEEN "
       "100 AND 900 AND segment = 'smb'",
       "customers", 1},
      {"SELECT COUNT(*) FROM {customers} c WHERE c.id > (SELECT AVG(customer_id) FROM {orders} "
       "WHERE status = 'new')",
       "orders", 1},
      // Correlated scalar subqueries: grouped by the key, the keys sent as IN lists.
      {"SELECT c.id, (SELECT SUM(amount) FROM {orders} o WHERE o.customer_id = c.id AND status = "
       "'paid') FROM {customers} c WHERE c.id <= 30 ORDER BY c.id",
       "orders", 2101},
      {"SELECT COUNT(*), SUM(o1.amount) FROM {orders} o1 WHERE o1.id <= 500 AND o1.amount > "
       "(SELECT 1.5 * AVG(o2.amount) FROM {orders} o2 WHERE o2.customer_id = o1.customer_id)",
       "orders", 2102},
      {"SELECT c.id, c.country, t.n FROM (SELECT customer_id, COUNT(*) AS n, SUM(amount) AS s FROM "
       "{orders} WHERE status = 'paid' GROUP BY customer_id) t JOIN {customers} c ON c.id = "
       "t.customer_id WHERE c.id < 40 ORDER BY c.id",
       "orders", 2101},
  };
  auto fed = federation();
  FederationOptions off;
  off.aggregate_pushdown = false;
  auto unpushed = federation(off);
  const auto names = fed_names();
  for (const auto& c : cases) {
    const std::string sql = expand(c.sql, names);
    SCOPED_TRACE(sql);
    try {
      check(*fed, c.sql);
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
      continue;
    }
    expect_near(rows_of(*fed->query(sql)), rows_of(*unpushed->query(sql)));
    const auto plan = fed->explain(sql, {}, {}, true);
    const std::string table = names.at(c.table);
    bool pushed = false;
    for (const auto& t : plan.tables) {
      // (A table may also be read as itself: the outer query of a correlated subquery.)
      if (t.table != table || t.access.rfind("aggregate", 0) != 0) continue;
      EXPECT_TRUE(t.native.find("count(") != std::string::npos ||
                  t.native.find("sum(") != std::string::npos ||
                  t.native.find("avg(") != std::string::npos)
          << t.native;
      EXPECT_LE(t.rows_fetched, c.max_rows) << t.native;
      pushed = true;
    }
    EXPECT_TRUE(pushed) << "no aggregate read of " << table;
  }
  // A bound parameter is a condition like a literal.
  const std::string with_params = expand(
      "SELECT status, COUNT(*), SUM(amount) FROM {orders} WHERE created >= ? AND amount < ? GROUP "
      "BY status ORDER BY status",
      names);
  const Value params[] = {Value(std::string("2024-06-01")), Value(int64_t{500})};
  expect_near(rows_of(*fed->query(with_params, params)),
              rows_of(*unpushed->query(with_params, params)));
  const auto plan = fed->explain(with_params, params, {}, true);
  ASSERT_EQ(plan.tables.size(), 1u);
  EXPECT_EQ(plan.tables[0].access, "aggregate by (status)");
  EXPECT_LE(plan.tables[0].rows_fetched, 3u);
}

// What the pushdown must leave to SQLite, because a backend would answer it
// differently, is still answered, and the same as before.
TEST_F(FederatedQueryTest, AggregatesTheBackendWouldAnswerDifferentlyStayLocal) {
  auto fed = federation();
  FederationOptions off;
  off.aggregate_pushdown = false;
  auto unpushed = federation(off);
  for (const char* sql : {
           // Division: integer division differs between engines.
           "SELECT SUM(amount / 2), SUM(customer_id / 7) FROM {orders}",
           // DISTINCT inside an aggregate.
           "SELECT COUNT(DISTINCT customer_id) FROM {orders}",
           // Text order: PostgreSQL's collation is not bytewise.
           "SELECT MIN(status), MAX(status) FROM {orders}",
           // LIKE: SQLite's is case-insensitive, PostgreSQL's is not.
           "SELECT COUNT(*) FROM {orders} WHERE status LIKE 'p%'",
       }) {
    const std::string text = expand(sql, fed_names());
    SCOPED_TRACE(text);
    check(*fed, sql);
    expect_near(rows_of(*fed->query(text)), rows_of(*unpushed->query(text)));
    for (const auto& t : fed->explain(text, {}, {}, false).tables)
      EXPECT_EQ(t.access.find("aggregate"), std::string::npos) << t.table;
  }
}

TEST_F(FederatedQueryTest, NoPerRowRoundTrips) {
  auto fed = federation();
  auto r = fed->query(expand(
      "SELECT COUNT(*), SUM(o.amount) FROM {orders} o JOIN {customers} c ON c.id = o.customer_id "
      "JOIN {products} p ON p.id = o.product_id",
      fed_names()));
  rows_of(*r);
  // One read of each table, and at most one first key probe for each of the two joined sides.
  EXPECT_LE(fed->remote_calls(), 5u);
  for (const auto& a : fed->last_accesses()) EXPECT_LE(a.remote_calls, 2u) << a.table;
}

// DynamoDB as a federated table: a key equality is a Query, a key list
// (IN subquery) BatchGetItem, and a join reads the table at most twice.
TEST_F(FederatedQueryTest, DynamoDbTablesJoinWithSqlTables) {
  const std::string dyn_url = dynamo_url();
  const std::string table = schema_ + "_customers";
  auto dyn = connect(dyn_url);
  dyn->drop_table(table, true);
  load(*dyn, table, customers());
  auto fed = federation();
  fed->attach("dyn", dyn_url);
  auto names = fed_names();
  names["customers"] = "dyn." + table;
  for (const char* sql : {
           "SELECT c.country, COUNT(*), SUM(o.amount) FROM {orders} o JOIN {customers} c ON c.id "
           "= o.customer_id WHERE c.segment = 'ent' GROUP BY c.country ORDER BY c.country NULLS "
           "FIRST",
           "SELECT c.id, c.name FROM {customers} c WHERE c.id IN (SELECT customer_id FROM "
           "{orders} WHERE amount > 990) ORDER BY c.id",
           "SELECT name, country FROM {customers} WHERE id = 42",
       }) {
    check(*fed, sql, names);
    EXPECT_LE(fed->remote_calls(), 4u);
  }
  auto plan = fed->explain(expand("SELECT name FROM {customers} WHERE id = 42", names), {}, {}, true);
  ASSERT_EQ(plan.tables.size(), 1u);
  EXPECT_EQ(plan.tables[0].native.rfind("Query", 0), 0u) << plan.tables[0].native;
  plan = fed->explain(expand("SELECT c.name FROM {customers} c WHERE c.id IN (SELECT customer_id "
                             "FROM {orders} WHERE amount > 990)",
                             names),
                      {}, {}, true);
  bool batch_get = false;
  for (const auto& t : plan.tables) batch_get = batch_get || t.native.rfind("BatchGetItem", 0) == 0;
  EXPECT_TRUE(batch_get) << "a key list from a subquery is read with BatchGetItem";
  dyn->drop_table(table, true);
}

// A join from a few rows into a big table sends the few rows' keys: IN lists
// in the SQL backend's dialect, BatchGetItem on DynamoDB.
TEST_F(FederatedQueryTest, FewJoinKeysAreSentToTheBigSide) {
  auto fed = federation();
  const std::string sql =
      "SELECT c.id, COUNT(*), SUM(o.amount) FROM {customers} c JOIN {orders} o ON o.customer_id "
      "= c.id WHERE c.segment = 'ent' AND c.country = 'DE' GROUP BY c.id ORDER BY c.id";
  check(*fed, sql);
  const auto plan = fed->explain(expand(sql, fed_names()), {}, {}, true);
  bool batched = false;
  for (const auto& t : plan.tables) {
    if (t.table.find("orders") == std::string::npos) continue;
    batched = true;
    EXPECT_TRUE(t.strategy.starts_with("key batching: ")) << t.strategy;
    EXPECT_NE(t.native.find(" IN ("), std::string::npos) << t.native;
    EXPECT_LT(t.rows_fetched, 2000u);  // about 10 orders per key, not 20,000
    EXPECT_EQ(t.remote_calls, 1u);
  }
  EXPECT_TRUE(batched);

  // DynamoDB on the probed side: 6,000 items, 40 keys in one BatchGetItem.
  const std::string dyn_url = dynamo_url();
  const std::string table = schema_ + "_people";
  auto dyn = connect(dyn_url);
  dyn->drop_table(table, true);
  Table people;
  people.schema.fields = {field("id", TypeId::int64, false), field("name", TypeId::string)};
  people.schema.primary_key = {"id"};
  for (int64_t i = 1; i <= 6000; ++i) people.rows.push_back({i, "c" + std::to_string(i)});
  load(*dyn, table, people);
  fed->attach("dyn", dyn_url);
  const std::string join = "SELECT o.id, p.name FROM {orders} o JOIN dyn." + table +
                           " p ON p.id = o.customer_id WHERE o.status = 'paid' AND o.id <= 120 "
                           "ORDER BY o.id";
  auto r = fed->query(expand(join, fed_names()));
  auto pg = connect(pg_url_);
  auto oracle = pg->query(expand(
      "SELECT id, 'c' || customer_id FROM {orders} WHERE status = 'paid' AND id <= 120 AND "
      "customer_id IS NOT NULL ORDER BY id",
      oracle_names()));
  EXPECT_EQ(rows_of(*r), rows_of(*oracle));
  const auto dyn_plan = fed->explain(expand(join, fed_names()), {}, {}, true);
  bool batch_get = false;
  for (const auto& t : dyn_plan.tables) {
    if (t.table != "dyn." + table) continue;
    batch_get = t.native.starts_with("BatchGetItem");
    EXPECT_TRUE(t.strategy.starts_with("key batching: ")) << t.strategy;
    EXPECT_LE(t.rows_fetched, 40u);
  }
  std::string steps;
  for (const auto& step : dyn_plan.steps) steps += step + "\n";
  EXPECT_TRUE(batch_get) << "the probed DynamoDB table is read with BatchGetItem\n" << steps;
  dyn->drop_table(table, true);
}

// Cosmos DB containers and Firestore collections join SQL tables like any
// other table; their fields are the columns describe() infers.
TEST_F(FederatedQueryTest, CosmosAndFirestoreTablesJoinWithSqlTables) {
  // The emulator's well-known key (it checks no signatures).
  setenv("COSMOS_KEY",
         "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==",
         0);
  const char* cos_env = std::getenv("POLYDB_TEST_COSMOS_URL");
  const char* fire_env = std::getenv("POLYDB_TEST_FIRESTORE_URL");
  ASSERT_TRUE(cos_env && *cos_env && fire_env && *fire_env)
      << "POLYDB_TEST_COSMOS_URL and POLYDB_TEST_FIRESTORE_URL must be set: use `make test`, or "
         "scripts/services.sh start cosmos firestore and eval \"$(scripts/services.sh env | sed "
         "'s/^/export /')\"";
  Uri fire_uri = Uri::parse(fire_env);
  fire_uri.host = "polydb-fed-" + std::to_string(getpid());  // a project of its own
  const std::string fire_url = fire_uri.to_string_with_secrets();
  const std::string container = schema_ + "_customers";
  ConnectOptions create;
  create.create_if_missing = true;
  auto cosmos = connect(cos_env, create);
  cosmos->drop_table(container, true);
  load(*cosmos, container, customers());
  auto fire = connect(fire_url);
  fire->drop_table("customers", true);
  load(*fire, "customers", customers());

  auto fed = federation();
  fed->attach("cos", cos_env);
  fed->attach("fire", fire_url);
  for (const std::string& table : {"cos." + container, std::string("fire.customers")}) {
    auto names = fed_names();
    names["customers"] = table;
    for (const char* sql : {
             "SELECT c.country, COUNT(*), SUM(o.amount) FROM {orders} o JOIN {customers} c ON "
             "c.id = o.customer_id WHERE c.segment = 'ent' GROUP BY c.country ORDER BY c.country "
             "NULLS FIRST",
             "SELECT COUNT(*), MIN(name) FROM {customers} WHERE country = 'DE' AND id < 500",
         }) {
      check(*fed, sql, names);
      EXPECT_LE(fed->remote_calls(), 4u);
    }
  }
  cosmos->drop_table(container, true);
  fire->drop_table("customers", true);
}

// PostgreSQL's planner estimates the rows a pushed filter keeps; the join
// order follows: 40 orders drive the probes into 2,000 customers.
TEST_F(FederatedQueryTest, PlannerUsesPostgresEstimates) {
  auto pg = connect(pg_url_);
  const auto few = pg->estimate_matches(schema_ + ".orders",
                                        Filter::compare("id", CompareOp::le, Value(int64_t{40})));
  ASSERT_TRUE(few.has_value());
  EXPECT_GE(*few, 20u);
  EXPECT_LE(*few, 80u);
  const auto paid = pg->estimate_matches(schema_ + ".orders",
                                         Filter::compare("status", CompareOp::eq, Value("paid")));
  ASSERT_TRUE(paid.has_value());
  EXPECT_NEAR(static_cast<double>(*paid), 6667, 1000);
  const auto no_customer = pg->estimate_matches(schema_ + ".orders", Filter::is_null("customer_id"));
  ASSERT_TRUE(no_customer.has_value());
  EXPECT_NEAR(static_cast<double>(*no_customer), 206, 150);  // every 97th order

  auto fed = federation();
  const std::string sql =
      "SELECT o.id, c.name FROM {orders} o JOIN {customers} c ON c.id = o.customer_id WHERE o.id "
      "<= 40 ORDER BY o.id";
  check(*fed, sql);
  const auto plan = fed->explain(expand(sql, fed_names()), {}, {}, false);
  ASSERT_EQ(plan.tables.size(), 2u);
  EXPECT_EQ(plan.tables[0].table, "pg." + schema_ + ".orders");  // the outer loop
  EXPECT_EQ(plan.tables[0].access, "scan");
  EXPECT_EQ(plan.tables[1].access, "lookup (id)");
}

// Two reads of one PostgreSQL attachment stream at once (a self-join whose
// outer side spans many batches): the second gets a connection of its own.
TEST_F(FederatedQueryTest, TwoReadsOfOneDatabaseStreamTogether) {
  FederationOptions o;
  o.batch_rows = 500;
  o.key_batching = false;  // no discovery pass, which would read the outer side first
  auto fed = federation(o);
  check(*fed,
        "SELECT COUNT(*), SUM(b.amount) FROM {orders} a JOIN {orders} b ON b.id = a.id + 1 WHERE "
        "a.status <> b.status");
  check(*fed,
        "SELECT a.status, COUNT(*) FROM {orders} a JOIN {products} p ON p.id = a.product_id "
        "JOIN {orders} b ON b.id = a.id WHERE p.category = 'b' GROUP BY 1 ORDER BY 1");
}

TEST_F(FederatedQueryTest, BackendErrorsNameTheBackend) {
  auto fed = federation();
  try {
    fed->query("SELECT * FROM my.no_such_table_here");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
    EXPECT_EQ(e.backend(), "mysql");
    EXPECT_NE(e.message().find("my:"), std::string::npos) << e.message();
  }
  Federation bad;
  bad.attach("pg", "postgresql://nobody:wrong@127.0.0.1:1/none");
  try {
    bad.query("SELECT * FROM pg.t");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::connection) << e.message();
    EXPECT_EQ(e.message().find("wrong"), std::string::npos) << "no password in messages";
  }
}

}  // namespace
}  // namespace polydb
