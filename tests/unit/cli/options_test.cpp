// Numeric option values of the command line (cli/options.hpp).

#include "cli/options.hpp"

#include <gtest/gtest.h>

#include "polydb/error.hpp"

namespace polydb::cli {
namespace {

std::string message_of(std::string_view text, uint64_t min, uint64_t max) {
  try {
    parse_count(text, min, max);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    return e.message();
  }
  return "accepted";
}

TEST(ParseCount, AcceptsWholeNumbersInRange) {
  EXPECT_EQ(parse_count("1", 1, 10), 1u);
  EXPECT_EQ(parse_count("10", 1, 10), 10u);
  EXPECT_EQ(parse_count("0", 0, 10), 0u);
  EXPECT_EQ(parse_count("007", 1, 10), 7u);
  EXPECT_EQ(parse_count("9223372036854775807", 0, kMaxCount), kMaxCount);
  EXPECT_EQ(parse_count("1000000", 1, kMaxBatchRows), kMaxBatchRows);
}

TEST(ParseCount, RefusesEverythingElseNamingTheRange) {
  EXPECT_EQ(message_of("-5", 1, 1'000'000), "'-5' is not a whole number from 1 to 1,000,000");
  for (const char* bad : {"", "0", "11", "-0", "+3", " 3", "3 ", "1.5", "1e3", "0x10", "abc",
                          "99999999999999999999", "18446744073709551616"})
    EXPECT_NE(message_of(bad, 1, 10).find("from 1 to 10"), std::string::npos) << bad;
  EXPECT_NE(message_of("4294967296", 1, 64).find("'4294967296'"), std::string::npos);
  // A huge value is cut in the message.
  EXPECT_LT(message_of(std::string(500, '9'), 1, 10).size(), 120u);
}

TEST(GroupDigits, ThousandsSeparators) {
  EXPECT_EQ(group_digits(0), "0");
  EXPECT_EQ(group_digits(999), "999");
  EXPECT_EQ(group_digits(1000), "1,000");
  EXPECT_EQ(group_digits(1'000'000), "1,000,000");
  EXPECT_EQ(group_digits(kMaxCount), "9,223,372,036,854,775,807");
}

}  // namespace
}  // namespace polydb::cli
