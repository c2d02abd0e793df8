#pragma once

// Shared set-up of the PostgreSQL integration tests: the server from
// scripts/services.sh (POLYDB_TEST_POSTGRES_URL), a schema of its own per
// test (dropped with everything in it afterwards), and psql for interop.

#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"
#include "test_tools.hpp"

namespace polydb::pgtest {

/// The test server's URL. Throws (failing the test, never skipping it) when
/// POLYDB_TEST_POSTGRES_URL is not set.
inline std::string server_url() {
  const char* url = std::getenv("POLYDB_TEST_POSTGRES_URL");
  if (!url || !*url)
    throw std::runtime_error(
        "POLYDB_TEST_POSTGRES_URL is not set: use `make test`, or start the server with "
        "`scripts/services.sh start postgres` and export its URL with "
        "eval \"$(scripts/services.sh env | sed 's/^/export /')\"");
  return url;
}

/// The code of the Error `fn` throws (internal when it throws none), and its
/// message into `message` when given.
inline ErrorCode code_of(const std::function<void()>& fn, std::string* message = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (message) *message = e.message();
    return e.code();
  }
  return ErrorCode::internal;
}

/// Every row of a reader, and the number of batches it came in.
inline std::vector<std::vector<Value>> collect_rows(BatchReader& r, size_t* batches = nullptr) {
  std::vector<std::vector<Value>> rows;
  size_t n = 0;
  while (auto b = r.next()) {
    ++n;
    for (size_t i = 0; i < b->num_rows(); ++i) rows.push_back(b->row(i));
  }
  if (batches) *batches = n;
  return rows;
}

class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = server_url();
    conn_ = connect(url_);
    schema_ = "it_" + std::to_string(getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : schema_)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    for (auto& c : schema_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    schema_ = schema_.substr(0, 60);
    conn_->execute("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    conn_->execute("CREATE SCHEMA " + schema_);
  }
  void TearDown() override {
    if (conn_) {
      conn_.reset();  // a test may have left it busy or broken
      connect(url_)->execute("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    }
  }

  /// `schema_.name`
  std::string t(const std::string& name) const { return schema_ + "." + name; }

  /// Runs SQL through psql (the password travels in PGPASSWORD, as users do)
  /// and returns its unaligned, tuples-only output.
  std::string psql(const std::string& sql) const {
    Uri uri = Uri::parse(url_);
    const std::string password = uri.password.reveal();
    uri.password = Secret();
    char tmpl[] = "/tmp/polydb-psql-XXXXXX";
    const int fd = mkstemp(tmpl);
    EXPECT_GE(fd, 0);
    close(fd);
    std::ofstream(tmpl) << sql;
    setenv("PGPASSWORD", password.c_str(), 1);
    const std::string cmd = std::string(test_tools::kPsql) + " -X -q -A -t -v ON_ERROR_STOP=1 '" + uri.to_string_with_secrets() +
                            "' -f " + tmpl + " 2>&1";
    std::string out;
    if (FILE* p = popen(cmd.c_str(), "r")) {
      char buf[4096];
      size_t n;
      while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
      EXPECT_EQ(pclose(p), 0) << "psql failed: " << out;
    } else {
      ADD_FAILURE() << "cannot run psql";
    }
    unsetenv("PGPASSWORD");
    unlink(tmpl);
    return out;
  }

  std::string url_;
  std::unique_ptr<Connection> conn_;
  std::string schema_;
};

}  // namespace polydb::pgtest
