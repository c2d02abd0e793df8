// SQLite errors carry SQLite's extended result code as Error::native_code()
// (errors.cpp), on real database files.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <string>

#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb {
namespace {

class SqliteErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "polydb-sqlite-err-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    conn_ = connect("sqlite://" + (dir_ / "t.db").string() + "?mode=rwc");
  }
  void TearDown() override {
    conn_.reset();
    std::filesystem::remove_all(dir_);
  }
  static Error error_of(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return e;
    }
    return Error(ErrorCode::internal, "no error was thrown");
  }
  std::filesystem::path dir_;
  std::unique_ptr<Connection> conn_;
};

TEST_F(SqliteErrors, ConstraintsCarryTheirExtendedCodes) {
  conn_->execute("CREATE TABLE t (id INTEGER PRIMARY KEY, u TEXT UNIQUE, n TEXT NOT NULL)");
  conn_->execute("INSERT INTO t VALUES (1, 'a', 'x')");
  const Error pk = error_of([&] { conn_->execute("INSERT INTO t VALUES (1, 'b', 'x')"); });
  EXPECT_EQ(pk.code(), ErrorCode::conflict) << pk.what();
  EXPECT_EQ(pk.native_code(), std::to_string(SQLITE_CONSTRAINT_PRIMARYKEY)) << pk.what();
  const Error unique = error_of([&] { conn_->execute("INSERT INTO t VALUES (2, 'a', 'x')"); });
  EXPECT_EQ(unique.native_code(), std::to_string(SQLITE_CONSTRAINT_UNIQUE)) << unique.what();
  const Error not_null = error_of([&] { conn_->execute("INSERT INTO t VALUES (3, 'c', NULL)"); });
  EXPECT_EQ(not_null.native_code(), std::to_string(SQLITE_CONSTRAINT_NOTNULL)) << not_null.what();
  EXPECT_EQ(not_null.backend(), "sqlite");
}

TEST_F(SqliteErrors, AMissingTableIsSqliteError) {
  const Error e = error_of([&] { conn_->execute("SELECT * FROM nothing_here"); });
  EXPECT_EQ(e.code(), ErrorCode::not_found) << e.what();
  EXPECT_EQ(e.native_code(), std::to_string(SQLITE_ERROR)) << e.what();
}

TEST_F(SqliteErrors, AMissingFileIsPolydbsOwnCheckWithoutANativeCode) {
  // polydb looks for the file before SQLite opens it: no SQLite code to report.
  const Error e = error_of([&] { connect("sqlite://" + (dir_ / "no" / "such.db").string()); });
  EXPECT_EQ(e.code(), ErrorCode::not_found) << e.what();
  EXPECT_EQ(e.native_code(), "") << e.what();
}

}  // namespace
}  // namespace polydb
