// PostgreSQL errors carry the server's SQLSTATE as Error::native_code()
// (errors.cpp), checked against the real server; and the notice receiver,
// a C callback of libpq, survives a failure injected into it.

#include <new>
#include <stdexcept>

#include "core/c_callback.hpp"
#include "fixture.hpp"

namespace polydb::pgtest {
namespace {

Error error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  return Error(ErrorCode::internal, "no error was thrown");
}

using PostgresErrors = PostgresTest;

TEST_F(PostgresErrors, ADuplicateKeyIs23505) {
  conn_->execute("CREATE TABLE " + t("dup") + " (id int PRIMARY KEY)");
  conn_->execute("INSERT INTO " + t("dup") + " VALUES (1)");
  const Error e = error_of([&] { conn_->execute("INSERT INTO " + t("dup") + " VALUES (1)"); });
  EXPECT_EQ(e.code(), ErrorCode::conflict) << e.what();
  EXPECT_EQ(e.native_code(), "23505") << e.what();
  EXPECT_EQ(e.backend(), "postgresql");
}

TEST_F(PostgresErrors, AMissingTableIs42P01AndBadSyntax42601) {
  const Error missing = error_of([&] { conn_->execute("SELECT * FROM " + t("nothing_here")); });
  EXPECT_EQ(missing.code(), ErrorCode::not_found) << missing.what();
  EXPECT_EQ(missing.native_code(), "42P01") << missing.what();
  const Error syntax = error_of([&] { conn_->execute("SELEKT 1"); });
  EXPECT_EQ(syntax.native_code(), "42601") << syntax.what();
}

TEST_F(PostgresErrors, AnErrorWhileStreamingCarriesItsCode) {
  const Error e = error_of([&] {
    auto r = conn_->query("SELECT 1 / (g - 3000) FROM generate_series(1, 5000) g");
    while (r->next()) {
    }
  });
  EXPECT_EQ(e.native_code(), "22012") << e.what();  // division_by_zero
}

TEST_F(PostgresErrors, AFailedConnectionHasNoNativeCodeToInvent) {
  Uri u = Uri::parse(url_);
  u.password = Secret(std::string("certainly-not-the-password"));
  const Error e = error_of([&] { connect(u.to_string_with_secrets()); });
  EXPECT_EQ(e.code(), ErrorCode::auth) << e.what();
  // libpq reports a refused login as text only (no PGresult, no SQLSTATE).
  EXPECT_EQ(e.native_code(), "") << e.what();
}

// libpq calls the notice receiver from inside PQgetResult: a failure there
// (a logger that throws, no memory) must not cross libpq, and the notice is
// dropped while the statement succeeds.
TEST_F(PostgresErrors, AFailingNoticeReceiverDropsTheNoticeNotTheStatement) {
  for (auto fault : {std::make_exception_ptr(std::bad_alloc()),
                     std::make_exception_ptr(Error(ErrorCode::io, "cannot log")),
                     std::make_exception_ptr(std::runtime_error("logger broke"))}) {
    fault_injection::fail_next_callback(CCallback::pg_notice, fault);
    EXPECT_NO_THROW(conn_->execute("DO $$ BEGIN RAISE NOTICE 'hello'; END $$"));
    EXPECT_EQ(fault_injection::clear_callback_faults(), 0u) << "the notice receiver never ran";
  }
  auto r = conn_->query("SELECT 42");
  auto b = r->next();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->row(0).at(0).to_text(), "42");
}

}  // namespace
}  // namespace polydb::pgtest
