#include "connectors/mysql/errors.hpp"

#include <gtest/gtest.h>

#include <string_view>
#include <utility>

namespace polydb::mysql {
namespace {

TEST(MysqlErrors, ErrnoClassification) {
  struct Case {
    unsigned errnum;
    ErrorCode code;
    bool retryable;
  };
  const Case cases[] = {
      {2002, ErrorCode::connection, true},   // socket: cannot connect
      {2003, ErrorCode::connection, true},   // TCP refused / unreachable
      {2006, ErrorCode::connection, true},   // server has gone away
      {2013, ErrorCode::connection, true},   // lost connection during query
      {1040, ErrorCode::connection, true},   // too many connections
      {2005, ErrorCode::connection, false},  // unknown host
      {2026, ErrorCode::connection, false},  // TLS failure
      {1045, ErrorCode::auth, false},
      {1044, ErrorCode::auth, false},
      {1142, ErrorCode::auth, false},
      {1049, ErrorCode::not_found, false},  // unknown database
      {1146, ErrorCode::not_found, false},  // unknown table
      {1054, ErrorCode::not_found, false},  // unknown column
      {1064, ErrorCode::invalid_argument, false},
      {1062, ErrorCode::conflict, false},
      {1452, ErrorCode::conflict, false},
      {1451, ErrorCode::conflict, false},
      {1050, ErrorCode::conflict, false},
      {1213, ErrorCode::conflict, true},  // deadlock
      {1205, ErrorCode::timeout, true},   // lock wait timeout
      {1264, ErrorCode::type_mismatch, false},
      {1366, ErrorCode::type_mismatch, false},
      {1406, ErrorCode::type_mismatch, false},
      {1292, ErrorCode::type_mismatch, false},
      {1265, ErrorCode::type_mismatch, false},
      {1317, ErrorCode::cancelled, false},
      {1021, ErrorCode::io, false},
      {1114, ErrorCode::io, false},
      {1148, ErrorCode::unsupported, false},
      {3948, ErrorCode::unsupported, false},
      {2068, ErrorCode::unsupported, false},
      {1295, ErrorCode::unsupported, false},
      {2999, ErrorCode::connection, false},        // other client errors
      {1105, ErrorCode::invalid_argument, false},  // other server errors
  };
  for (const auto& c : cases) {
    const Classified got = classify(c.errnum);
    EXPECT_EQ(got.code, c.code) << c.errnum;
    EXPECT_EQ(got.retryable, c.retryable) << c.errnum;
    const Error e = make_error(c.errnum, "HY000", "text", "doing it");
    EXPECT_EQ(e.code(), c.code) << c.errnum;
    EXPECT_EQ(e.retryable(), c.retryable) << c.errnum;
  }
}

TEST(MysqlErrors, MessageKeepsTheServersWordsAndAHint) {
  const Error e =
      make_error(1045, "28000", "Access denied for user 'app'@'10.0.0.1' (using password: YES)",
                 "cannot connect to mysql://app:***@db:3306/shop");
  EXPECT_EQ(e.backend(), "mysql");
  EXPECT_NE(e.message().find("cannot connect to mysql://app:***@db:3306/shop"), std::string::npos);
  EXPECT_NE(e.message().find("Access denied"), std::string::npos);
  EXPECT_NE(e.message().find("check the user name and password"), std::string::npos);
  EXPECT_NE(e.detail().find("1045"), std::string::npos);
  EXPECT_NE(e.detail().find("28000"), std::string::npos);
}

TEST(MysqlErrors, LocalInfileRefusals) {
  for (unsigned n : {1148u, 3948u, 4166u, 2068u}) EXPECT_TRUE(is_local_infile_refused(n)) << n;
  for (unsigned n : {1045u, 1062u, 2013u}) EXPECT_FALSE(is_local_infile_refused(n)) << n;
}

TEST(MysqlErrors, WarningLocations) {
  auto w = parse_warning_location(
      "Incorrect integer value: 'abc' for column `polydb`.`t1`.`q` at row 3");
  EXPECT_EQ(w.column, "q");
  EXPECT_EQ(w.row, 3u);
  w = parse_warning_location("Out of range value for column 'qty' at row 12");
  EXPECT_EQ(w.column, "qty");
  EXPECT_EQ(w.row, 12u);
  w = parse_warning_location("Data too long for column `db`.`t`.`we``ird` at row 1");
  EXPECT_EQ(w.column, "we`ird");
  w = parse_warning_location(
      "Row 7 was truncated; it contained more data than there were input columns");
  EXPECT_EQ(w.row, 7u);
  EXPECT_EQ(w.column, "");
  w = parse_warning_location(
      "Incorrect string value: 'for column `x`' for column `d`.`t`.`s` at row 2");
  EXPECT_EQ(w.column, "s");
  EXPECT_EQ(w.row, 2u);
  w = parse_warning_location("Column 'qty' cannot be null");
  EXPECT_EQ(w.column, "qty");
  w = parse_warning_location("Duplicate entry '5' for key 'PRIMARY'");
  EXPECT_EQ(w.row, 0u);
  EXPECT_EQ(w.column, "");
}

// A remedy a front end spells in its own terms is a Hint; the words name no
// CLI flag or command (issue #15).
TEST(MysqlErrors, RemediesAreHintsInLibraryWords) {
  const std::pair<unsigned, Hint> cases[] = {
      {1146, Hint::list_or_describe},
      {1054, Hint::list_or_describe},
      {1062, Hint::upsert_mode},
      {1050, Hint::write_mode},
      {1045, Hint::none},
  };
  for (const auto& [errnum, hint] : cases) {
    const Classified got = classify(errnum);
    EXPECT_EQ(got.remedy, hint) << errnum;
    EXPECT_EQ(got.hint.find("--"), std::string_view::npos) << errnum << ": " << got.hint;
    EXPECT_EQ(got.hint.find("polydb "), std::string_view::npos) << errnum << ": " << got.hint;
  }
  const Error e =
      make_error(1062, "23000", "Duplicate entry '1' for key 'PRIMARY'", "cannot write");
  EXPECT_EQ(e.hint(), Hint::upsert_mode);
  EXPECT_EQ(e.native_code(), "1062");
  EXPECT_EQ(e.code(), ErrorCode::conflict);
}

}  // namespace
}  // namespace polydb::mysql
