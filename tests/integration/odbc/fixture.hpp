#pragma once

// Shared set-up of the ODBC integration tests: the PostgreSQL and MariaDB
// servers from scripts/services.sh (POLYDB_TEST_POSTGRES_URL,
// POLYDB_TEST_MYSQL_URL) reached through their ODBC drivers (psqlODBC,
// MariaDB Connector/ODBC) with odbc://user:pw@host:port/db?driver=NAME URLs.
// Each test names its own tables (with the process id) and drops them.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"

namespace polydb::odbctest {

struct Driver {
  std::string name;     ///< test parameter name
  std::string env;      ///< the variable with the server's native URL
  std::string driver;   ///< the ODBC driver's name
  std::string dbms;     ///< what ping() reports first
};

inline const std::vector<Driver>& drivers() {
  static const std::vector<Driver> d = {
      {"postgres", "POLYDB_TEST_POSTGRES_URL", "PostgreSQL Unicode", "PostgreSQL"},
      {"mariadb", "POLYDB_TEST_MYSQL_URL", "MariaDB Unicode", "MariaDB"}};
  return d;
}

/// The native URL of `d`'s server. Throws (failing the test, never skipping
/// it) when its variable is not set.
inline Uri native_uri(const Driver& d) {
  const char* url = std::getenv(d.env.c_str());
  if (!url || !*url)
    throw std::runtime_error(
        d.env + " is not set: use `make test`, or start the server with `scripts/services.sh "
                "start` and export its URL with eval \"$(scripts/services.sh env | sed "
                "'s/^/export /')\"");
  return Uri::parse(url);
}

/// The same server through its ODBC driver.
inline std::string odbc_url(const Driver& d, std::string_view password_override = {}) {
  Uri u = native_uri(d);
  u.scheme = "odbc";
  if (!password_override.empty()) u.password = Secret(std::string(password_override));
  u.query = {{"driver", d.driver}};
  return u.to_string_with_secrets();
}

inline ErrorCode code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::internal;
}

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

class OdbcTest : public ::testing::TestWithParam<Driver> {
 protected:
  void SetUp() override {
    url_ = odbc_url(GetParam());
    conn_ = connect(url_);
    prefix_ = "odbc_it_" + std::to_string(getpid()) + "_";
  }
  void TearDown() override {
    if (!conn_) return;
    conn_.reset();  // a failed test may have left a reader open
    auto c = connect(url_);
    for (const auto& t : tables_) c->drop_table(t, true);
  }
  /// A table name of this test, dropped afterwards.
  std::string table(const std::string& name) {
    tables_.push_back(prefix_ + name);
    return tables_.back();
  }
  bool is_postgres() const { return GetParam().name == "postgres"; }

  std::string url_;
  std::unique_ptr<Connection> conn_;
  std::string prefix_;
  std::vector<std::string> tables_;
};

}  // namespace polydb::odbctest
