#pragma once

// Shared set-up of the MySQL / MariaDB integration tests: the server from
// scripts/services.sh (POLYDB_TEST_MYSQL_URL), a database of its own per test
// (dropped afterwards), and the `mariadb` client for interop.

#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"
#include "test_tools.hpp"

namespace polydb::mytest {

/// The test server's URL; fails the test (never skips) when it is not set.
inline std::string server_url() {
  const char* url = std::getenv("POLYDB_TEST_MYSQL_URL");
  if (!url || !*url) {
    ADD_FAILURE() << "POLYDB_TEST_MYSQL_URL is not set: use `make test`, or start the server "
                     "with `scripts/services.sh start mariadb` and export its URL with "
                     "eval \"$(scripts/services.sh env | sed 's/^/export /')\"";
    return "mysql://polydb-test-url-not-set@127.0.0.1:1/none";
  }
  return url;
}

/// The Error `fn` throws (or an `internal` one saying it threw nothing).
inline Error error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  return Error(ErrorCode::internal, "no error was thrown");
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

class MysqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = server_url();
    db_ = "it_" + std::to_string(getpid()) + "_" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : db_)
      c = std::isalnum(static_cast<unsigned char>(c))
              ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
              : '_';
    db_ = db_.substr(0, 64);
    auto admin = connect(server_);
    admin->execute("DROP DATABASE IF EXISTS `" + db_ + "`");
    admin->execute("CREATE DATABASE `" + db_ + "` CHARACTER SET utf8mb4");
    url_ = url_for(db_);
    conn_ = connect(url_);
  }
  void TearDown() override {
    conn_.reset();  // a test may have left it busy or broken
    try {
      connect(server_)->execute("DROP DATABASE IF EXISTS `" + db_ + "`");
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
    }
  }

  /// The server's URL with another database (and extra options).
  std::string url_for(const std::string& db, const std::string& options = "") const {
    Uri u = Uri::parse(server_);
    u.path = "/" + db;
    std::string url = u.to_string_with_secrets();
    return options.empty() ? url : url + "?" + options;
  }

  /// Runs SQL through the `mariadb` client (the password in MYSQL_PWD, as
  /// users do) in the test's database; returns its batch output: tab-separated
  /// rows without headers.
  std::string client(const std::string& sql) const {
    const Uri u = Uri::parse(server_);
    char tmpl[] = "/tmp/polydb-mariadb-XXXXXX";
    const int fd = mkstemp(tmpl);
    EXPECT_GE(fd, 0);
    close(fd);
    std::ofstream(tmpl) << sql;
    setenv("MYSQL_PWD", u.password.reveal().c_str(), 1);
    const std::string cmd = std::string(test_tools::kMariadb) + " --no-defaults --default-character-set=utf8mb4 -B -N -h" +
                            u.host + " -P" + std::to_string(u.port.value_or(3306)) + " -u" +
                            u.user + " -D" + db_ + " < " + tmpl + " 2>&1";
    std::string out;
    if (FILE* p = popen(cmd.c_str(), "r")) {
      char buf[4096];
      size_t n;
      while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
      EXPECT_EQ(pclose(p), 0) << "mariadb failed: " << out;
    } else {
      ADD_FAILURE() << "cannot run the mariadb client";
    }
    unsetenv("MYSQL_PWD");
    unlink(tmpl);
    return out;
  }

  /// Writes `batch` into `table` with `mode` and commits; returns the rows.
  uint64_t write(Connection& c, const std::string& table, const Batch& batch,
                 WriteMode mode = WriteMode::append, std::vector<std::string> key = {}) {
    auto w = c.writer(table, batch.schema(), {mode, std::move(key)});
    w->write(batch);
    return w->commit().rows;
  }

  std::vector<std::vector<Value>> scan_all(Connection& c, const std::string& table,
                                           std::vector<OrderBy> order = {{"id"}}) {
    auto r = c.scan({.table = table, .order_by = std::move(order)});
    return collect_rows(*r);
  }

  std::string server_;
  std::string db_;
  std::string url_;
  std::unique_ptr<Connection> conn_;
};

}  // namespace polydb::mytest
