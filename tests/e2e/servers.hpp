#pragma once

// What the e2e tests share about the real servers of scripts/services.sh:
// their URLs (a missing one fails the test, never skips it), a database or
// schema of a test's own, and query results as text.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"

namespace polydb::e2e {

/// The URL in environment variable `var` (POLYDB_TEST_POSTGRES_URL, ...).
inline std::string server_url(const char* var) {
  const char* url = std::getenv(var);
  if (url && *url) return url;
  ADD_FAILURE() << var
                << " is not set: run `make test`, or start the servers with `scripts/services.sh "
                   "start` and export what `scripts/services.sh env` prints";
  return "postgresql://polydb-test-url-not-set@127.0.0.1:1/none";
}

/// The DynamoDB emulator's URL, with the dummy credentials it accepts set in
/// the environment (inherited by the polydb processes a test starts).
inline std::string dynamodb_url() {
  setenv("AWS_ACCESS_KEY_ID", "polydbtest", 0);
  setenv("AWS_SECRET_ACCESS_KEY", "polydbtest", 0);
  return server_url("POLYDB_TEST_DYNAMODB_URL");
}

/// The Cosmos DB emulator's URL, with the emulator's well-known key set in
/// the environment (inherited by the polydb processes a test starts).
inline std::string cosmos_url() {
  setenv("COSMOS_KEY",
         "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==",
         0);
  const char* url = std::getenv("POLYDB_TEST_COSMOS_URL");
  if (url && *url) return url;
  ADD_FAILURE() << "POLYDB_TEST_COSMOS_URL is not set: use `make test`, or start the emulator "
                   "with `scripts/services.sh start cosmos` and export its URL with eval "
                   "\"$(scripts/services.sh env | sed 's/^/export /')\"";
  return "cosmos://127.0.0.1:1/polydb?endpoint=https://127.0.0.1:1";
}

/// The Firestore emulator's URL for a project of its own, `project`: no other
/// test sees its data.
inline std::string firestore_url(const std::string& project) {
  Uri uri = Uri::parse(server_url("POLYDB_TEST_FIRESTORE_URL"));
  uri.host = project;
  return uri.to_string_with_secrets();
}

/// `stem` made unique to this test process.
inline std::string unique_name(const std::string& stem) {
  return stem + "_" + std::to_string(getpid());
}

/// The rows of a query as "a|b|c" lines (NULL for NULL).
inline std::string query_rows(Connection& conn, const std::string& sql) {
  auto reader = conn.query(sql);
  std::string out;
  while (auto batch = reader->next()) {
    for (size_t r = 0; r < batch->num_rows(); ++r) {
      for (size_t c = 0; c < batch->num_columns(); ++c) {
        if (c) out += '|';
        const Value v = batch->column(c).value_at(r);
        out += v.is_null() ? "NULL" : v.to_text();
      }
      out += '\n';
    }
  }
  return out;
}

inline std::string query_rows(const std::string& url, const std::string& sql) {
  return query_rows(*connect(url), sql);
}

/// A MariaDB database of the test's own (utf8mb4), dropped at the end.
class MysqlDatabase {
 public:
  explicit MysqlDatabase(const std::string& stem) {
    server_ = server_url("POLYDB_TEST_MYSQL_URL");
    name_ = "e2e_" + unique_name(stem);
    auto admin = connect(server_);
    admin->execute("DROP DATABASE IF EXISTS `" + name_ + "`");
    admin->execute("CREATE DATABASE `" + name_ + "` CHARACTER SET utf8mb4");
    Uri u = Uri::parse(server_);
    u.path = "/" + name_;
    url_ = u.to_string_with_secrets();
  }
  ~MysqlDatabase() {
    try {
      connect(server_)->execute("DROP DATABASE IF EXISTS `" + name_ + "`");
    } catch (const Error& e) {
      ADD_FAILURE() << "cannot drop database " << name_ << ": " << e.message();
    }
  }
  MysqlDatabase(const MysqlDatabase&) = delete;
  MysqlDatabase& operator=(const MysqlDatabase&) = delete;
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

 private:
  std::string server_, name_, url_;
};

/// A PostgreSQL schema of the test's own, dropped (CASCADE) at the end.
class PgSchema {
 public:
  explicit PgSchema(const std::string& stem) {
    url_ = server_url("POLYDB_TEST_POSTGRES_URL");
    name_ = "e2e_" + unique_name(stem);
    auto admin = connect(url_);
    admin->execute("DROP SCHEMA IF EXISTS \"" + name_ + "\" CASCADE");
    admin->execute("CREATE SCHEMA \"" + name_ + "\"");
  }
  ~PgSchema() {
    try {
      connect(url_)->execute("DROP SCHEMA IF EXISTS \"" + name_ + "\" CASCADE");
    } catch (const Error& e) {
      ADD_FAILURE() << "cannot drop schema " << name_ << ": " << e.message();
    }
  }
  PgSchema(const PgSchema&) = delete;
  PgSchema& operator=(const PgSchema&) = delete;
  const std::string& url() const { return url_; }  ///< the server's database
  const std::string& name() const { return name_; }
  std::string table(const std::string& t) const { return name_ + "." + t; }

 private:
  std::string url_, name_;
};

}  // namespace polydb::e2e
