#include "connectors/common/write_plan.hpp"

#include <gtest/gtest.h>

#include <string>

#include "polydb/error.hpp"

namespace polydb {
namespace {

ErrorCode code_of(WriteMode mode, bool exists) {
  try {
    (void)direct_target(mode, exists, "t", "store://x", "test");
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::internal;
}

TEST(WritePlan, DirectTargetFollowsTheModeAndWhetherTheTableExists) {
  const auto plan = [](WriteMode mode, bool exists) {
    const DirectTarget d = direct_target(mode, exists, "t", "store://x", "test");
    return std::string(d.create ? "create " : "") + (d.clear ? "clear " : "") +
           (d.keep_types ? "keep_types" : "");
  };
  EXPECT_EQ(plan(WriteMode::create, false), "create ");
  EXPECT_EQ(code_of(WriteMode::create, true), ErrorCode::conflict);
  EXPECT_EQ(plan(WriteMode::append, false), "create ");
  EXPECT_EQ(plan(WriteMode::append, true), "keep_types");
  EXPECT_EQ(plan(WriteMode::upsert, false), "create ");
  EXPECT_EQ(plan(WriteMode::upsert, true), "keep_types");
  EXPECT_EQ(plan(WriteMode::replace, false), "create ");
  EXPECT_EQ(plan(WriteMode::replace, true), "clear ");
}

TEST(WritePlan, AFinishedWriterSaysWhichTableAndWhy) {
  const Error done = finished_writer("write()", "orders", false, "test");
  EXPECT_EQ(done.code(), ErrorCode::invalid_argument);
  EXPECT_EQ(done.message(),
            "write() on the writer of table 'orders', which is finished (open a new one)");
  const Error failed = finished_writer("commit()", "orders", true, "test");
  EXPECT_NE(failed.message().find("rolled back after a failed write"), std::string::npos)
      << failed.message();
}

}  // namespace
}  // namespace polydb
