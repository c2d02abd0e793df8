// SQLSTATE and connection-failure classification (no server needed).

#include "connectors/postgres/errors.hpp"

#include <gtest/gtest.h>

#include <string_view>
#include <utility>

namespace polydb::postgres {
namespace {

TEST(PostgresErrors, SqlstatesMapToErrorCodes) {
  struct Case {
    const char* state;
    ErrorCode code;
    bool retryable;
  };
  const Case cases[] = {
      {"08006", ErrorCode::connection, true},         // connection failure
      {"08001", ErrorCode::connection, true},         // cannot establish
      {"28P01", ErrorCode::auth, false},              // invalid password
      {"28000", ErrorCode::auth, false},              // invalid authorization
      {"3D000", ErrorCode::not_found, false},         // unknown database
      {"42P01", ErrorCode::not_found, false},         // undefined table
      {"42703", ErrorCode::not_found, false},         // undefined column
      {"3F000", ErrorCode::not_found, false},         // unknown schema
      {"42601", ErrorCode::invalid_argument, false},  // syntax error
      {"42883", ErrorCode::invalid_argument, false},  // undefined function/operator
      {"22003", ErrorCode::type_mismatch, false},     // numeric out of range
      {"22P02", ErrorCode::type_mismatch, false},     // invalid text representation
      {"22001", ErrorCode::type_mismatch, false},     // string too long
      {"23505", ErrorCode::conflict, false},          // unique violation
      {"23502", ErrorCode::conflict, false},          // not null violation
      {"42P07", ErrorCode::conflict, false},          // duplicate table
      {"40001", ErrorCode::conflict, true},           // serialization failure
      {"40P01", ErrorCode::conflict, true},           // deadlock
      {"57014", ErrorCode::cancelled, false},         // query cancelled
      {"53100", ErrorCode::io, false},                // disk full
      {"53200", ErrorCode::io, false},                // out of memory
      {"53300", ErrorCode::connection, true},         // too many connections
      {"57P01", ErrorCode::connection, true},         // admin shutdown
      {"42501", ErrorCode::auth, false},              // insufficient privilege
      {"55P03", ErrorCode::timeout, true},            // lock not available
      {"0A000", ErrorCode::unsupported, false},       // feature not supported
      {"XX001", ErrorCode::corruption, false},        // data corrupted
      {"XX000", ErrorCode::internal, false},          // internal error
      {"P0001", ErrorCode::invalid_argument, false},  // RAISE EXCEPTION
  };
  for (const auto& c : cases) {
    const Classified got = classify_sqlstate(c.state);
    EXPECT_EQ(got.code, c.code) << c.state;
    EXPECT_EQ(got.retryable, c.retryable) << c.state;
    EXPECT_FALSE(got.hint.empty()) << c.state;
  }
  EXPECT_EQ(classify_sqlstate("57014", "canceling statement due to statement timeout").code,
            ErrorCode::timeout);
}

TEST(PostgresErrors, ConnectionFailuresAreClassifiedFromLibpqText) {
  struct Case {
    const char* message;
    ErrorCode code;
    bool retryable;
  };
  const Case cases[] = {
      {"connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the "
       "server running on that host and accepting TCP/IP connections?\n",
       ErrorCode::connection, true},
      {"connection to server at \"127.0.0.1\", port 55432 failed: FATAL:  password "
       "authentication failed for user \"polydb\"\n",
       ErrorCode::auth, false},
      {"connection to server at \"127.0.0.1\", port 55432 failed: fe_sendauth: no password "
       "supplied\n",
       ErrorCode::auth, false},
      {"connection to server at \"127.0.0.1\", port 55432 failed: FATAL:  database \"nope\" does "
       "not exist\n",
       ErrorCode::not_found, false},
      {"connection to server at \"127.0.0.1\", port 55432 failed: FATAL:  role \"x\" does not "
       "exist\n",
       ErrorCode::auth, false},
      {"connection to server at \"10.0.0.1\", port 5432 failed: timeout expired\n",
       ErrorCode::timeout, true},
      {"connection to server at \"127.0.0.1\", port 55432 failed: server does not support SSL, "
       "but SSL was required\n",
       ErrorCode::connection, false},
      {"connection to server at \"db\", port 5432 failed: SSL error: certificate verify "
       "failed\n",
       ErrorCode::connection, false},
      {"could not translate host name \"nohost.invalid\" to address: Name or service not known\n",
       ErrorCode::connection, false},
      {"connection to server at \"127.0.0.1\", port 55432 failed: FATAL:  the database system "
       "is starting up\n",
       ErrorCode::connection, true},
  };
  for (const auto& c : cases) {
    const Classified got = classify_connect_failure(c.message);
    EXPECT_EQ(got.code, c.code) << c.message;
    EXPECT_EQ(got.retryable, c.retryable) << c.message;
  }
}

TEST(PostgresErrors, ConnectErrorsQuoteTheRedactedUrlAndTheServerReason) {
  const Error e = make_connect_error(
      "connection to server at \"127.0.0.1\", port 55432 failed: FATAL:  password "
      "authentication failed for user \"polydb\"\n",
      "postgresql://polydb:***@127.0.0.1:55432/polydb");
  EXPECT_EQ(e.code(), ErrorCode::auth);
  EXPECT_EQ(e.backend(), "postgresql");
  EXPECT_EQ(e.message(),
            "cannot connect to postgresql://polydb:***@127.0.0.1:55432/polydb: password "
            "authentication failed for user \"polydb\" (check the password (in the URL, "
            "PGPASSWORD or ~/.pgpass))");
  EXPECT_NE(e.detail().find("FATAL"), std::string::npos);
  EXPECT_FALSE(e.retryable());
}

TEST(PostgresErrors, MissingResultIsALostConnection) {
  const Error e = make_error(nullptr, nullptr, "reading the table failed");
  EXPECT_EQ(e.code(), ErrorCode::connection);
  EXPECT_TRUE(e.retryable());
}

// A remedy a front end spells in its own terms is a Hint; the words name no
// CLI flag or command (issue #15).
TEST(PostgresErrors, RemediesAreHintsInLibraryWords) {
  const std::pair<const char*, Hint> cases[] = {
      {"42P01", Hint::list_tables}, {"42703", Hint::describe_table}, {"42883", Hint::typed_param},
      {"42P07", Hint::write_mode},  {"23505", Hint::none},
  };
  for (const auto& [state, hint] : cases) {
    const Classified got = classify_sqlstate(state);
    EXPECT_EQ(got.remedy, hint) << state;
    EXPECT_EQ(got.hint.find("--"), std::string_view::npos) << state << ": " << got.hint;
    EXPECT_EQ(got.hint.find("polydb "), std::string_view::npos) << state << ": " << got.hint;
  }
}

}  // namespace
}  // namespace polydb::postgres
