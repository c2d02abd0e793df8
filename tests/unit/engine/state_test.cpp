// The state store's pure logic: names, the default location, which store a
// URL names, and the URLs it refuses before touching any database.

#include "polydb/state.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "polydb/error.hpp"

namespace polydb::state {
namespace {

ErrorCode code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::internal;
}

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}

// Sets (or unsets) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      setenv(name, value->c_str(), 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(StateNames, StatusesHaveStableNames) {
  EXPECT_EQ(to_string(JobStatus::running), "running");
  EXPECT_EQ(to_string(JobStatus::done), "done");
  EXPECT_EQ(to_string(JobStatus::failed), "failed");
  EXPECT_EQ(to_string(JobStatus::cancelled), "cancelled");
  EXPECT_EQ(to_string(ChunkStatus::pending), "pending");
  EXPECT_EQ(to_string(ChunkStatus::running), "running");
  EXPECT_EQ(to_string(ChunkStatus::done), "done");
  EXPECT_EQ(to_string(ChunkStatus::failed), "failed");
}

TEST(StateProgress, TotalCountsEveryStatus) {
  Progress p;
  p.pending = 1;
  p.running = 2;
  p.done = 3;
  p.failed = 4;
  EXPECT_EQ(p.total(), 10u);
}

TEST(DefaultStateUrl, PolydbStateComesFirst) {
  ScopedEnv state("POLYDB_STATE", "postgresql://db/jobs");
  ScopedEnv xdg("XDG_STATE_HOME", "/var/xdg");
  EXPECT_EQ(default_state_url(), "postgresql://db/jobs");
}

TEST(DefaultStateUrl, ThenXdgStateHome) {
  ScopedEnv state("POLYDB_STATE", std::nullopt);
  ScopedEnv xdg("XDG_STATE_HOME", "/var/xdg");
  EXPECT_EQ(default_state_url(), "/var/xdg/polydb/state.db");
}

TEST(DefaultStateUrl, ThenTheHomeDirectory) {
  ScopedEnv state("POLYDB_STATE", "");
  ScopedEnv xdg("XDG_STATE_HOME", "relative/is/ignored");
  ScopedEnv home("HOME", "/home/ann");
  EXPECT_EQ(default_state_url(), "/home/ann/.local/state/polydb/state.db");
}

TEST(DefaultStateUrl, WithoutAHomeItSaysWhatToSet) {
  ScopedEnv state("POLYDB_STATE", std::nullopt);
  ScopedEnv xdg("XDG_STATE_HOME", std::nullopt);
  ScopedEnv home("HOME", std::nullopt);
  EXPECT_EQ(code_of([] { default_state_url(); }), ErrorCode::not_found);
  EXPECT_NE(message_of([] { default_state_url(); }).find("POLYDB_STATE"), std::string::npos);
}

TEST(OpenStateStore, RefusesOtherSchemes) {
  EXPECT_EQ(code_of([] { open_state_store(""); }), ErrorCode::invalid_argument);
  const std::string m = message_of([] { open_state_store("mysql://u:secret@h/db"); });
  EXPECT_NE(m.find("'mysql'"), std::string::npos) << m;
  EXPECT_EQ(m.find("secret"), std::string::npos) << m;
  EXPECT_EQ(code_of([] { open_state_store("dynamodb://us-east-1"); }), ErrorCode::invalid_argument);
}

TEST(OpenStateStore, RefusesSqliteUrlsWithoutAFileOrWithOptions) {
  EXPECT_EQ(code_of([] { open_state_store("sqlite::memory:"); }), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of([] { open_state_store("sqlite:///tmp/x.db?mode=ro"); }),
            ErrorCode::invalid_argument);
}

TEST(OpenStateStore, AMissingFileIsNotFoundUnlessCreating) {
  const std::string path = "/tmp/polydb-state-missing-" + std::to_string(getpid()) + "/s.db";
  EXPECT_EQ(code_of([&] { open_state_store(path, {.create_if_missing = false}); }),
            ErrorCode::not_found);
  EXPECT_EQ(code_of([&] { open_state_store("sqlite://" + path, {.create_if_missing = false}); }),
            ErrorCode::not_found);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(OpenStateStore, RefusesABadPostgresqlSchemaBeforeConnecting) {
  // No server listens on port 1: the schema is checked first.
  EXPECT_EQ(code_of([] { open_state_store("postgresql://u:pw@127.0.0.1:1/db?schema="); }),
            ErrorCode::invalid_argument);
  const std::string long_name(64, 's');
  const std::string m =
      message_of([&] { open_state_store("postgresql://u:pw@127.0.0.1:1/db?schema=" + long_name); });
  EXPECT_NE(m.find("63"), std::string::npos) << m;
  EXPECT_EQ(m.find(":pw@"), std::string::npos) << m;
}

}  // namespace
}  // namespace polydb::state
