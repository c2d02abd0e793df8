#include "connectors/common/pushdown.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "polydb/error.hpp"

namespace polydb {
namespace {

// A leaf renderer that pushes comparisons on "a" only, with ? placeholders.
LeafToSql only_a(std::vector<Value>& params) {
  return [&params](const Filter& leaf) -> std::optional<std::string> {
    for (const auto& v : leaf.values) params.push_back(v);
    if (leaf.column != "a") return std::nullopt;
    return leaf.column + " " + std::string(to_sql(leaf.op)) + " ?";
  };
}

TEST(Pushdown, SplitsConjunctsAndRollsBackParameters) {
  std::vector<Value> params;
  const FilterPushdown p =
      push_conjuncts(parse_filter("a = 1 AND b = 2 AND (a > 3 OR b < 4) AND a < 5"),
                     only_a(params), &params);
  EXPECT_EQ(p.sql, (std::vector<std::string>{"a = ?", "a < ?"}));
  EXPECT_EQ(params, (std::vector<Value>{int64_t{1}, int64_t{5}})) << "failed parts leave none";
  ASSERT_TRUE(p.residual.has_value());
  EXPECT_EQ(p.residual->to_string(), "(b = 2 AND (a > 3 OR b < 4))");
}

TEST(Pushdown, TreeShapesRender) {
  std::vector<Value> params;
  EXPECT_EQ(filter_to_sql(parse_filter("NOT (a = 1 OR a = 2)"), only_a(params)),
            "(NOT (a = ? OR a = ?))");
  EXPECT_EQ(filter_to_sql(Filter::all_of({}), only_a(params)), "(1=1)");
  EXPECT_EQ(filter_to_sql(Filter::any_of({}), only_a(params)), "(1=0)");
  EXPECT_FALSE(filter_to_sql(parse_filter("a = 1 OR b = 1"), only_a(params)).has_value());
}

TEST(Pushdown, RangeSplitCoversInt64WithoutOverflow) {
  constexpr int64_t lo = std::numeric_limits<int64_t>::min();
  constexpr int64_t hi = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(range_split(lo, hi, 0, 4), lo);
  int64_t prev = lo;
  for (uint32_t k = 1; k < 4; ++k) {
    const int64_t b = range_split(lo, hi, k, 4);
    EXPECT_GT(b, prev);
    prev = b;
  }
  EXPECT_EQ(range_split(1, 1000, 0, 3), 1);
  EXPECT_EQ(range_split(1, 1000, 1, 3), 334);
  EXPECT_EQ(range_split(5, 5, 2, 3), 5) << "one key: every split at that key";
}

TEST(Pushdown, ProjectionKeepsKeyColumnsAndChecksResidual) {
  Schema s;
  s.fields = {{"id", TypeId::int64, false, ""}, {"b", TypeId::string, true, ""},
              {"c", TypeId::int64, true, ""}};
  s.primary_key = {"id"};
  const std::vector<std::string> cols{"c", "id"};
  const Schema p = project(s, cols);
  ASSERT_EQ(p.fields.size(), 2u);
  EXPECT_EQ(p.fields[0].name, "c");
  EXPECT_EQ(p.primary_key, std::vector<std::string>{"id"});
  EXPECT_THROW(check_residual_columns(parse_filter("b = 'x'"), p), Error);
  EXPECT_NO_THROW(check_residual_columns(parse_filter("c = 1"), p));
  EXPECT_THROW(check_partition({3, 3}), Error);
  EXPECT_THROW(project(s, std::vector<std::string>{"nope"}), Error);
}

}  // namespace
}  // namespace polydb
