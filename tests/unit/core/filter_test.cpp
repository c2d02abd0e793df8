#include "polydb/filter.hpp"

#include <gtest/gtest.h>

#include "polydb/error.hpp"

namespace polydb {
namespace {

Batch numbers() {
  auto s = std::make_shared<Schema>();
  s->fields = {{"n", TypeId::int64, true, ""}, {"price", TypeId::decimal, true, ""},
               {"tag", TypeId::string, true, ""}};
  Batch b(s);
  b.append_row(std::vector<Value>{int64_t{1}, Decimal{"10.50"}, "a"});
  b.append_row(std::vector<Value>{int64_t{2}, Decimal{"9.99"}, Value()});
  b.append_row(std::vector<Value>{Value(), Decimal{"100"}, "c"});
  b.append_row(std::vector<Value>{int64_t{4}, Value(), "a"});
  return b;
}

std::vector<Value> ns(const Batch& b) {
  std::vector<Value> out;
  for (size_t i = 0; i < b.num_rows(); ++i) out.push_back(b.column(0).value_at(i));
  return out;
}

TEST(Filter, ParsesAndEvaluatesWithThreeValuedLogic) {
  const Batch b = numbers();
  EXPECT_EQ(ns(apply_filter(parse_filter("n >= 2"), b)), (std::vector<Value>{int64_t{2}, int64_t{4}}));
  // NULL n is unknown for both n = 1 and NOT (n = 1): never returned.
  EXPECT_EQ(apply_filter(parse_filter("NOT (n = 1)"), b).num_rows(), 2u);
  EXPECT_EQ(apply_filter(parse_filter("n IS NULL"), b).num_rows(), 1u);
  EXPECT_EQ(ns(apply_filter(parse_filter("tag IN ('a', 'c') AND n < 4"), b)),
            (std::vector<Value>{int64_t{1}}));
  EXPECT_EQ(apply_filter(parse_filter("tag = 'a' OR n = 2"), b).num_rows(), 3u);
}

TEST(Filter, DecimalsCompareExactly) {
  const Batch b = numbers();
  EXPECT_EQ(ns(apply_filter(parse_filter("price > 10"), b)),
            (std::vector<Value>{int64_t{1}, Value()}));
  EXPECT_EQ(ns(apply_filter(parse_filter("price = 10.5"), b)), (std::vector<Value>{int64_t{1}}));
}

// char(n) compares ignoring trailing blanks (PostgreSQL bpchar, MySQL PAD
// SPACE, SQLite RTRIM): a padded value equals the unpadded literal and the
// other way round; a binary column keeps the blanks significant.
TEST(Filter, PadSpaceColumnsIgnoreTrailingBlanks) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"n", TypeId::int64, true, ""}, {"padded", TypeId::string, true, "character(10)"},
               {"plain", TypeId::string, true, "text"}};
  s->fields[1].collation = Collation::pad_space;
  Batch b(s);
  b.append_row(std::vector<Value>{int64_t{1}, "MAIL      ", "MAIL      "});
  b.append_row(std::vector<Value>{int64_t{2}, "SHIP", "SHIP"});
  b.append_row(std::vector<Value>{int64_t{3}, "MAIL\t    ", "MAIL\t"});
  b.append_row(std::vector<Value>{int64_t{4}, " MAIL     ", " MAIL"});
  b.append_row(std::vector<Value>{int64_t{5}, "          ", ""});
  const auto kept = [&](std::string_view where) { return ns(apply_filter(parse_filter(where), b)); };
  using V = std::vector<Value>;
  EXPECT_EQ(kept("padded = 'MAIL'"), (V{int64_t{1}}));
  EXPECT_EQ(kept("padded = 'MAIL  '"), (V{int64_t{1}}));
  EXPECT_EQ(kept("padded IN ('MAIL', 'SHIP   ')"), (V{int64_t{1}, int64_t{2}}));
  EXPECT_EQ(kept("padded <> 'MAIL'"), (V{int64_t{2}, int64_t{3}, int64_t{4}, int64_t{5}}));
  EXPECT_EQ(kept("padded = ''"), (V{int64_t{5}}));
  EXPECT_EQ(kept("padded <= 'MAIL'"), (V{int64_t{1}, int64_t{4}, int64_t{5}}));
  EXPECT_EQ(kept("padded > 'MAIL '"), (V{int64_t{2}, int64_t{3}}));
  // Leading blanks and other white space stay significant.
  EXPECT_EQ(kept("padded = ' MAIL'"), (V{int64_t{4}}));
  // Binary: the blanks are part of the value.
  EXPECT_EQ(kept("plain = 'MAIL'"), V{});
  EXPECT_EQ(kept("plain = 'MAIL      '"), (V{int64_t{1}}));
  EXPECT_EQ(kept("plain IN ('SHIP ', '')"), (V{int64_t{5}}));
}

TEST(Filter, ErrorsSayWhatIsWrong) {
  EXPECT_THROW(parse_filter("n >"), Error);
  EXPECT_THROW(parse_filter("n = 'open"), Error);
  EXPECT_THROW(parse_filter("(n = 1"), Error);
  try {
    apply_filter(parse_filter("missing = 1"), numbers());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
    EXPECT_NE(e.message().find("missing"), std::string::npos);
  }
}

// Found with fuzz/filter_fuzz: 4000 nested parentheses (an 8 KB --where)
// overflowed the stack of the recursive parser before the fix.
TEST(Filter, DeepNestingIsAnErrorNotAStackOverflow) {
  const std::string deep = std::string(4000, '(') + "a = 1" + std::string(4000, ')');
  try {
    parse_filter(deep);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(e.message().find("more than 100 nested"), std::string::npos);
  }
  std::string nots;
  for (int i = 0; i < 20000; ++i) nots += "NOT ";
  EXPECT_THROW(parse_filter(nots + "a = 1"), Error);
  const std::string ok = std::string(100, '(') + "a = 1" + std::string(100, ')');
  EXPECT_EQ(parse_filter(ok).to_string(), "a = 1");
}

TEST(Filter, ToStringIsReadable) {
  EXPECT_EQ(parse_filter("a = 'it''s' and b in (1, 2.5)").to_string(),
            "(a = 'it''s' AND b IN (1, 2.5))");
  EXPECT_EQ(parse_filter("x is not null").to_string(), "x IS NOT NULL");
}

}  // namespace
}  // namespace polydb
