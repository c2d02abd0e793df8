#include "polydb/filter.hpp"

#include <gtest/gtest.h>

#include <random>

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

TEST(Filter, CaseInsensitiveColumnsCompareAsTheirEngineOrRefuse) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"n", TypeId::int64, true, ""},
               {"ci", TypeId::string, true, "varchar(10)"},
               {"nc", TypeId::string, true, "TEXT"},
               {"cit", TypeId::string, true, "citext"}};
  s->fields[1].collation = Collation::case_insensitive_pad_space;
  s->fields[1].collation_name = "utf8mb4_general_ci";
  s->fields[2].collation = Collation::nocase;
  s->fields[3].collation = Collation::case_insensitive;
  s->fields[3].collation_name = "citext";
  Batch b(s);
  b.append_row(std::vector<Value>{int64_t{1}, "abc", "abc", "abc"});
  b.append_row(std::vector<Value>{int64_t{2}, "ABC  ", "ABC", "ABC "});
  b.append_row(std::vector<Value>{int64_t{3}, "a_c", "\xc3\xa9", "a_c"});
  b.append_row(std::vector<Value>{int64_t{4}, "abd", "\xc3\x89", "abd"});
  const auto kept = [&](std::string_view where) { return ns(apply_filter(parse_filter(where), b)); };
  using V = std::vector<Value>;
  EXPECT_EQ(kept("ci = 'Abc'"), (V{int64_t{1}, int64_t{2}}));
  EXPECT_EQ(kept("ci IN ('ABD', 'x')"), (V{int64_t{4}}));
  EXPECT_EQ(kept("ci > 'ABC'"), (V{int64_t{3}, int64_t{4}}));  // '_' after 'B': upper-case weights
  EXPECT_EQ(kept("cit = 'Abc'"), (V{int64_t{1}})) << "citext does not pad";
  // NOCASE is SQLite's ASCII-only rule, exact for every byte: 'é' <> 'É'.
  EXPECT_EQ(kept("nc = 'aBc'"), (V{int64_t{1}, int64_t{2}}));
  EXPECT_EQ(kept("nc = '\xc3\xa9'"), (V{int64_t{3}}));
  // Beyond printable ASCII only the engine knows: refused, never guessed.
  try {
    apply_filter(parse_filter("ci = '\xc3\x84" "bc'"), b);
    FAIL() << "compared 'Äbc' under utf8mb4_general_ci";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_NE(e.message().find("utf8mb4_general_ci"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("column 'ci'"), std::string::npos) << e.message();
  }
  EXPECT_THROW(apply_filter(parse_filter("cit = 'tab\there'"), b), Error);
}

TEST(Collations, KeysAndComparisonsAgree) {
  EXPECT_EQ(collation_key("Ab c  ", Collation::binary), "Ab c  ");
  EXPECT_EQ(collation_key("Ab c  ", Collation::pad_space), "Ab c");
  EXPECT_EQ(collation_key("Ab c  ", Collation::nocase), "ab c  ");
  EXPECT_EQ(collation_key("Ab c  ", Collation::case_insensitive), "AB C  ");
  EXPECT_EQ(collation_key("Ab c  ", Collation::case_insensitive_pad_space), "AB C");
  EXPECT_EQ(collation_key("\xc3\xa9", Collation::nocase), "\xc3\xa9");
  EXPECT_EQ(collation_key("\xc3\xa9", Collation::case_insensitive), std::nullopt);
  EXPECT_EQ(collation_key("a\x01", Collation::case_insensitive), std::nullopt);
  // compare_text is the comparison of the keys, for every collation (a
  // fixed-seed sweep over short strings of an alphabet with the edge bytes).
  const std::string alphabet = std::string("aAzZ_ @~\x7f\t") + "\xc3\xa9";
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string x, y;
    for (size_t n = rng() % 5; n > 0; --n) x += alphabet[rng() % alphabet.size()];
    for (size_t n = rng() % 5; n > 0; --n) y += alphabet[rng() % alphabet.size()];
    for (Collation c : {Collation::binary, Collation::pad_space, Collation::nocase,
                        Collation::case_insensitive, Collation::case_insensitive_pad_space}) {
      const auto kx = collation_key(x, c), ky = collation_key(y, c);
      const auto got = compare_text(x, y, c);
      if (!kx || !ky) {
        EXPECT_EQ(got, std::nullopt) << to_string(c);
        continue;
      }
      ASSERT_TRUE(got.has_value()) << to_string(c);
      const int want = kx->compare(*ky);
      EXPECT_EQ(*got, want < 0 ? -1 : (want > 0 ? 1 : 0)) << to_string(c) << " '" << x << "' '" << y << "'";
    }
  }
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
