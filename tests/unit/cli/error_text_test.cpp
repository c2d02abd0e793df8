// The CLI's words for a library error (src/cli/error_text.cpp): the
// library's message, then the flag or command that does what its Hint names.

#include "cli/error_text.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace polydb::cli {
namespace {

// Every Hint after none, in declaration order (to_string() is "" past the
// last): a hint added to the library without CLI words fails here.
std::vector<Hint> every_hint() {
  std::vector<Hint> out;
  for (int i = 1; !to_string(static_cast<Hint>(i)).empty(); ++i)
    out.push_back(static_cast<Hint>(i));
  return out;
}

TEST(ErrorText, EveryHintNamesAFlagOrACommand) {
  std::set<std::string> keys;
  const std::vector<Hint> hints = every_hint();
  EXPECT_GE(hints.size(), 15u);
  for (const Hint h : hints) {
    const std::string words(flag_hint(h));
    EXPECT_TRUE(words.find("--") != std::string::npos || words.find("-p ") != std::string::npos ||
                words.find("`polydb ") != std::string::npos)
        << to_string(h) << ": " << words;
    EXPECT_TRUE(keys.insert(std::string(to_string(h))).second) << to_string(h);
  }
  EXPECT_EQ(flag_hint(Hint::none), "");
  EXPECT_EQ(to_string(Hint::none), "");
}

TEST(ErrorText, TheFlagFollowsTheLibrarysWords) {
  Error e(ErrorCode::conflict,
          "table 't' already exists in sqlite:a.db (write in append, replace or upsert mode)",
          "sqlite");
  EXPECT_EQ(error_text(e), e.message());
  e.set_hint(Hint::write_mode);
  EXPECT_EQ(error_text(e),
            "table 't' already exists in sqlite:a.db (write in append, replace or upsert "
            "mode); use --mode append, replace or upsert");
  // The hint travels with the copies and rewordings the CLI and engine make.
  EXPECT_EQ(e.with_message("copying t: " + e.message()).hint(), Hint::write_mode);
}

TEST(ErrorText, TheFlagsOfEachRemedy) {
  EXPECT_EQ(flag_hint(Hint::upsert_mode), "use --mode upsert");
  EXPECT_EQ(flag_hint(Hint::replace_mode), "use --mode replace");
  EXPECT_EQ(flag_hint(Hint::key_columns), "pass --key COL[,COL]");
  EXPECT_EQ(flag_hint(Hint::non_atomic), "add --non-atomic");
  EXPECT_EQ(flag_hint(Hint::list_tables), "`polydb ls CONN` lists them");
  EXPECT_EQ(flag_hint(Hint::max_remote_calls), "raise --max-remote-calls");
  EXPECT_NE(flag_hint(Hint::bind_params).find("-p VALUE"), std::string::npos);
  EXPECT_NE(flag_hint(Hint::typed_param).find("-p text:VALUE"), std::string::npos);
  EXPECT_NE(flag_hint(Hint::attach).find("--attach NAME=CONN"), std::string::npos);
  EXPECT_EQ(flag_hint(Hint::drop_limit_or_parallel), "drop --limit or --parallel");
  EXPECT_EQ(flag_hint(Hint::drop_limit_or_chunks), "drop --limit or --chunked");
  EXPECT_EQ(flag_hint(Hint::one_reader_or_chunks), "drop --parallel, or add --chunked");
  EXPECT_NE(flag_hint(Hint::chunked_copy).find("add --chunked"), std::string::npos);
  EXPECT_NE(flag_hint(Hint::create_or_unchunked).find("--mode create"), std::string::npos);
}

// Options that contradict each other or the backends are usage errors (exit
// status 2) whoever checks them; the state of the data (a table that exists,
// a missing key) is not.
TEST(ErrorText, CopyOptionHintsAreUsageErrors) {
  for (const Hint h : {Hint::non_atomic, Hint::drop_limit_or_parallel, Hint::drop_limit_or_chunks,
                       Hint::create_or_unchunked, Hint::chunked_copy, Hint::one_reader_or_chunks})
    EXPECT_TRUE(usage_hint(h)) << to_string(h);
  for (const Hint h : {Hint::none, Hint::write_mode, Hint::upsert_mode, Hint::replace_mode,
                       Hint::key_columns, Hint::list_tables, Hint::describe_table,
                       Hint::bind_params, Hint::max_remote_calls})
    EXPECT_FALSE(usage_hint(h)) << to_string(h);
}

}  // namespace
}  // namespace polydb::cli
