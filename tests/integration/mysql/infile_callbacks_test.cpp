// The local-infile callbacks that serve a writer's rows to LOAD DATA LOCAL
// INFILE (connection.cpp), failing on purpose through the fault seam of
// core/c_callback.hpp: the failure comes out of write() as the right
// polydb::Error once libmariadb has returned, nothing crosses its C frames,
// the failed write leaves no rows, and the connection stays usable.
// These tests need the server's local_infile on: they share the RESOURCE_LOCK
// of the tests that turn it off (tests/CMakeLists.txt).

#include <new>
#include <ostream>
#include <stdexcept>

#include "core/c_callback.hpp"
#include "fixture.hpp"

namespace polydb::mytest {
namespace {

std::shared_ptr<Schema> kv_schema() {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""}, {"v", TypeId::string, true, ""}};
  s->primary_key = {"id"};
  return s;
}

Batch kv(int64_t from, int64_t to) {
  Batch b(kv_schema());
  for (int64_t i = from; i <= to; ++i)
    b.append_row(std::vector<Value>{i, "value " + std::to_string(i)});
  return b;
}

struct Fault {
  const char* name;
  CCallback kind;
  size_t skip;
};

// Test names show the case, not its bytes.
void PrintTo(const Fault& c, std::ostream* os) { *os << c.name; }

class MysqlInfileCallbacks : public MysqlTest, public ::testing::WithParamInterface<Fault> {
 protected:
  void TearDown() override {
    fault_injection::clear_callback_faults();
    MysqlTest::TearDown();
  }

  void expect_fault(std::exception_ptr fault, ErrorCode code, const std::string& message_part) {
    write(*conn_, "t", kv(1, 10), WriteMode::create);
    {
      auto w = conn_->writer("t", *kv_schema(), {WriteMode::append, {}});
      fault_injection::fail_next_callback(GetParam().kind, std::move(fault), GetParam().skip);
      // 50,000 rows: several reads of libmariadb's buffer.
      const Error e = error_of([&] { w->write(kv(11, 50'000)); });
      EXPECT_EQ(e.code(), code) << e.what();
      EXPECT_NE(e.message().find(message_part), std::string::npos) << e.what();
      EXPECT_EQ(fault_injection::clear_callback_faults(), 0u) << "the fault never fired";
    }  // the writer aborts
    EXPECT_EQ(conn_->count_rows("t"), 10u) << "rows of the failed load survived";
    // The connection still loads.
    write(*conn_, "t", kv(11, 20), WriteMode::append);
    EXPECT_EQ(conn_->count_rows("t"), 20u);
  }
};

TEST_P(MysqlInfileCallbacks, APolydbErrorComesOutIntact) {
  expect_fault(std::make_exception_ptr(Error(ErrorCode::io, "injected read failure", "test")),
               ErrorCode::io, "injected read failure");
}

TEST_P(MysqlInfileCallbacks, OutOfMemoryBecomesAnInternalError) {
  expect_fault(std::make_exception_ptr(std::bad_alloc()), ErrorCode::internal, "out of memory");
}

TEST_P(MysqlInfileCallbacks, AStdExceptionBecomesAnInternalErrorWithItsText) {
  expect_fault(std::make_exception_ptr(std::length_error("injected length_error")),
               ErrorCode::internal, "injected length_error");
}

INSTANTIATE_TEST_SUITE_P(EveryInfileCallback, MysqlInfileCallbacks,
                         ::testing::Values(Fault{"init", CCallback::mysql_infile_init, 0},
                                           Fault{"first_read", CCallback::mysql_infile_read, 0},
                                           Fault{"later_read", CCallback::mysql_infile_read, 3}),
                         [](const ::testing::TestParamInfo<Fault>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace polydb::mytest
