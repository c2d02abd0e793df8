#pragma once

// Shared set-up of the state store tests: each test gets a store of its own,
// a SQLite file in a new temporary directory or a PostgreSQL schema named
// after the process and the test (?schema=), removed afterwards.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/state.hpp"
#include "polydb/uri.hpp"

namespace polydb::state::test {

/// The PostgreSQL test server's URL. Throws (failing the test, never skipping
/// it) when POLYDB_TEST_POSTGRES_URL is not set.
inline std::string postgres_server_url() {
  const char* url = std::getenv("POLYDB_TEST_POSTGRES_URL");
  if (!url || !*url)
    throw std::runtime_error(
        "POLYDB_TEST_POSTGRES_URL is not set: use `make test`, or start the server with "
        "`scripts/services.sh start postgres` and export its URL with "
        "eval \"$(scripts/services.sh env | sed 's/^/export /')\"");
  return url;
}

inline ErrorCode code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::internal;
}

/// A store of its own for one test: GetParam() is "sqlite" or "postgresql".
class StateStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : name)
      c = std::isalnum(static_cast<unsigned char>(c))
              ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
              : '_';
    if (sqlite()) {
      char tmpl[] = "/tmp/polydb-state-XXXXXX";
      ASSERT_NE(mkdtemp(tmpl), nullptr);
      dir_ = tmpl;
      path_ = dir_ + "/state.db";
      url_ = path_;
    } else {
      schema_ = ("st_" + std::to_string(getpid()) + "_" + name).substr(0, 60);
      Uri uri = Uri::parse(postgres_server_url());
      uri.set_option("schema", schema_);
      url_ = uri.to_string_with_secrets();
      drop_schema();
    }
  }

  void TearDown() override {
    if (sqlite()) {
      std::error_code ec;
      if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
    } else {
      drop_schema();
    }
  }

  bool sqlite() const { return GetParam() == "sqlite"; }

  std::unique_ptr<StateStore> open(const OpenStateOptions& options = {}) const {
    return open_state_store(url_, options);
  }

  /// A plain connection to the database that holds the store (for SQL that
  /// the store's API does not offer, e.g. to fake a newer schema).
  std::unique_ptr<Connection> raw() const {
    return sqlite() ? connect("sqlite://" + path_) : connect(postgres_server_url());
  }
  /// `name` qualified as the store's table.
  std::string table(const std::string& name) const {
    return sqlite() ? name : "\"" + schema_ + "\"." + name;
  }

  void drop_schema() const {
    connect(postgres_server_url())->execute("DROP SCHEMA IF EXISTS \"" + schema_ + "\" CASCADE");
  }

  std::string url_;
  std::string dir_, path_;  // SQLite
  std::string schema_;      // PostgreSQL
};

/// "sqlite" / "postgresql" as the test name's suffix.
inline std::string backend_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

}  // namespace polydb::state::test
