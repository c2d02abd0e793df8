// `-p @NAME=VALUE`: named query parameters (Cosmos SQL's @name).

#include <gtest/gtest.h>

#include "cli/commands.hpp"

namespace polydb::cli {
namespace {

TEST(NamedParam, NameAndTypedValue) {
  auto p = parse_named_param("@status=paid");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->first, "@status");
  EXPECT_EQ(p->second, Value("paid"));
  p = parse_named_param("@n_1=42");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->second, Value(int64_t{42}));
  p = parse_named_param("@d=date:2024-01-31");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->second, Value(Date{19753}));
  p = parse_named_param("@x=");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->second, Value(""));
}

TEST(NamedParam, OtherTextIsPositional) {
  EXPECT_FALSE(parse_named_param("42"));
  EXPECT_FALSE(parse_named_param("@=1"));
  EXPECT_FALSE(parse_named_param("@a b=1"));
  EXPECT_FALSE(parse_named_param("user@example.com"));
  EXPECT_FALSE(parse_named_param("text:@x=1"));
  EXPECT_EQ(parse_param("text:@x=1"), Value("@x=1"));
}

}  // namespace
}  // namespace polydb::cli
