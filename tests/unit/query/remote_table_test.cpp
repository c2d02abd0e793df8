// Failures inside the SQLite callbacks of the federated query engine (the
// polydb_remote virtual-table module of remote_table.cpp and the sum() of
// exact_sum.cpp), injected with the fault seam of core/c_callback.hpp. Each
// callback is noexcept: an exception crossing SQLite's C frames would be
// std::terminate. The failure must come out of Federation::query() or the
// reader's next() as the right polydb::Error, and the federation must answer
// the same query correctly afterwards.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <new>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/c_callback.hpp"
#include "polydb/error.hpp"
#include "polydb/query.hpp"

namespace polydb {
namespace {

constexpr int kRows = 5000;

struct Case {
  const char* name;
  CCallback kind;
  const char* sql;
  size_t skip;  // calls that pass before the fault
};

// Test names show the case, not its bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

// One scalar per query: the answers are computed by plain SQLite too.
const Case kCases[] = {
    {"connect", CCallback::sqlite_vtab_connect, "SELECT count(*) FROM db.items", 0},
    {"best_index", CCallback::sqlite_vtab_best_index,
     "SELECT count(*) FROM db.items WHERE cents > 10", 0},
    {"open", CCallback::sqlite_vtab_open, "SELECT count(*) FROM db.items", 0},
    {"filter", CCallback::sqlite_vtab_filter, "SELECT max(name) FROM db.items WHERE id < 4000",
     0},
    // Past the first remote batch (batch_rows 1000).
    {"next", CCallback::sqlite_vtab_next, "SELECT max(name) FROM db.items", 2500},
    {"column", CCallback::sqlite_vtab_column, "SELECT max(name) FROM db.items", 3000},
    {"rowid", CCallback::sqlite_vtab_rowid, "SELECT sum(rowid != 0) FROM db.log", 10},
    {"sum_step", CCallback::sqlite_function, "SELECT sum(cents) FROM db.items", 100},
    {"sum_window", CCallback::sqlite_function,
     "SELECT max(s) FROM (SELECT sum(cents) OVER (ORDER BY id ROWS 2 PRECEDING) AS s "
     "FROM db.items)",
     4000},
};

class RemoteTableCallbacks : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "polydb-vtab-cb-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    file_ = (dir_ / "db.sqlite").string();
    exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, cents INTEGER);"
         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
         std::to_string(kRows) +
         ") INSERT INTO items SELECT i, 'item ' || printf('%05d', i), (i * 37) % 1000 FROM n;"
         "CREATE TABLE log (msg TEXT, n INTEGER);"  // no primary key: xRowid hashes rows
         "INSERT INTO log SELECT name, id FROM items WHERE id <= 100;");
  }
  void TearDown() override {
    fault_injection::clear_callback_faults();
    std::filesystem::remove_all(dir_);
  }

  void exec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    const std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << msg;
  }

  // The answer of plain SQLite for `sql` with "db." removed.
  std::string expected(std::string sql) {
    for (size_t at; (at = sql.find("db.")) != std::string::npos;) sql.erase(at, 3);
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(file_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
    const auto* text = sqlite3_column_text(st, 0);
    std::string out = text ? reinterpret_cast<const char*>(text) : "NULL";
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }

  static std::string answer(Federation& fed, const std::string& sql) {
    auto r = fed.query(sql);
    std::vector<std::string> values;
    while (auto b = r->next())
      for (size_t i = 0; i < b->num_rows(); ++i) values.push_back(b->row(i).at(0).to_text());
    return values.size() == 1 ? values[0] : "rows: " + std::to_string(values.size());
  }

  std::unique_ptr<Federation> federation() {
    FederationOptions o;
    o.batch_rows = 1000;
    auto fed = std::make_unique<Federation>(o);
    fed->attach("db", "sqlite://" + file_);
    return fed;
  }

  // Arms `fault` for the case's callback, runs its query (the error may come
  // from query() or from next()), checks the Error, then runs the query again.
  void run_case(std::exception_ptr fault, ErrorCode code, const std::string& message_part) {
    const Case& c = GetParam();
    auto fed = federation();
    const std::string want = expected(c.sql);
    fault_injection::fail_next_callback(c.kind, std::move(fault), c.skip);
    try {
      const std::string got = answer(*fed, c.sql);
      ADD_FAILURE() << "the injected fault did not fail the query (answer " << got << ")";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), code) << e.what();
      EXPECT_NE(e.message().find(message_part), std::string::npos) << e.message();
    }
    EXPECT_EQ(fault_injection::clear_callback_faults(), 0u) << "the fault never fired";
    // Nothing broken: the same federation answers the same query right.
    EXPECT_EQ(answer(*fed, c.sql), want);
  }

  std::filesystem::path dir_;
  std::string file_;
};

TEST_P(RemoteTableCallbacks, APolydbErrorComesOutIntact) {
  Error injected(ErrorCode::io, "injected read failure", "test", "the disk said no");
  injected.set_native_code("EIO");
  run_case(std::make_exception_ptr(injected), ErrorCode::io, "injected read failure");
}

TEST_P(RemoteTableCallbacks, OutOfMemoryBecomesAnInternalError) {
  run_case(std::make_exception_ptr(std::bad_alloc()), ErrorCode::internal, "out of memory");
}

TEST_P(RemoteTableCallbacks, AStdExceptionBecomesAnInternalErrorWithItsText) {
  // What std::stoul throws for a table id that is no number.
  run_case(std::make_exception_ptr(std::invalid_argument("stoul")), ErrorCode::internal, "stoul");
}

TEST_P(RemoteTableCallbacks, ACancelledErrorEndsTheQueryAsInterrupted) {
  run_case(std::make_exception_ptr(Error(ErrorCode::cancelled, "interrupted while reading")),
           ErrorCode::cancelled, "query interrupted");
}

INSTANTIATE_TEST_SUITE_P(EveryCallback, RemoteTableCallbacks, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.name);
                         });

TEST(RemoteTableCallbacksDetail, TheInjectedErrorKeepsItsFields) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "polydb-vtab-cb-XXXXXX").string();
  const std::filesystem::path dir = mkdtemp(tmpl.data());
  const std::string file = (dir / "db.sqlite").string();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  Federation fed;
  fed.attach("db", "sqlite://" + file);
  Error injected(ErrorCode::throttled, "slow down", "dynamodb", "the service said so");
  injected.set_native_code("HTTP 400 ThrottlingException");
  fault_injection::fail_next_callback(CCallback::sqlite_vtab_filter,
                                      std::make_exception_ptr(injected));
  try {
    auto r = fed.query("SELECT id FROM db.t");
    while (r->next()) {
    }
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::throttled);
    EXPECT_EQ(e.backend(), "dynamodb");
    EXPECT_EQ(e.detail(), "the service said so");
    EXPECT_EQ(e.native_code(), "HTTP 400 ThrottlingException");
  }
  fault_injection::clear_callback_faults();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace polydb
