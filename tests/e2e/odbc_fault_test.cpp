// A stalled server behind the ODBC connector: `polydb copy` and `polydb sql`
// over odbc:// URLs to PostgreSQL (psqlODBC) and MariaDB (MariaDB
// Connector/ODBC), through the fault proxy of tests/fault_proxy.hpp that stops
// forwarding mid-result but keeps the TCP connection open. The stall must end
// with a timeout error naming `read-timeout` within read-timeout + 2 s, and
// SIGTERM or SIGINT must end it within a second; a failed copy leaves no
// target table.
//
// Needs the servers of scripts/services.sh (POLYDB_TEST_POSTGRES_URL,
// POLYDB_TEST_MYSQL_URL) and the ODBC drivers scripts/install-deps.sh
// installs: without them the tests fail, they never skip.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fault_proxy.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"
#include "process.hpp"

namespace {

namespace fs = std::filesystem;
using polydb::e2e::Process;
using polydb::e2e::RunResult;
using polydb::test::Fault;
using polydb::test::FaultProxy;
using Clock = std::chrono::steady_clock;

constexpr int kRows = 4000;  // ~1.6 MB of text: far more than the stall offset
constexpr int kTextBytes = 400;
constexpr uint64_t kStallAt = 300'000;  // bytes of the result before the stall
constexpr int kIdleSeconds = 2;         // read-timeout of the timeout cases

struct Driver {
  const char* name;    // test parameter name
  const char* env;     // the variable with the server's native URL
  const char* driver;  // the ODBC driver's name (as odbcinst.ini registers it)
};

std::string driver_name(const ::testing::TestParamInfo<Driver>& info) { return info.param.name; }
void PrintTo(const Driver& d, std::ostream* os) { *os << d.driver; }

class OdbcFaultTest : public ::testing::TestWithParam<Driver> {
 protected:
  void SetUp() override {
    const char* url = std::getenv(GetParam().env);
    ASSERT_TRUE(url && *url) << GetParam().env
                             << " is not set: run `make test`, or start the servers with "
                                "`scripts/services.sh start` and export what "
                                "`scripts/services.sh env` prints";
    native_ = url;
    // Times measured here are polydb's, not the sanitizer's leak scan at exit.
    const char* asan = std::getenv("ASAN_OPTIONS");
    asan_options_ = asan ? std::optional<std::string>(asan) : std::nullopt;
    setenv("ASAN_OPTIONS",
           (asan_options_ ? *asan_options_ + ":" : std::string()).append("detect_leaks=0").c_str(),
           1);
    dir_ = polydb::e2e::make_temp_dir("polydb-odbc-fault-");
    // kRows rows of kTextBytes characters, copied to the server natively.
    const std::string local = "sqlite://" + (dir_ / "local.db").string();
    auto c = polydb::connect(local, {.create_if_missing = true});
    c->execute("CREATE TABLE src (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    c->execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO src SELECT i, printf('%0" +
            std::to_string(kTextBytes) + "d', i) FROM n",
        std::vector<polydb::Value>{int64_t{kRows}});
    table_ = "odbc_flt_" + std::string(GetParam().name) + "_" + std::to_string(getpid());
    polydb::connect(native_)->drop_table(table_, true);
    const RunResult r = polydb({"copy", "-q", local, "src", native_, table_, "--mode", "create"},
                               std::chrono::seconds(120));
    ASSERT_EQ(r.status, 0) << r;
    target_ = "sqlite://" + (dir_ / "out.db").string();
  }

  void TearDown() override {
    if (asan_options_)
      setenv("ASAN_OPTIONS", asan_options_->c_str(), 1);
    else
      unsetenv("ASAN_OPTIONS");
    if (!native_.empty()) {
      try {
        polydb::connect(native_)->drop_table(table_, true);
      } catch (const polydb::Error& e) {
        ADD_FAILURE() << "cannot drop " << table_ << ": " << e.message();
      }
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  RunResult polydb(const std::vector<std::string>& args, std::chrono::seconds limit) {
    return Process(args, dir_).wait(limit);
  }

  // The server through its ODBC driver, reached at the proxy's port.
  std::string odbc_url(uint16_t proxy_port, const std::string& read_timeout) const {
    polydb::Uri u = polydb::Uri::parse(native_);
    u.scheme = "odbc";
    u.host = "127.0.0.1";
    u.port = proxy_port;
    u.query = {{"driver", GetParam().driver}, {"read-timeout", read_timeout}};
    return u.to_string_with_secrets();
  }

  // A proxy in front of the server that stalls the result kStallAt bytes in.
  std::unique_ptr<FaultProxy> stalling_proxy() const {
    const polydb::Uri u = polydb::Uri::parse(native_);
    return std::make_unique<FaultProxy>(u.host, u.port.value_or(0),
                                        Fault{.kind = Fault::Kind::stall,
                                              .direction = Fault::Direction::to_client,
                                              .at_byte = kStallAt});
  }

  bool target_has_table() const {
    return fs::exists(dir_ / "out.db") && !polydb::connect(target_)->list_tables().empty();
  }

  std::string native_, table_, target_;
  fs::path dir_;
  std::optional<std::string> asan_options_;
};

// One line "polydb: error: ... timeout ... read-timeout ...", soon after the stall.
void expect_idle_timeout(const RunResult& r, const FaultProxy& proxy, Clock::time_point ended) {
  ASSERT_FALSE(r.timed_out) << "it hung: " << r;
  ASSERT_EQ(r.signal, 0) << "it crashed: " << r;
  ASSERT_TRUE(proxy.fired()) << "the stall never fired: the result is shorter than " << kStallAt
                             << " bytes: " << r;
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_EQ(r.err.rfind("polydb: error: ", 0), 0u) << r;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r;
  EXPECT_NE(r.err.find("timeout"), std::string::npos) << r;
  EXPECT_NE(r.err.find("read-timeout"), std::string::npos) << r;
  EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r;
  const double seconds = std::chrono::duration<double>(ended - proxy.fired_at()).count();
  EXPECT_LT(seconds, kIdleSeconds + 2.0) << "the stall was not detected in time: " << r;
  std::cerr << "[ measured ] ended " << seconds
            << " s after the stall (read-timeout=" << kIdleSeconds << ")\n";
}

TEST_P(OdbcFaultTest, AStalledCopyEndsWithATimeoutNamingTheOption) {
  const auto proxy = stalling_proxy();
  const RunResult r = polydb({"copy", "-q", odbc_url(proxy->port(), std::to_string(kIdleSeconds)),
                              table_, target_, "t", "--mode", "create"},
                             std::chrono::seconds(60));
  expect_idle_timeout(r, *proxy, Clock::now());
  EXPECT_FALSE(target_has_table()) << "a failed copy left a table behind: " << r;
}

TEST_P(OdbcFaultTest, AStalledQueryEndsWithATimeoutNamingTheOption) {
  const auto proxy = stalling_proxy();
  const RunResult r =
      polydb({"--format", "csv", "sql", odbc_url(proxy->port(), std::to_string(kIdleSeconds)),
              "SELECT id, v FROM " + table_},
             std::chrono::seconds(60));
  expect_idle_timeout(r, *proxy, Clock::now());
}

// With a long idle timeout only the signal can end the copy in time.
TEST_P(OdbcFaultTest, ASignalEndsAStalledCopyWithinASecond) {
  for (int signo : {SIGTERM, SIGINT}) {
    const auto proxy = stalling_proxy();
    Process p(
        {"copy", "-q", odbc_url(proxy->port(), "600"), table_, target_, "t", "--mode", "create"},
        dir_);
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (!proxy->fired() && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(proxy->fired()) << "the copy never reached the stall";
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // now blocked in a read
    const auto signalled = Clock::now();
    p.send(signo);
    const RunResult r = p.wait(std::chrono::seconds(30));
    const double seconds = std::chrono::duration<double>(Clock::now() - signalled).count();
    ASSERT_FALSE(r.timed_out) << "signal " << signo << " did not end the copy: " << r;
    EXPECT_LT(seconds, 1.0) << "signal " << signo << ": " << r;
    EXPECT_EQ(r.status, 1) << r;
    EXPECT_NE(r.err.find("interrupted"), std::string::npos) << r;
    EXPECT_FALSE(target_has_table()) << "an interrupted copy left a table behind: " << r;
    std::cerr << "[ measured ] signal " << signo << " ended the copy in " << seconds << " s\n";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Drivers, OdbcFaultTest,
    ::testing::Values(Driver{"postgres", "POLYDB_TEST_POSTGRES_URL", "PostgreSQL Unicode"},
                      Driver{"mariadb", "POLYDB_TEST_MYSQL_URL", "MariaDB Unicode"}),
    driver_name);

}  // namespace
