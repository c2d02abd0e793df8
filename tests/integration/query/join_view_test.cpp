// Join views (docs/query.md, "Joins of one database"): joins of two tables of
// one PostgreSQL, MariaDB or SQLite attachment run there as one query. Each
// answer is checked against PostgreSQL running the same SQL on one schema
// holding the same rows with the same comparison semantics, and against
// polydb with the pushdown off; the plans show that the join was pushed.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "../mysql/fixture.hpp"
#include "../postgres/fixture.hpp"
#include "polydb/query.hpp"
#include "polydb/uri.hpp"
#include "rows.hpp"

namespace polydb {
namespace {

using querytest::Rows;

using querytest::canonical;

// id, k (NULLs, duplicates), c char(4) ('X' and 'X  ' are one value), t
// bytewise text, ci case-insensitive text, n decimal.
struct Row {
  int id;
  const char *k, *c, *t, *ci, *n;
};
const std::vector<Row> kA = {
    {1, "1", "'X'", "'ab'", "'abc'", "1.50"},  {2, "1", "'X  '", "'ab '", "'ABC'", "2.00"},
    {3, "2", "'Y'", "'Ab'", "'x'", "NULL"},    {4, "NULL", "NULL", "NULL", "NULL", "4.25"},
    {5, "3", "' X'", "'b'", "'abd'", "-1.00"}, {6, "2", "'Y '", "'ab'", "'X'", "3.00"}};
const std::vector<Row> kB = {
    {10, "1", "'X '", "'ab'", "'Abc'", "10.00"}, {11, "2", "'Y'", "'ab '", "'X'", "20.50"},
    {12, "2", "'Z'", "'Ab'", "'abc'", "NULL"},   {13, "NULL", "'X'", "NULL", "NULL", "1.25"},
    {14, "9", "NULL", "'b'", "'abd'", "7.00"},   {15, "1", "' X'", "'zz'", "'x'", "0.00"}};

std::string values(const std::vector<Row>& rows) {
  std::string out;
  for (const auto& r : rows)
    out += fmt::format("{}({}, {}, {}, {}, {}, {})", out.empty() ? "" : ", ", r.id, r.k, r.c, r.t,
                       r.ci, r.n);
  return out;
}

class JoinViewTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::tie(pg_url_, my_url_, lite_url_, schema_, dir_) = querytest::scratch("jv_", "lite.db");
    auto pg = connect(pg_url_);
    for (const auto& s : {schema_, schema_ + "_oracle"}) {
      pg->execute("DROP SCHEMA IF EXISTS " + s + " CASCADE");
      pg->execute("CREATE SCHEMA " + s);
    }
    for (const char* t : {"a", "b"}) {
      const auto& rows = std::string(t) == "a" ? kA : kB;
      // The oracle: the engines' semantics in one place (bytewise text).
      pg->execute(fmt::format("CREATE TABLE {}_oracle.{} (id int PRIMARY KEY, k int, c char(4), t "
                              "text COLLATE \"C\", ci citext, n numeric(8,2))",
                              schema_, t));
      pg->execute(fmt::format("INSERT INTO {}_oracle.{} VALUES {}", schema_, t, values(rows)));
      pg->execute(fmt::format("CREATE TABLE {}.{} (id int PRIMARY KEY, k int, c char(4), t text, "
                              "ci citext, n numeric(8,2))",
                              schema_, t));
      pg->execute(fmt::format("INSERT INTO {}.{} VALUES {}", schema_, t, values(rows)));
    }
    auto my = connect(my_url_);
    ConnectOptions create;
    create.create_if_missing = true;
    auto lite = connect(lite_url_, create);
    for (const char* t : {"a", "b"}) {
      const auto& rows = std::string(t) == "a" ? kA : kB;
      const std::string name = schema_ + "_" + t;
      my->execute("DROP TABLE IF EXISTS " + name);
      my->execute("CREATE TABLE " + name +
                  " (id INT PRIMARY KEY, k INT, c CHAR(4) CHARACTER SET utf8mb4 COLLATE "
                  "utf8mb4_bin, t VARCHAR(8) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin, ci "
                  "VARCHAR(8) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci, n DECIMAL(8,2))");
      my->execute(fmt::format("INSERT INTO {} VALUES {}", name, values(rows)));
      lite->execute(fmt::format("CREATE TABLE {} (id INTEGER PRIMARY KEY, k INTEGER, c TEXT "
                                "COLLATE RTRIM, t TEXT, ci TEXT COLLATE NOCASE, n DECIMAL(8,2))",
                                t));
      lite->execute(fmt::format("INSERT INTO {} VALUES {}", t, values(rows)));
    }
  }
  static void TearDownTestSuite() {
    // (nothing when SetUpTestSuite failed and said why)
    querytest::drop_scratch(pg_url_, my_url_, schema_, {"_a", "_b"}, dir_);
  }

  std::unique_ptr<Federation> federation(bool joins = true) {
    FederationOptions o;
    o.join_pushdown = joins;
    auto fed = std::make_unique<Federation>(o);
    fed->attach("pg", pg_url_);
    fed->attach("my", my_url_);
    fed->attach("lite", lite_url_);
    return fed;
  }

  // `sql` with {a}, {b} naming backend `backend`'s tables, {pb} PostgreSQL's b.
  std::string names(std::string sql, const std::string& backend) const {
    std::map<std::string, std::string> n;
    if (backend == "oracle") n = {{"{a}", schema_ + "_oracle.a"}, {"{b}", schema_ + "_oracle.b"}, {"{pb}", schema_ + "_oracle.b"}};
    if (backend == "pg") n = {{"{a}", "pg." + schema_ + ".a"}, {"{b}", "pg." + schema_ + ".b"}};
    if (backend == "my") n = {{"{a}", "my." + schema_ + "_a"}, {"{b}", "my." + schema_ + "_b"}};
    if (backend == "lite") n = {{"{a}", "lite.a"}, {"{b}", "lite.b"}};
    if (backend != "oracle") n["{pb}"] = "pg." + schema_ + ".b";
    for (const auto& [key, name] : n)
      for (size_t at; (at = sql.find(key)) != std::string::npos;) sql.replace(at, key.size(), name);
    return sql;
  }

  // Runs `sql` on every backend with the pushdown, checks the answer against
  // the oracle and the pushdown-off run, and that a join view read it.
  void check(const std::string& sql, bool pushed = true, bool pushed_to_sqlite = true) {
    const Rows want = querytest::rows_of(*connect(pg_url_)->query(names(sql, "oracle")), canonical);
    for (const char* backend : {"pg", "my", "lite"}) {
      SCOPED_TRACE(std::string(backend) + ": " + names(sql, backend));
      auto fed = federation();
      const std::string text = names(sql, backend);
      EXPECT_EQ(querytest::rows_of(*fed->query(text), canonical), want);
      EXPECT_EQ(querytest::rows_of(*federation(false)->query(text), canonical), want);
      const auto plan = fed->explain(text, {}, {}, true);
      bool join_view = false;
      for (const auto& t : plan.tables)
        if (t.access.starts_with("join (")) {
          join_view = true;
          EXPECT_NE(t.native.find(" AS "), std::string::npos) << t.native;
        }
      EXPECT_EQ(join_view, pushed && (pushed_to_sqlite || std::string(backend) != "lite"));
    }
  }

  static inline std::string pg_url_, my_url_, lite_url_, schema_;
  static inline std::filesystem::path dir_;
};

TEST_F(JoinViewTest, NullAndDuplicateIntegerKeys) {
  check("SELECT a.id, b.id, b.n FROM {a} a JOIN {b} b ON a.k = b.k ORDER BY 1, 2");
  check("SELECT a.k, count(*), sum(b.n), min(a.id) FROM {a} a, {b} b WHERE b.k = a.k GROUP BY "
        "a.k ORDER BY 1");
}

TEST_F(JoinViewTest, CharKeysIgnoreTrailingBlanks) {
  // Not pushed to SQLite files: SQLite 3.40 loses rows of such joins.
  check("SELECT a.id, b.id, a.c FROM {a} a JOIN {b} b ON a.c = b.c ORDER BY 1, 2", true, false);
  check("SELECT a.id, b.id FROM {a} a JOIN {b} b ON a.c = b.c WHERE b.c = 'X   ' ORDER BY 1, 2",
        true, false);
}

TEST_F(JoinViewTest, BytewiseTextKeys) {
  check("SELECT a.id, b.id FROM {a} a JOIN {b} b ON a.t = b.t ORDER BY 1, 2");
}

TEST_F(JoinViewTest, CaseInsensitiveKeys) {
  check("SELECT a.id, b.id, upper(a.ci) FROM {a} a JOIN {b} b ON a.ci = b.ci ORDER BY 1, 2");
  check("SELECT a.id, b.id FROM {a} a JOIN {b} b ON a.ci = b.ci WHERE b.ci = 'ABC' ORDER BY 1, 2");
}

TEST_F(JoinViewTest, EmptySides) {
  check("SELECT a.id, b.id FROM {a} a JOIN {b} b ON a.k = b.k WHERE b.n > 1000 ORDER BY 1, 2");
  check("SELECT count(*), sum(a.n) FROM {a} a JOIN {b} b ON a.k = b.k WHERE a.id < 0");
}

TEST_F(JoinViewTest, ConditionsTheBackendCannotTakeStayLocal) {
  // Expressions, OR and a comparison under another collation are SQLite's.
  check("SELECT a.id, b.id FROM {a} a JOIN {b} b ON a.k = b.k WHERE substr(a.t, 1, 1) = 'a' AND "
        "(b.n > 5 OR b.n IS NULL) ORDER BY 1, 2");
  auto fed = federation();
  const std::string sql = names(
      "SELECT a.id, b.id FROM {a} a JOIN {b} b ON a.k = b.k WHERE a.t = 'AB' COLLATE NOCASE AND "
      "b.id > 10 ORDER BY 1, 2",
      "pg");
  const auto plan = fed->explain(sql, {}, {}, true);
  ASSERT_FALSE(plan.tables.empty());
  const auto& t = plan.tables.front();
  EXPECT_TRUE(t.access.starts_with("join (")) << t.access;
  EXPECT_EQ(t.native.find("AB"), std::string::npos) << t.native;  // checked by SQLite
  EXPECT_NE(t.native.find("WHERE \"id\" > "), std::string::npos) << t.native;
  EXPECT_EQ(querytest::rows_of(*fed->query(sql), canonical),
            (Rows{{"1", "15"}, {"3", "11"}, {"3", "12"}, {"6", "11"}, {"6", "12"}}));
}

// LIKE is SQLite's (ASCII case-insensitive, unlike PostgreSQL's): PostgreSQL
// is sent a regular expression that keeps at least its matches, and SQLite
// checks LIKE on what comes back.
TEST_F(JoinViewTest, LikeNarrowsWhatPostgresSends) {
  for (const char* pattern : {"A%", "%b", "a_", "%B %", "%", "x%y", "%.%"}) {
    for (const char* backend : {"pg", "my", "lite"}) {
      const std::string sql = names(fmt::format("SELECT a.id, b.id FROM {{a}} a JOIN {{b}} b ON "
                                                "a.k = b.k WHERE a.t LIKE '{}' ORDER BY 1, 2",
                                                pattern),
                                    backend);
      SCOPED_TRACE(sql);
      auto fed = federation();
      EXPECT_EQ(querytest::rows_of(*fed->query(sql), canonical),
                querytest::rows_of(*federation(false)->query(sql), canonical));
      if (std::string(backend) != "pg" || std::string(pattern).find('_') != std::string::npos)
        continue;
      const auto plan = fed->explain(sql, {}, {}, true);
      ASSERT_FALSE(plan.tables.empty());
      EXPECT_NE(plan.tables.front().native.find("\"t\" ~ "), std::string::npos)
          << plan.tables.front().native;
    }
  }
  // What the pattern keeps: 'ab', 'ab ', 'Ab', 'ab' (ids 1, 2, 3, 6) for 'A%'.
  EXPECT_EQ(querytest::rows_of(*federation()->query(names(
                "SELECT DISTINCT a.id FROM {a} a JOIN {b} b ON a.k = b.k WHERE a.t LIKE 'A%' "
                "ORDER BY 1", "pg")), canonical),
            (Rows{{"1"}, {"2"}, {"3"}, {"6"}}));
}

TEST_F(JoinViewTest, JoinViewsJoinOtherAttachments) {
  // {a} ⋈ {b} in one backend, then PostgreSQL's b.
  check("SELECT a.id, b.id, z.id FROM {a} a JOIN {b} b ON a.id + 9 = b.id JOIN {b} b2 ON b2.k = "
        "a.k JOIN {pb} z ON z.id = b2.id WHERE z.n IS NOT NULL ORDER BY 1, 2, 3");
  check("SELECT a.id, z.id FROM {a} a, {b} b, {pb} z WHERE a.id = b.id - 9 AND b.k = a.k AND "
        "z.k = a.k ORDER BY 1, 2");
}

TEST_F(JoinViewTest, OuterJoinsAreNotPushed) {
  check("SELECT a.id, b.id FROM {a} a LEFT JOIN {b} b ON a.k = b.k ORDER BY 1, 2", false);
}

}  // namespace
}  // namespace polydb
