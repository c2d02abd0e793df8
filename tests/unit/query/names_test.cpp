#include "query/names.hpp"

#include <gtest/gtest.h>

namespace polydb::query {
namespace {

bool attached(std::string_view n) { return n == "pg" || n == "my"; }

std::string rw(std::string_view sql) { return rewrite_three_part_names(sql, attached); }

TEST(QueryNames, ThreePartNamesInFromAndJoinBecomeQuoted) {
  EXPECT_EQ(rw("SELECT * FROM pg.sales.orders o"), R"(SELECT * FROM "pg"."sales.orders" o)");
  EXPECT_EQ(rw("select 1 from pg.a.b join my.c.d on 1 = 1"),
            R"(select 1 from "pg"."a.b" join "my"."c.d" on 1 = 1)");
  EXPECT_EQ(rw("SELECT 1 FROM pg.a.b x, my.c.d y WHERE x.k = y.k"),
            R"(SELECT 1 FROM "pg"."a.b" x, "my"."c.d" y WHERE x.k = y.k)");
  EXPECT_EQ(rw(R"(SELECT 1 FROM pg."we ird".t)"), R"(SELECT 1 FROM "pg"."we ird.t")");
}

TEST(QueryNames, OtherDottedNamesAreLeftAlone) {
  // Two parts, column references, unknown first parts, strings and comments.
  for (std::string_view sql :
       {"SELECT * FROM pg.orders", "SELECT pg.orders.id FROM pg.orders",
        "SELECT * FROM other.a.b", "SELECT 'FROM pg.a.b' FROM pg.t",
        "SELECT 1 -- FROM pg.a.b\nFROM pg.t", "SELECT 1 FROM pg.t WHERE x IN (1, 2)",
        "SELECT a, b FROM pg.t, my.u WHERE pg.t.a = my.u.b"})
    EXPECT_EQ(rw(sql), sql);
}

TEST(QueryNames, SubqueriesKeepTheirFromLists) {
  EXPECT_EQ(rw("SELECT (SELECT max(x) FROM pg.s.t), y FROM my.u"),
            R"(SELECT (SELECT max(x) FROM "pg"."s.t"), y FROM my.u)");
}

TEST(QueryNames, ExistsSelectStarAsksForNoColumn) {
  EXPECT_EQ(rewrite_exists_star("SELECT a FROM t WHERE EXISTS (SELECT * FROM u WHERE u.k = t.k)"),
            "SELECT a FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.k = t.k)");
  EXPECT_EQ(rewrite_exists_star("select a from t where not exists(select distinct * from u) "
                                "and exists ( SELECT\n* FROM v)"),
            "select a from t where not exists(select distinct 1 from u) and exists ( SELECT\n1 "
            "FROM v)");
  for (std::string_view sql : {
           "SELECT * FROM t",                                        // not in EXISTS
           "SELECT 'EXISTS (SELECT * FROM u)' FROM t",               // a string
           "SELECT a FROM t WHERE EXISTS (SELECT k * 2 FROM u)",     // an expression
           "SELECT a FROM t WHERE EXISTS (SELECT * FROM u UNION SELECT * FROM v)",
           "SELECT a FROM t WHERE a IN (SELECT * FROM u)",           // IN needs the column
       })
    EXPECT_EQ(rewrite_exists_star(sql), sql);
  // A compound inside a nested subquery does not stop the outer one.
  EXPECT_EQ(rewrite_exists_star(
                "SELECT 1 WHERE EXISTS (SELECT * FROM u WHERE k IN (SELECT 1 UNION SELECT 2))"),
            "SELECT 1 WHERE EXISTS (SELECT 1 FROM u WHERE k IN (SELECT 1 UNION SELECT 2))");
}

TEST(QueryNames, MissingTableMessages) {
  auto m = parse_missing_table("no such table: pg.orders");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->schema, "pg");
  EXPECT_EQ(m->table, "orders");
  m = parse_missing_table("no such table: pg.sales.orders");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->table, "sales.orders");
  EXPECT_FALSE(parse_missing_table("no such table: orders"));
  EXPECT_FALSE(parse_missing_table("syntax error"));
}

TEST(QueryNames, AttachNames) {
  EXPECT_TRUE(valid_attach_name("pg"));
  EXPECT_TRUE(valid_attach_name("_x9"));
  EXPECT_FALSE(valid_attach_name("main"));
  EXPECT_FALSE(valid_attach_name("TEMP"));
  EXPECT_FALSE(valid_attach_name("9a"));
  EXPECT_FALSE(valid_attach_name("a-b"));
  EXPECT_FALSE(valid_attach_name(""));
}

}  // namespace
}  // namespace polydb::query
