// Which SELECTs the aggregate pushdown rewrites, and into what. The answers
// themselves are checked against the engines in
// tests/integration/query/federation_test.cpp; here the point is that every
// shape whose answer could change is left alone.

#include "query/aggregate_pushdown.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace polydb::query {
namespace {

class AggregatePushdownTest : public ::testing::Test {
 protected:
  AggregatePushdownTest() {
    auto field = [](const char* name, Type type, Collation c = Collation::binary) {
      Field f{name, type, true, {}};
      f.collation = c;
      return f;
    };
    schema_.fields = {field("id", TypeId::int64),
                      field("g", TypeId::string),
                      field("c", TypeId::string, Collation::pad_space),
                      field("ci", TypeId::string, Collation::case_insensitive),
                      field("n", Type(TypeId::decimal, 12, 2)),
                      field("q", TypeId::int64),
                      field("f", TypeId::float64),
                      field("d", TypeId::date),
                      field("j", TypeId::json)};
    schema_.primary_key = {"id"};
    hooks_.table = [this](const std::string& attachment, const std::string& table) -> const Schema* {
      return attachment == "pg" && table == "t" ? &schema_ : nullptr;
    };
    hooks_.view = [this](const std::string&, const std::string&,
                         const std::vector<std::string>& group_by,
                         const std::vector<ScanAggregate>& aggregates) {
      group_by_ = group_by;
      aggregates_.clear();
      for (const auto& a : aggregates) aggregates_.push_back(a.name + "=" + a.to_string());
      return std::string("\"pg\".\"V\"");
    };
  }

  std::string push(const std::string& sql) { return push_aggregates(sql, hooks_); }
  void expect_unchanged(const std::string& sql) { EXPECT_EQ(push(sql), sql); }

  Schema schema_;
  AggregateHooks hooks_;
  std::vector<std::string> group_by_;
  std::vector<std::string> aggregates_;
};

TEST_F(AggregatePushdownTest, GroupedAggregatesBecomeColumnsOfTheView) {
  EXPECT_EQ(push("SELECT g, sum(n * (1 - q)) AS s, count(*) FROM pg.t WHERE d <= '2024-01-01' "
                 "AND q BETWEEN 1 AND 5 GROUP BY g ORDER BY s DESC LIMIT 3"),
            "SELECT g, \"t\".\"polydb_agg_0\" AS s, \"t\".\"polydb_agg_1\" AS \"count(*)\" FROM "
            "\"pg\".\"V\" AS \"t\" WHERE d <= '2024-01-01' AND q BETWEEN 1 AND 5 ORDER BY s DESC "
            "LIMIT 3");
  EXPECT_EQ(group_by_, std::vector<std::string>{"g"});
  EXPECT_EQ(aggregates_,
            (std::vector<std::string>{"polydb_agg_0=sum(n * (1 - q))", "polydb_agg_1=count(*)"}));
}

TEST_F(AggregatePushdownTest, ScalarAggregatesKeepTheirColumnNames) {
  EXPECT_EQ(push("select sum(n), min(d), max(q)  mx, avg(-q + 2.5) from pg.t"),
            "SELECT \"t\".\"polydb_agg_0\" AS \"sum(n)\", \"t\".\"polydb_agg_1\" AS \"min(d)\", "
            "\"t\".\"polydb_agg_2\"  mx, \"t\".\"polydb_agg_3\" AS \"avg(-q + 2.5)\" FROM "
            "\"pg\".\"V\" AS \"t\"");
  EXPECT_TRUE(group_by_.empty());
  EXPECT_EQ(aggregates_, (std::vector<std::string>{"polydb_agg_0=sum(n)", "polydb_agg_1=min(d)",
                                                   "polydb_agg_2=max(q)",
                                                   "polydb_agg_3=avg(-(q) + 2.5)"}));
}

TEST_F(AggregatePushdownTest, HavingBecomesAConditionOnTheGroupedRows) {
  EXPECT_EQ(push("SELECT c, count(q) FROM pg.t AS z WHERE z.q > ? GROUP BY z.c HAVING count(q) > 1 "
                 "AND sum(n) < 10"),
            "SELECT c, \"z\".\"polydb_agg_0\" AS \"count(q)\" FROM \"pg\".\"V\" AS \"z\" WHERE "
            "(z.q > ?) AND (\"z\".\"polydb_agg_0\" > 1 AND \"z\".\"polydb_agg_1\" < 10)");
  EXPECT_EQ(group_by_, std::vector<std::string>{"c"});
}

TEST_F(AggregatePushdownTest, SubqueriesAreRewrittenInPlace) {
  EXPECT_EQ(push("SELECT a FROM x.o WHERE v > (SELECT avg(q) FROM pg.t WHERE q IN (1, 2)) ORDER BY a"),
            "SELECT a FROM x.o WHERE v > (SELECT \"t\".\"polydb_agg_0\" AS \"avg(q)\" FROM "
            "\"pg\".\"V\" AS \"t\" WHERE q IN (1, 2)) ORDER BY a");
}

TEST_F(AggregatePushdownTest, WhatCouldChangeTheAnswerIsLeftAlone) {
  for (const char* sql : {
           "SELECT sum(q) FROM pg.t, pg.u",                          // a join
           "SELECT sum(q) FROM pg.t JOIN pg.u ON 1",                 // a join
           "SELECT sum(f) FROM pg.t",                                // floats (NaN, -0.0)
           "SELECT ci, count(*) FROM pg.t GROUP BY ci",              // case-insensitive key
           "SELECT f, count(*) FROM pg.t GROUP BY f",                // float key
           "SELECT count(*) FROM pg.t WHERE g LIKE 'x%'",            // LIKE
           "SELECT count(*) FROM pg.t WHERE q = 1 OR q = 2",         // OR
           "SELECT count(*) FROM pg.t WHERE NOT q = 1",              // NOT
           "SELECT count(*) FROM pg.t WHERE q NOT IN (1, 2)",        // NOT IN
           "SELECT count(*) FROM pg.t WHERE q + 1 = 2",              // an expression
           "SELECT count(*) FROM pg.t WHERE q = id",                 // two columns
           "SELECT count(*) FROM pg.t WHERE g = 'a' COLLATE NOCASE", // another collation
           "SELECT count(DISTINCT q) FROM pg.t",                     // DISTINCT
           "SELECT sum(q) OVER () FROM pg.t",                        // a window
           "SELECT count(*) FILTER (WHERE q > 1) FROM pg.t",         // FILTER
           "SELECT sum(q / 2) FROM pg.t",                            // division
           "SELECT sum(length(g)) FROM pg.t",                        // a function
           "SELECT sum(q) FROM pg.t WHERE q > (SELECT 1)",           // a subquery inside
           "SELECT q, sum(n) FROM pg.t GROUP BY g",                  // a bare column
           "SELECT q, sum(n) FROM pg.t",                             // a bare column
           "SELECT sum(q) FROM pg.t UNION SELECT 1",                 // a compound
           "SELECT 1 UNION SELECT sum(q) FROM pg.t",                 // a compound
           "SELECT sum(q) FROM pg.t WHERE g = \"x\"",                // "x" may be a column
           "SELECT g FROM pg.t GROUP BY g",                          // no aggregate
           "SELECT * FROM pg.t",                                     // no aggregate
           "SELECT sum(q) FROM zz.t",                                // not pushable there
           "SELECT sum(q) FROM pg.t GROUP BY 1",                     // a position
           "SELECT sum(q) FROM pg.t GROUP BY q + 1",                 // an expression
           "SELECT min(g) FROM pg.t",                                // text order
           "SELECT count(j) FROM pg.t",                              // json
           "SELECT sum(1e3 * q) FROM pg.t",                          // a float literal
           "SELECT sum(q), o.x FROM pg.t",                           // an outer column
           "SELECT count(*) FROM pg.t WHERE q = o.x",                // a correlated condition
           "SELECT count(*) FROM pg.t ORDER BY q",                   // a bare column in ORDER BY
           "SELECT count(*) FROM pg.t WHERE q IS NULL",              // SQLite checks IS NULL
           "SELECT count(*) FROM pg.t WHERE q = 1 AND q < 0",        // SQLite folds it to false
           "SELECT count(*) FROM pg.t WHERE q IN (1) AND q > 5",     // the same
           "SELECT count(*) FROM pg.t WHERE q > NULL",               // NULL
       })
    expect_unchanged(sql);
}

TEST_F(AggregatePushdownTest, IsNullOnAGroupColumnIsPushed) {
  EXPECT_EQ(push("SELECT q, count(*) FROM pg.t WHERE q IS NOT NULL AND d > '2024-01-01' GROUP BY q"),
            "SELECT q, \"t\".\"polydb_agg_0\" AS \"count(*)\" FROM \"pg\".\"V\" AS \"t\" WHERE q "
            "IS NOT NULL AND d > '2024-01-01'");
}

TEST_F(AggregatePushdownTest, GroupsMayHaveConditionsSqliteFolds) {
  EXPECT_NE(push("SELECT g, count(*) FROM pg.t WHERE q = 1 AND q < 0 GROUP BY g"),
            "SELECT g, count(*) FROM pg.t WHERE q = 1 AND q < 0 GROUP BY g");
  EXPECT_NE(push("SELECT count(*) FROM pg.t WHERE q > 1 AND q < 9"),
            "SELECT count(*) FROM pg.t WHERE q > 1 AND q < 9");
}

TEST_F(AggregatePushdownTest, CorrelatedScalarSubqueriesAreGroupedByTheirKeys) {
  EXPECT_EQ(push("SELECT p FROM pg.part WHERE q < (SELECT 0.2 * avg(q) FROM pg.t WHERE t.id = "
                 "part.pk AND d > '2024-01-01')"),
            "SELECT p FROM pg.part WHERE q < (SELECT 0.2 * \"t\".\"polydb_agg_0\" AS \"0.2 * "
            "avg(q)\" FROM \"pg\".\"V\" AS \"t\" WHERE t.id = part.pk AND d > '2024-01-01')");
  EXPECT_EQ(group_by_, std::vector<std::string>{"id"});
  EXPECT_NE(push("SELECT (SELECT sum(n) FROM pg.t x WHERE o.k = x.q), o.k FROM other.o"),
            "SELECT (SELECT sum(n) FROM pg.t x WHERE o.k = x.q), o.k FROM other.o");
  EXPECT_EQ(group_by_, std::vector<std::string>{"q"});
  // Not where no rows would answer differently from no group.
  for (const char* sql : {
           "SELECT 1 FROM o WHERE EXISTS (SELECT avg(q) FROM pg.t WHERE t.id = o.x)",
           "SELECT 1 FROM o WHERE o.y IN (SELECT max(q) FROM pg.t WHERE t.id = o.x)",
           "SELECT (SELECT count(*) FROM pg.t WHERE t.id = o.x) FROM o",
           "SELECT (SELECT coalesce(sum(q), 0) FROM pg.t WHERE t.id = o.x) FROM o",
           "SELECT (SELECT sum(q) FROM pg.t WHERE t.id = o.x GROUP BY g) FROM o",
           "SELECT (SELECT sum(q) FROM pg.t WHERE t.id < o.x) FROM o",
           "SELECT (SELECT sum(q) FROM pg.t WHERE t.ci = o.x) FROM o",
       })
    expect_unchanged(sql);
}

TEST_F(AggregatePushdownTest, SameAggregateTwiceIsOneColumn) {
  EXPECT_EQ(push("SELECT sum(q), sum(q) * 2 AS twice FROM pg.t"),
            "SELECT \"t\".\"polydb_agg_0\" AS \"sum(q)\", \"t\".\"polydb_agg_0\" * 2 AS twice FROM "
            "\"pg\".\"V\" AS \"t\"");
  EXPECT_EQ(aggregates_, std::vector<std::string>{"polydb_agg_0=sum(q)"});
}

TEST_F(AggregatePushdownTest, ScalarMinAndMaxOfGroupColumnsAreNotAggregates) {
  EXPECT_EQ(push("SELECT max(q, 3), count(*) FROM pg.t GROUP BY q"),
            "SELECT max(q, 3), \"t\".\"polydb_agg_0\" AS \"count(*)\" FROM \"pg\".\"V\" AS \"t\"");
}

}  // namespace
}  // namespace polydb::query
