// polydb::Error's native code, with_message, and the C-callback support of
// core/c_callback.hpp: turning any exception into the Error it stands for,
// and the test-only fault seam.

#include "polydb/error.hpp"

#include <gtest/gtest.h>

#include <new>
#include <stdexcept>
#include <thread>

#include "core/c_callback.hpp"

namespace polydb {
namespace {

TEST(Error, NativeCodeIsEmptyUntilSetAndTravelsWithCopies) {
  Error e(ErrorCode::conflict, "duplicate key", "postgresql", "SQLSTATE 23505: duplicate");
  EXPECT_EQ(e.native_code(), "");
  e.set_native_code("23505");
  const Error copy = e;  // NOLINT(performance-unnecessary-copy-initialization): the point
  EXPECT_EQ(copy.native_code(), "23505");
  Error assigned(ErrorCode::internal, "x");
  assigned = copy;
  EXPECT_EQ(assigned.native_code(), "23505");
  EXPECT_EQ(assigned.code(), ErrorCode::conflict);
  try {
    throw copy;
  } catch (const std::exception& caught) {
    EXPECT_EQ(dynamic_cast<const Error&>(caught).native_code(), "23505");
  }
}

TEST(Error, TheSetterChainsAfterSetRetryable) {
  const Error e =
      Error(ErrorCode::throttled, "slow down", "dynamodb").set_retryable(false).set_native_code(
          "HTTP 400 ThrottlingException");
  EXPECT_FALSE(e.retryable());
  EXPECT_EQ(e.native_code(), "HTTP 400 ThrottlingException");
}

TEST(Error, WithMessageKeepsEverythingButTheMessage) {
  Error e(ErrorCode::timeout, "lock wait", "mysql", "MySQL error 1205: Lock wait timeout");
  e.set_native_code("1205").set_retryable(false);  // not the code's default
  const Error w = e.with_message("column 'x': lock wait");
  EXPECT_EQ(w.message(), "column 'x': lock wait");
  EXPECT_EQ(std::string(w.what()), "mysql: column 'x': lock wait");
  EXPECT_EQ(w.code(), ErrorCode::timeout);
  EXPECT_EQ(w.backend(), "mysql");
  EXPECT_EQ(w.detail(), "MySQL error 1205: Lock wait timeout");
  EXPECT_EQ(w.native_code(), "1205");
  EXPECT_FALSE(w.retryable());
}

TEST(Error, TheHintIsNoneUntilSetAndTravelsWithCopiesAndRewordings) {
  Error e(ErrorCode::conflict, "table 't' already exists (write in upsert mode)", "sqlite");
  EXPECT_EQ(e.hint(), Hint::none);
  e.set_native_code("1").set_hint(Hint::upsert_mode).set_retryable(false);
  const Error copy = e;  // NOLINT(performance-unnecessary-copy-initialization): the point
  EXPECT_EQ(copy.hint(), Hint::upsert_mode);
  EXPECT_EQ(copy.with_message("copying: " + copy.message()).hint(), Hint::upsert_mode);
  EXPECT_EQ(to_string(Hint::upsert_mode), "upsert_mode");
  EXPECT_EQ(e.code(), ErrorCode::conflict);
  EXPECT_EQ(e.native_code(), "1");
}

TEST(ErrorFromException, KeepsAPolydbErrorIntact) {
  Error original(ErrorCode::not_found, "no table t", "sqlite", "detail");
  original.set_native_code("1");
  const Error e = error_from_exception(std::make_exception_ptr(original));
  EXPECT_EQ(e.code(), ErrorCode::not_found);
  EXPECT_EQ(e.message(), "no table t");
  EXPECT_EQ(e.native_code(), "1");
}

TEST(ErrorFromException, MapsOtherExceptionsToInternal) {
  const Error oom = error_from_exception(std::make_exception_ptr(std::bad_alloc()));
  EXPECT_EQ(oom.code(), ErrorCode::internal);
  EXPECT_NE(oom.message().find("out of memory"), std::string::npos);
  const Error std_error =
      error_from_exception(std::make_exception_ptr(std::out_of_range("stoul: out of range")));
  EXPECT_EQ(std_error.code(), ErrorCode::internal);
  EXPECT_EQ(std_error.message(), "stoul: out of range");
  const Error other = error_from_exception(std::make_exception_ptr(3.5));
  EXPECT_EQ(other.code(), ErrorCode::internal);
  EXPECT_NE(other.message().find("unknown exception"), std::string::npos);
  try {
    rethrow_as_error(std::make_exception_ptr(std::invalid_argument("stoul")));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::internal);
    EXPECT_EQ(e.message(), "stoul");
  }
}

class CallbackFaultSeam : public ::testing::Test {
 protected:
  void TearDown() override { fault_injection::clear_callback_faults(); }
};

TEST_F(CallbackFaultSeam, NothingArmedNothingThrown) {
  for (size_t k = 0; k < kCCallbackKinds; ++k)
    EXPECT_NO_THROW(callback_fault_point(static_cast<CCallback>(k)));
}

TEST_F(CallbackFaultSeam, FiresOnceForItsKindAfterTheSkippedCalls) {
  fault_injection::fail_next_callback(CCallback::curl_write,
                                      std::make_exception_ptr(std::runtime_error("boom")), 2);
  EXPECT_NO_THROW(callback_fault_point(CCallback::curl_read));  // another kind
  EXPECT_NO_THROW(callback_fault_point(CCallback::curl_write));
  EXPECT_NO_THROW(callback_fault_point(CCallback::curl_write));
  EXPECT_THROW(callback_fault_point(CCallback::curl_write), std::runtime_error);
  EXPECT_NO_THROW(callback_fault_point(CCallback::curl_write));  // once only
  EXPECT_EQ(fault_injection::clear_callback_faults(), 0u);
}

TEST_F(CallbackFaultSeam, IsPerThread) {
  fault_injection::fail_next_callback(CCallback::sqlite_vtab_next,
                                      std::make_exception_ptr(std::runtime_error("here only")));
  std::thread([] { EXPECT_NO_THROW(callback_fault_point(CCallback::sqlite_vtab_next)); }).join();
  EXPECT_THROW(callback_fault_point(CCallback::sqlite_vtab_next), std::runtime_error);
}

TEST_F(CallbackFaultSeam, ClearDisarmsAndCountsWhatWasLeft) {
  fault_injection::fail_next_callback(CCallback::pg_notice,
                                      std::make_exception_ptr(std::runtime_error("a")));
  fault_injection::fail_next_callback(CCallback::mysql_infile_read,
                                      std::make_exception_ptr(std::runtime_error("b")));
  EXPECT_EQ(fault_injection::clear_callback_faults(), 2u);
  EXPECT_NO_THROW(callback_fault_point(CCallback::pg_notice));
  EXPECT_EQ(fault_injection::clear_callback_faults(), 0u);
}

}  // namespace
}  // namespace polydb
