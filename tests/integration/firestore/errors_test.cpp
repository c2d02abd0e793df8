// Firestore errors carry the service's status as Error::native_code()
// (errors.cpp): "HTTP <status> <gRPC status name>" for a failed request, the
// status name alone for a write refused inside a successful batch response.
// Checked against the emulator.

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "fixture.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb::firestoretest {
namespace {

class FirestoreErrors : public FirestoreTest {};

TEST_F(FirestoreErrors, AQueryTheServerRefusesIs400InvalidArgument) {
  const Error e = error_of([&] {
    auto r = conn_->query(R"({"collection": "errs", "where": {"fieldFilter": {"field":
        {"fieldPath": "qty"}, "op": "SOUNDS_LIKE", "value": {"integerValue": "1"}}}})");
    while (r->next()) {
    }
  });
  EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << e.what();
  EXPECT_EQ(e.native_code(), "HTTP 400 INVALID_ARGUMENT") << e.what();
  EXPECT_EQ(e.backend(), "firestore");
}

TEST_F(FirestoreErrors, AFailedPreconditionOnAWriteCarriesItsStatus) {
  conn_->execute(R"({"update": {"name": "errs/1", "fields": {"v": {"integerValue": "1"}}}})");
  const Error exists = error_of([&] {
    conn_->execute(R"({"delete": "errs/1", "currentDocument": {"exists": false}})");
  });
  EXPECT_EQ(exists.code(), ErrorCode::conflict) << exists.what();
  const Error missing = error_of([&] {
    conn_->execute(
        R"({"update": {"name": "errs/404", "fields": {}}, "currentDocument": {"exists": true}})");
  });
  EXPECT_EQ(missing.code(), ErrorCode::not_found) << missing.what();
  // A commit refused as a whole is an HTTP error with the gRPC status of the
  // refusal (the emulator answers "exists: false" on an existing document
  // with ALREADY_EXISTS).
  EXPECT_EQ(exists.native_code(), "HTTP 409 ALREADY_EXISTS") << exists.what();
  EXPECT_EQ(missing.native_code(), "HTTP 404 NOT_FOUND") << missing.what();
}

}  // namespace
}  // namespace polydb::firestoretest
