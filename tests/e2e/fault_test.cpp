// Fault injection: `polydb copy` out of and into PostgreSQL, MariaDB and the
// DynamoDB emulator, and `polydb query` over them, through a TCP proxy that
// adds latency, resets the connection, cuts it mid-message or stalls it
// (tests/fault_proxy.hpp). Every case must end, within a bound, either with the
// exact result or with a one-line error and a target that does not look
// complete; a stall ends with a timeout error naming the option, and SIGTERM
// ends a stalled copy within a second.
//
// Needs the servers of scripts/services.sh (POLYDB_TEST_POSTGRES_URL,
// POLYDB_TEST_MYSQL_URL, POLYDB_TEST_DYNAMODB_URL): without them the tests
// fail, they never skip.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fault_proxy.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"
#include "polydb/value.hpp"
#include "process.hpp"

namespace {

namespace fs = std::filesystem;
using polydb::e2e::Process;
using polydb::e2e::RunResult;
using polydb::test::Fault;
using polydb::test::FaultProxy;
using Clock = std::chrono::steady_clock;

constexpr int kRows = 4000;          // ~1.6 MB of text: several batches and pages
constexpr int kTextBytes = 400;
constexpr uint64_t kFaultAt = 300'000;  // bytes into the stream: mid-data
constexpr int kIdleSeconds = 2;      // read-timeout for the stall cases

std::string server_url(const char* var) {
  const char* url = std::getenv(var);
  if (url && *url) return url;
  ADD_FAILURE() << var
                << " is not set: run `make test`, or start the servers with `scripts/services.sh "
                   "start` and export what `scripts/services.sh env` prints";
  return {};
}

std::string unique_name(const std::string& stem) {
  static int counter = 0;
  return "flt_" + stem + "_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

enum class Backend { postgres, mysql, dynamodb };

const char* name_of(Backend b) {
  switch (b) {
    case Backend::postgres: return "postgres";
    case Backend::mysql: return "mysql";
    case Backend::dynamodb: return "dynamodb";
  }
  return "?";
}

const char* env_of(Backend b) {
  switch (b) {
    case Backend::postgres: return "POLYDB_TEST_POSTGRES_URL";
    case Backend::mysql: return "POLYDB_TEST_MYSQL_URL";
    case Backend::dynamodb: return "POLYDB_TEST_DYNAMODB_URL";
  }
  return "";
}

// Where the backend listens: the URL's host:port, or the DynamoDB endpoint's.
std::pair<std::string, uint16_t> address_of(Backend b, const polydb::Uri& uri) {
  if (b != Backend::dynamodb) return {uri.host, uri.port.value_or(0)};
  const polydb::Uri endpoint = polydb::Uri::parse(uri.option("endpoint").value_or(""));
  return {endpoint.host, endpoint.port.value_or(80)};
}

// The same URL pointed at the proxy, with extra options.
std::string through(Backend b, polydb::Uri uri, uint16_t port, const std::string& read_timeout) {
  if (b == Backend::dynamodb) {
    uri.set_option("endpoint", "http://127.0.0.1:" + std::to_string(port));
  } else {
    uri.host = "127.0.0.1";
    uri.port = port;
  }
  if (!read_timeout.empty()) uri.set_option("read-timeout", read_timeout);
  return uri.to_string_with_secrets();
}

struct Summary {
  int64_t rows = -1;
  int64_t id_sum = -1;
  int64_t text_bytes = -1;
  bool operator==(const Summary&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Summary& s) {
  return os << s.rows << " rows, sum(id) " << s.id_sum << ", " << s.text_bytes << " text bytes";
}

// Rows, sum of ids and text bytes of `table`, read with the library itself
// (scan: works on every backend); nullopt when the table does not exist.
std::optional<Summary> summarize(const std::string& url, const std::string& table) {
  auto conn = polydb::connect(url);
  try {
    (void)conn->describe(table);
  } catch (const polydb::Error& e) {
    if (e.code() == polydb::ErrorCode::not_found) return std::nullopt;
    throw;
  }
  Summary s{0, 0, 0};
  auto reader = conn->scan({.table = table, .columns = {"id", "v"}});
  while (auto batch = reader->next()) {
    for (size_t r = 0; r < batch->num_rows(); ++r) {
      ++s.rows;
      const polydb::Value id = batch->column(0).value_at(r);
      // DynamoDB numbers may come back as decimals.
      s.id_sum += id.type_id() == polydb::TypeId::int64 ? id.as<int64_t>()
                                                        : std::stoll(id.to_text());
      const polydb::Value v = batch->column(1).value_at(r);
      if (!v.is_null()) s.text_bytes += static_cast<int64_t>(v.as<std::string>().size());
    }
  }
  return s;
}

struct Case {
  Backend backend;
  Fault::Kind kind;
  bool reading;  // copy out of the backend (else into it)
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return std::string(name_of(info.param.backend)) + "_" + polydb::test::to_string(info.param.kind) +
         (info.param.reading ? "_read" : "_write");
}

class FaultTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    // The DynamoDB emulator takes any keys; polydb (and its children) need some.
    setenv("AWS_ACCESS_KEY_ID", "polydbtest", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "polydbtest", 1);
    // Times measured here are polydb's, not the sanitizer's leak scan at
    // exit (about a second in this build); leaks are checked by every other test.
    const char* asan = std::getenv("ASAN_OPTIONS");
    asan_options_ = asan ? std::optional<std::string>(asan) : std::nullopt;
    setenv("ASAN_OPTIONS",
           (asan_options_ ? *asan_options_ + ":" : std::string()).append("detect_leaks=0").c_str(),
           1);
    dir_ = polydb::e2e::make_temp_dir("polydb-fault-");
    local_ = "sqlite://" + (dir_ / "local.db").string();
    // The local source: kRows rows of kTextBytes characters each.
    auto c = polydb::connect(local_, {.create_if_missing = true});
    c->execute("CREATE TABLE src (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    c->execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO src SELECT i, printf('%0" + std::to_string(kTextBytes) + "d', i) FROM n",
        std::vector<polydb::Value>{int64_t{kRows}});
    expected_ = *summarize(local_, "src");
    ASSERT_EQ(expected_.rows, kRows);
  }

  void TearDown() override {
    if (asan_options_)
      setenv("ASAN_OPTIONS", asan_options_->c_str(), 1);
    else
      unsetenv("ASAN_OPTIONS");
    if (!server_.empty())
      for (const auto& t : server_tables_) {
        try {
          polydb::connect(server_)->drop_table(t, true);
        } catch (const polydb::Error& e) {
          ADD_FAILURE() << "cannot drop " << t << ": " << e.message();
        }
      }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  RunResult polydb(const std::vector<std::string>& args, std::chrono::seconds limit) {
    return Process(args, dir_).wait(limit);
  }

  // A table of the source rows on the backend, written without the proxy.
  std::string server_copy_of_source() {
    const std::string t = unique_name("src");
    server_tables_.push_back(t);
    const RunResult r =
        polydb({"copy", "-q", local_, "src", server_, t, "--mode", "create"}, std::chrono::seconds(120));
    EXPECT_EQ(r.status, 0) << r;
    return t;
  }

  fs::path dir_;
  std::string local_;
  std::string server_;
  std::vector<std::string> server_tables_;
  Summary expected_;
  std::optional<std::string> asan_options_;
};

TEST_P(FaultTest, CopyEndsWithTheExactResultOrAClearErrorAndNoHalfWrittenTarget) {
  const Case c = GetParam();
  server_ = server_url(env_of(c.backend));
  ASSERT_FALSE(server_.empty());
  const polydb::Uri uri = polydb::Uri::parse(server_);
  const auto [host, port] = address_of(c.backend, uri);

  const std::string source_table = c.reading ? server_copy_of_source() : "src";
  const std::string target_table = unique_name("dst");
  if (!c.reading) server_tables_.push_back(target_table);

  Fault fault{.kind = c.kind,
              .direction = c.reading ? Fault::Direction::to_client : Fault::Direction::to_server,
              .at_byte = kFaultAt,
              .delay = std::chrono::milliseconds(1)};
  FaultProxy proxy(host, port, fault);
  const std::string proxied =
      through(c.backend, uri, proxy.port(), c.kind == Fault::Kind::stall ? std::to_string(kIdleSeconds) : "");
  const std::string local_target = "sqlite://" + (dir_ / "out.db").string();
  const std::string src = c.reading ? proxied : local_;
  const std::string dst = c.reading ? local_target : proxied;

  const auto started = Clock::now();
  const RunResult r = polydb({"copy", "-q", src, source_table, dst, target_table, "--mode", "create"},
                             std::chrono::seconds(90));
  const auto ended = Clock::now();
  (void)started;
  ASSERT_FALSE(r.timed_out) << "the copy hung: " << r;
  ASSERT_EQ(r.signal, 0) << "the copy crashed: " << r;
  if (c.kind != Fault::Kind::latency && c.kind != Fault::Kind::none) {
    EXPECT_TRUE(proxy.fired()) << "the fault never fired: the stream is shorter than " << kFaultAt
                               << " bytes";
  }

  const std::string target_url = c.reading ? local_target : server_;
  if (r.status == 0) {
    // A correct result, every row and byte.
    EXPECT_EQ(summarize(target_url, target_table), expected_) << r;
    EXPECT_NE(c.kind, Fault::Kind::stall) << "a stalled copy cannot succeed: " << r;
    return;
  }
  EXPECT_NE(c.kind, Fault::Kind::latency) << "latency alone must not fail a copy: " << r;
  EXPECT_EQ(r.status, 1) << r;
  // One error line, no internal error.
  EXPECT_EQ(r.err.rfind("polydb: error: ", 0), 0u) << r;
  EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r;
  if (c.kind == Fault::Kind::stall) {
    EXPECT_NE(r.err.find("timeout"), std::string::npos) << r;
    EXPECT_NE(r.err.find("read-timeout"), std::string::npos) << r;
    const double seconds = std::chrono::duration<double>(ended - proxy.fired_at()).count();
    EXPECT_LT(seconds, kIdleSeconds + 2.0) << "the stall was not detected in time: " << r;
  }
  // The target does not look complete: no table, or (DynamoDB, which has no
  // transactions) an error that says how many rows stay there.
  const auto written = fs::exists(dir_ / "out.db") || !c.reading
                           ? summarize(target_url, target_table)
                           : std::nullopt;
  if (c.backend == Backend::dynamodb && !c.reading && written) {
    EXPECT_NE(r.err.find("stay"), std::string::npos)
        << "rows were left in a non-transactional target without a word: " << r;
  } else {
    EXPECT_FALSE(written.has_value()) << "a failed copy left table " << target_table << " with "
                                      << *written << ": " << r;
  }
}

std::vector<Case> all_cases() {
  std::vector<Case> out;
  for (Backend b : {Backend::postgres, Backend::mysql, Backend::dynamodb})
    for (Fault::Kind k :
         {Fault::Kind::latency, Fault::Kind::reset, Fault::Kind::truncate, Fault::Kind::stall})
      for (bool reading : {true, false}) out.push_back({b, k, reading});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Matrix, FaultTest, ::testing::ValuesIn(all_cases()), case_name);

// `polydb query` over a stalled or broken table: the exact count or a clear error.
class FaultQueryTest : public FaultTest {};

TEST_P(FaultQueryTest, QueryEndsWithTheExactAnswerOrAClearError) {
  const Case c = GetParam();
  server_ = server_url(env_of(c.backend));
  ASSERT_FALSE(server_.empty());
  const polydb::Uri uri = polydb::Uri::parse(server_);
  const auto [host, port] = address_of(c.backend, uri);
  const std::string table = server_copy_of_source();
  FaultProxy proxy(host, port,
                   {.kind = c.kind, .direction = Fault::Direction::to_client, .at_byte = kFaultAt,
                    .delay = std::chrono::milliseconds(1)});
  const std::string proxied =
      through(c.backend, uri, proxy.port(), c.kind == Fault::Kind::stall ? std::to_string(kIdleSeconds) : "");
  const auto started = Clock::now();
  const RunResult r =
      polydb({"--format", "csv", "query", "--attach", "s=" + proxied,
              "SELECT count(*), sum(id), sum(length(v)) FROM s." + table},
             std::chrono::seconds(90));
  const auto ended = Clock::now();
  (void)started;
  ASSERT_FALSE(r.timed_out) << "the query hung: " << r;
  ASSERT_EQ(r.signal, 0) << "the query crashed: " << r;
  if (r.status == 0) {
    const std::string want = std::to_string(expected_.rows) + "," + std::to_string(expected_.id_sum) +
                             "," + std::to_string(expected_.text_bytes);
    EXPECT_NE(r.out.find(want), std::string::npos) << "wrong answer, want " << want << ": " << r;
    EXPECT_NE(c.kind, Fault::Kind::stall) << r;
    return;
  }
  EXPECT_NE(c.kind, Fault::Kind::latency) << r;
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_EQ(r.err.rfind("polydb: error: ", 0), 0u) << r;
  if (c.kind == Fault::Kind::stall) {
    EXPECT_NE(r.err.find("timeout"), std::string::npos) << r;
    EXPECT_LT(std::chrono::duration<double>(ended - proxy.fired_at()).count(), kIdleSeconds + 2.0)
        << r;
  }
}

std::vector<Case> read_cases() {
  std::vector<Case> out;
  for (const Case& c : all_cases())
    if (c.reading) out.push_back(c);
  return out;
}

INSTANTIATE_TEST_SUITE_P(Matrix, FaultQueryTest, ::testing::ValuesIn(read_cases()), case_name);

// SIGTERM (and SIGINT) reach a copy that waits on a stalled connection: it
// ends within a second, leaving the target unchanged.
class FaultSignalTest : public FaultTest {};

TEST_P(FaultSignalTest, ASignalEndsAStalledCopyWithinASecond) {
  const Case c = GetParam();
  server_ = server_url(env_of(c.backend));
  ASSERT_FALSE(server_.empty());
  const polydb::Uri uri = polydb::Uri::parse(server_);
  const auto [host, port] = address_of(c.backend, uri);
  const std::string table = server_copy_of_source();
  const std::string target = "sqlite://" + (dir_ / "out.db").string();
  for (int signo : {SIGTERM, SIGINT}) {
    FaultProxy proxy(host, port,
                     {.kind = Fault::Kind::stall, .direction = Fault::Direction::to_client,
                      .at_byte = kFaultAt});
    // A long idle timeout: only the signal can end this copy in time.
    const std::string proxied = through(c.backend, uri, proxy.port(), "600");
    Process p({"copy", "-q", proxied, table, target, "t", "--mode", "create"}, dir_);
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (!proxy.fired() && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(proxy.fired()) << "the copy never reached the stall";
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // now blocked in a read
    const auto signalled = Clock::now();
    p.send(signo);
    const RunResult r = p.wait(std::chrono::seconds(30));
    const double seconds = std::chrono::duration<double>(Clock::now() - signalled).count();
    ASSERT_FALSE(r.timed_out) << "signal " << signo << " did not end the copy: " << r;
    EXPECT_LT(seconds, 1.0) << "signal " << signo << ": " << r;
    EXPECT_EQ(r.status, 1) << r;
    EXPECT_NE(r.err.find("interrupted"), std::string::npos) << r;
    EXPECT_FALSE(fs::exists(dir_ / "out.db") && summarize(target, "t").has_value())
        << "an interrupted copy left a table behind: " << r;
  }
}

std::vector<Case> signal_cases() {
  return {{Backend::postgres, Fault::Kind::stall, true},
          {Backend::mysql, Fault::Kind::stall, true},
          {Backend::dynamodb, Fault::Kind::stall, true}};
}

INSTANTIATE_TEST_SUITE_P(Backends, FaultSignalTest, ::testing::ValuesIn(signal_cases()), case_name);

}  // namespace
