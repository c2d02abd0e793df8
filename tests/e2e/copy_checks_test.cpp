// `polydb copy` and engine::copy() refuse the same requests with the same
// words (issue #15): the engine makes every check of the options and the
// source, and the CLI prints the engine's message followed by its flags for
// the remedy (src/cli/error_text.cpp), with exit status 2. Each case runs the
// library call and the command it corresponds to. The check of a
// destination that cannot replace atomically, which needs a DynamoDB
// emulator, is EngineCopy.ReplaceIntoDynamoDbNeedsNonAtomic
// (chunked_copy_test.cpp).

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/engine.hpp"
#include "polydb/error.hpp"
#include "process.hpp"

namespace {

namespace fs = std::filesystem;
using polydb::e2e::Process;
using polydb::e2e::RunResult;

struct Refusal {
  std::string name;
  std::vector<std::string> flags;  // after `copy SRC t DST`
  std::function<void(polydb::engine::CopyOptions&)> options;
  polydb::ErrorCode code;
  polydb::Hint hint;
  std::string cli_words;  // what the CLI adds: the flags of the remedy
};

class CopyChecks : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = polydb::e2e::make_temp_dir("polydb-copy-checks");
    src_ = "sqlite://" + (dir_ / "src.db").string();
    dst_ = "sqlite://" + (dir_ / "dst.db").string();
    polydb::ConnectOptions create;
    create.create_if_missing = true;
    auto conn = polydb::connect(src_, create);
    conn->execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    conn->execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The library's refusal of `r`, then the command's: the same message, the
  // CLI's flags after it, exit status 2, and no destination file created.
  void expect_same_refusal(const Refusal& r, const std::string& src) {
    SCOPED_TRACE(r.name);
    polydb::engine::CopyOptions o;
    o.table = "t";
    r.options(o);
    std::string message;
    try {
      polydb::engine::copy(src, dst_, o);
      ADD_FAILURE() << "the library copied";
    } catch (const polydb::Error& e) {
      EXPECT_EQ(e.code(), r.code) << e.what();
      EXPECT_EQ(e.hint(), r.hint) << e.what();
      EXPECT_EQ(e.message().find("--"), std::string::npos) << "library words: " << e.what();
      message = e.message();
    }
    std::vector<std::string> args = {"copy", src, "t", dst_};
    args.insert(args.end(), r.flags.begin(), r.flags.end());
    const RunResult cli = Process(args, dir_).wait();
    EXPECT_EQ(cli.status, 2) << cli;
    EXPECT_EQ(cli.err, "polydb: error: " + message + "; " + r.cli_words + "\n") << cli;
    EXPECT_FALSE(fs::exists(dir_ / "dst.db")) << "the destination was touched";
  }

  fs::path dir_;
  std::string src_, dst_;
};

TEST_F(CopyChecks, OptionsThatContradictEachOther) {
  using polydb::ErrorCode;
  using polydb::Hint;
  const std::string state = "sqlite://" + (dir_ / "state.db").string();
  const std::vector<Refusal> refusals = {
      {"limit with parallel",
       {"--parallel", "2", "--limit", "5"},
       [](auto& o) { o.parallel = 2, o.limit = 5; },
       ErrorCode::invalid_argument,
       Hint::drop_limit_or_parallel,
       "drop --limit or --parallel"},
      {"limit with chunks",
       {"--chunked", "--limit", "5"},
       [](auto& o) { o.chunked = true, o.limit = 5; },
       ErrorCode::invalid_argument,
       Hint::drop_limit_or_chunks,
       "drop --limit or --chunked"},
      {"replace in chunks",
       {"--chunked", "--mode", "replace"},
       [](auto& o) { o.chunked = true, o.mode = polydb::WriteMode::replace; },
       ErrorCode::invalid_argument,
       Hint::create_or_unchunked,
       "drop the table and use --mode create, or drop --chunked"},
      {"resume without chunks",
       {"--resume"},
       [](auto& o) { o.resume = true; },
       ErrorCode::invalid_argument,
       Hint::chunked_copy,
       "add --chunked, or drop --resume, --job, --state and --chunk-by"},
      {"job without chunks",
       {"--job", "j1"},
       [](auto& o) { o.job = "j1"; },
       ErrorCode::invalid_argument,
       Hint::chunked_copy,
       "add --chunked, or drop --resume, --job, --state and --chunk-by"},
      {"state store without chunks",
       {"--state", state},
       [&](auto& o) { o.state = state; },
       ErrorCode::invalid_argument,
       Hint::chunked_copy,
       "add --chunked, or drop --resume, --job, --state and --chunk-by"},
      {"chunk column without chunks",
       {"--chunk-by", "id"},
       [](auto& o) { o.chunk_by = "id"; },
       ErrorCode::invalid_argument,
       Hint::chunked_copy,
       "add --chunked, or drop --resume, --job, --state and --chunk-by"},
  };
  for (const auto& r : refusals) expect_same_refusal(r, src_);
  EXPECT_FALSE(fs::exists(dir_ / "state.db"));
}

// An in-memory SQLite database shares no snapshot between connections:
// parallel readers of one transaction would not read one table.
TEST_F(CopyChecks, ParallelReadersNeedASourceThatSharesASnapshot) {
  const Refusal r{"parallel from a source without shared snapshots",
                  {"--parallel", "2"},
                  [](auto& o) { o.parallel = 2; },
                  polydb::ErrorCode::unsupported,
                  polydb::Hint::one_reader_or_chunks,
                  "drop --parallel, or add --chunked"};
  expect_same_refusal(r, "sqlite::memory:");
}

}  // namespace
