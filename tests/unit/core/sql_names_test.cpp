// Quoted table names of the SQL connectors (core/sql_names.hpp).

#include "core/sql_names.hpp"

#include <gtest/gtest.h>

#include "polydb/error.hpp"

namespace polydb {
namespace {

std::string read(std::string_view text) {
  const auto n = parse_quoted_table_name(text, "test");
  if (!n) return "plain";
  return n->schema + "|" + n->table;
}

TEST(SqlNames, PlainNamesAreLeftToTheConnector) {
  for (const char* plain : {"orders", "main.orders", "a.b.c", "we\"ird", "x.y\"z", ""})
    EXPECT_EQ(read(plain), "plain") << plain;
}

TEST(SqlNames, QuotedParts) {
  EXPECT_EQ(read("\"dot.ted\""), "|dot.ted");
  EXPECT_EQ(read("\"we\"\"ird\""), "|we\"ird");
  EXPECT_EQ(read("main.\"we\"\"ird\""), "main|we\"ird");
  EXPECT_EQ(read("\"s.x\".\"t.y\""), "s.x|t.y");
  EXPECT_EQ(read("\"s\".t"), "s|t");
  EXPECT_EQ(read("`a.b`"), "|a.b");
  EXPECT_EQ(read("`a``b`"), "|a`b");
  EXPECT_EQ(read("[dbo].[x.y]"), "dbo|x.y");
  EXPECT_EQ(read("[a]]b]"), "|a]b");
}

TEST(SqlNames, MalformedQuotedNamesAreRefused) {
  for (const char* bad : {"\"open", "\"a\"b", "\"a\".", "\"a\"..b", "\"a\".\"b\".\"c\"", "\"\"",
                          "main.\"\"", "main.\"x"}) {
    try {
      parse_quoted_table_name(bad, "test");
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << bad;
      EXPECT_NE(e.message().find(bad), std::string::npos) << e.message();
    }
  }
}

TEST(SqlNames, ReferencesReadBackAsTheSameName) {
  for (const char* name : {"orders", "dot.ted", "we\"ird", "\"q", "`b", "[c", "a.b.c", "x y"}) {
    const std::string ref = table_reference_text({"", name});
    const auto back = parse_quoted_table_name(ref, "test");
    EXPECT_EQ(back ? back->table : ref, name) << ref;
    if (back) {
      EXPECT_EQ(back->schema, "");
    }
  }
  EXPECT_EQ(table_reference_text({"", "orders"}), "orders");
  EXPECT_EQ(table_reference_text({"", "dot.ted"}), "\"dot.ted\"");
  EXPECT_EQ(table_reference_text({"main", "t"}), "\"main\".\"t\"");
  const auto back = parse_quoted_table_name(table_reference_text({"a.b", "c\"d"}), "test");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->schema, "a.b");
  EXPECT_EQ(back->table, "c\"d");
}

}  // namespace
}  // namespace polydb
