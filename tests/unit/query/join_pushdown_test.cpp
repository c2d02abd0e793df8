// Which SELECTs the join pushdown rewrites, and into what. The answers are
// checked against the engines in tests/integration/query/join_view_test.cpp
// and the differential tester; here the point is that every shape whose
// answer could change is left alone.

#include "query/join_pushdown.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace polydb::query {
namespace {

Field field(const char* name, Type type, Collation c = Collation::binary) {
  Field f{name, type, true, {}};
  f.collation = c;
  return f;
}

class JoinPushdownTest : public ::testing::Test {
 protected:
  JoinPushdownTest() {
    orders_.fields = {field("o_id", TypeId::int64), field("o_cust", TypeId::int64),
                      field("o_date", TypeId::date), field("o_status", TypeId::string, Collation::pad_space),
                      field("note", TypeId::string), field("o_f", TypeId::float64)};
    orders_.primary_key = {"o_id"};
    lines_.fields = {field("l_order", TypeId::int64), field("l_qty", Type(TypeId::decimal, 12, 2)),
                     field("l_status", TypeId::string, Collation::pad_space),
                     field("l_text", TypeId::string), field("note", TypeId::string),
                     field("l_f", TypeId::float64)};
    customers_.fields = {field("c_id", TypeId::int64), field("c_name", TypeId::string)};
    hooks_.table = [this](const std::string& attachment, const std::string& table) {
      JoinHooks::Table t;
      if (attachment == "pg" && table == "orders") t.schema = &orders_;
      if (attachment == "pg" && table == "lines") t.schema = &lines_;
      if (attachment == "my" && table == "customers") t.schema = &customers_;
      if (attachment == "my" && table == "orders") t.schema = &orders_;
      if (attachment == "dyn" && table == "lines") t.schema = &lines_;
      if (attachment == "lite" && table == "orders") t.schema = &orders_;
      t.joins = t.schema && attachment != "dyn";
      t.sqlite_file = attachment == "lite";
      return t;
    };
    hooks_.view = [this](const std::string& attachment, const JoinSpec& spec) {
      specs_.push_back(spec);
      attachments_.push_back(attachment);
      return "J" + std::to_string(specs_.size());
    };
  }

  std::string push(const std::string& sql) { return push_joins(sql, hooks_); }
  void expect_unchanged(const std::string& sql) {
    EXPECT_EQ(push(sql), sql);
    EXPECT_TRUE(specs_.empty());
  }

  Schema orders_, lines_, customers_;
  JoinHooks hooks_;
  std::vector<JoinSpec> specs_;
  std::vector<std::string> attachments_;
};

TEST_F(JoinPushdownTest, TablesOfOneAttachmentBecomeOneView) {
  EXPECT_EQ(push("SELECT o.o_id, l.l_qty, c.c_name FROM pg.orders o JOIN pg.lines l ON l.l_order "
                 "= o.o_id JOIN my.customers c ON c.c_id = o.o_cust WHERE l.l_qty > 5"),
            "SELECT \"J1\".\"o_id\" AS \"o_id\", \"J1\".\"l_qty\" AS \"l_qty\", c.c_name FROM "
            "\"pg\".\"J1\" AS \"J1\", my.customers c WHERE (\"J1\".\"l_order\" = \"J1\".\"o_id\") "
            "AND (c.c_id = \"J1\".\"o_cust\") AND (\"J1\".\"l_qty\" > 5)");
  ASSERT_EQ(specs_.size(), 1u);
  EXPECT_EQ(attachments_[0], "pg");
  const JoinSpec& s = specs_[0];
  ASSERT_EQ(s.members.size(), 2u);
  EXPECT_EQ(s.members[0].table, "orders");
  EXPECT_EQ(s.members[1].alias, "l");
  ASSERT_EQ(s.conditions.size(), 1u);
  EXPECT_EQ(s.conditions[0].left, 1u);
  EXPECT_EQ(s.conditions[0].left_column, "l_order");
  EXPECT_EQ(s.conditions[0].right_column, "o_id");
  // Columns both tables have are named by alias.
  std::vector<std::string> names;
  for (const auto& c : s.columns) names.push_back(c.name);
  EXPECT_NE(std::find(names.begin(), names.end(), "o.note"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "l.note"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "o_date"), names.end());
}

TEST_F(JoinPushdownTest, CommaListsAndUnqualifiedNames) {
  EXPECT_EQ(push("SELECT count(*) FROM pg.orders, pg.lines WHERE l_order = o_id AND o_date < "
                 "'1995-03-15' GROUP BY o_cust ORDER BY 1"),
            "SELECT count(*) FROM \"pg\".\"J1\" AS \"J1\" WHERE (l_order = o_id AND o_date < "
            "'1995-03-15') GROUP BY o_cust ORDER BY 1");
  ASSERT_EQ(specs_.size(), 1u);
  EXPECT_EQ(specs_[0].members[0].alias, "orders");
}

TEST_F(JoinPushdownTest, ATableWithoutAliasBesideItsAliasedTwin) {
  EXPECT_EQ(push("SELECT orders.o_id, b.o_id FROM pg.orders JOIN pg.orders b ON b.o_cust = "
                 "orders.o_id"),
            "SELECT \"J1\".\"orders.o_id\" AS \"o_id\", \"J1\".\"b.o_id\" AS \"o_id\" FROM "
            "\"pg\".\"J1\" AS \"J1\" WHERE (\"J1\".\"b.o_cust\" = \"J1\".\"orders.o_id\")");
}

TEST_F(JoinPushdownTest, PadSpaceKeysJoinAndSelfJoinsNameColumnsByAlias) {
  EXPECT_EQ(push("SELECT a.o_id FROM pg.orders a, pg.orders b WHERE a.o_status = b.o_status"),
            "SELECT \"J1\".\"a.o_id\" AS \"o_id\" FROM \"pg\".\"J1\" AS \"J1\" WHERE "
            "(\"J1\".\"a.o_status\" = \"J1\".\"b.o_status\")");
}

TEST_F(JoinPushdownTest, SubqueriesAndDerivedTablesAreRewrittenToo) {
  const std::string out =
      push("SELECT x.n FROM (SELECT o.o_cust AS n FROM pg.orders o JOIN pg.lines l ON o.o_id = "
           "l.l_order) x WHERE EXISTS (SELECT 1 FROM pg.orders o2, pg.lines l2 WHERE o2.o_id = "
           "l2.l_order AND o2.o_cust = x.n)");
  EXPECT_EQ(specs_.size(), 2u);
  EXPECT_EQ(out.find("pg.orders"), std::string::npos) << out;
  EXPECT_NE(out.find("\"J2\".\"o_cust\" = x.n"), std::string::npos) << out;
}

TEST_F(JoinPushdownTest, CorrelatedReferencesToMembersAreRewritten) {
  EXPECT_EQ(push("SELECT o.o_id FROM pg.orders o, pg.lines l WHERE o.o_id = l.l_order AND "
                 "EXISTS (SELECT 1 FROM my.customers c WHERE c.c_id = o.o_cust)"),
            "SELECT \"J1\".\"o_id\" AS \"o_id\" FROM \"pg\".\"J1\" AS \"J1\" WHERE "
            "(\"J1\".\"o_id\" = \"J1\".\"l_order\" AND EXISTS (SELECT 1 FROM my.customers c "
            "WHERE c.c_id = \"J1\".\"o_cust\"))");
}

TEST_F(JoinPushdownTest, OnlyExactEqualitiesJoin) {
  // Outer, cross, natural joins and USING.
  expect_unchanged("SELECT 1 FROM pg.orders o LEFT JOIN pg.lines l ON l.l_order = o.o_id");
  expect_unchanged("SELECT 1 FROM pg.orders o CROSS JOIN pg.lines l WHERE l.l_order = o.o_id");
  expect_unchanged("SELECT 1 FROM pg.orders o NATURAL JOIN pg.lines l");
  expect_unchanged("SELECT 1 FROM pg.orders o JOIN pg.lines l USING (note)");
  // Not an equality, an OR, a collation, an expression.
  expect_unchanged("SELECT 1 FROM pg.orders o, pg.lines l WHERE l.l_order < o.o_id");
  expect_unchanged("SELECT 1 FROM pg.orders o, pg.lines l WHERE l.l_order = o.o_id OR o.o_id = 1");
  expect_unchanged("SELECT 1 FROM pg.orders o, pg.lines l WHERE l.l_text = o.note COLLATE NOCASE");
  expect_unchanged("SELECT 1 FROM pg.orders o, pg.lines l WHERE l.l_order = o.o_id + 0");
  // Types or collations that differ: char(n) with text, integer with decimal, floats.
  expect_unchanged("SELECT 1 FROM pg.orders o, pg.lines l WHERE l.l_text = o.o_status");
  expect_unchanged("SELECT 1 FROM pg.orders o, pg.lines l WHERE l.l_qty = o.o_id");
  expect_unchanged("SELECT 1 FROM pg.orders o, pg.lines l WHERE l.l_f = o.o_f");
  // Different attachments, or a backend without join views.
  expect_unchanged("SELECT 1 FROM pg.orders o, my.orders m WHERE m.o_id = o.o_id");
  expect_unchanged("SELECT 1 FROM pg.orders o, dyn.lines l WHERE l.l_order = o.o_id");
  // Dates held as text (SQLite files): two spellings of one day would not join there.
  expect_unchanged("SELECT 1 FROM lite.orders a, lite.orders b WHERE a.o_date = b.o_date");
  // Nor RTRIM keys there (SQLite 3.40's automatic index loses such pairs).
  expect_unchanged("SELECT 1 FROM lite.orders a, lite.orders b WHERE a.o_status = b.o_status");
  EXPECT_NE(push("SELECT 1 FROM lite.orders a, lite.orders b WHERE a.o_id = b.o_cust"),
            "SELECT 1 FROM lite.orders a, lite.orders b WHERE a.o_id = b.o_cust");
  specs_.clear();
  // No join condition at all: no cross product is pushed.
  expect_unchanged("SELECT 1 FROM pg.orders o, pg.lines l WHERE o.o_id = 1");
}

TEST_F(JoinPushdownTest, ShapesItCannotReadAreLeftAlone) {
  // SELECT * would expand to the view's columns.
  expect_unchanged("SELECT * FROM pg.orders o, pg.lines l WHERE l.l_order = o.o_id");
  expect_unchanged("SELECT o.* FROM pg.orders o, pg.lines l WHERE l.l_order = o.o_id");
  // An ambiguous or unknown unqualified name.
  expect_unchanged("SELECT 1 FROM pg.orders o, pg.lines l WHERE note = l_order");
  expect_unchanged(
      "SELECT 1 FROM pg.orders o, pg.lines l, (SELECT 1 AS z) d WHERE l_order = o_id");
  // A column named through its table's full name.
  expect_unchanged("SELECT pg.orders.o_id FROM pg.orders, pg.lines WHERE l_order = o_id");
  // A nested query that names an alias again and uses it qualified.
  expect_unchanged(
      "SELECT 1 FROM pg.orders o, pg.lines l WHERE l.l_order = o.o_id AND EXISTS (SELECT 1 FROM "
      "my.orders o WHERE o.o_id = 5)");
}

TEST_F(JoinPushdownTest, ThreeTablesWithTwoGroups) {
  const std::string out = push(
      "SELECT 1 FROM pg.orders o, pg.lines l, my.customers c, my.orders m WHERE o.o_id = "
      "l.l_order AND c.c_id = m.o_cust AND m.o_id = o.o_id");
  EXPECT_EQ(specs_.size(), 2u);
  EXPECT_EQ(out, "SELECT 1 FROM \"pg\".\"J1\" AS \"J1\", \"my\".\"J2\" AS \"J2\" WHERE "
                 "(\"J1\".\"o_id\" = \"J1\".\"l_order\" AND \"J2\".\"c_id\" = \"J2\".\"o_cust\" "
                 "AND \"J2\".\"o_id\" = \"J1\".\"o_id\")");
}

}  // namespace
}  // namespace polydb::query
