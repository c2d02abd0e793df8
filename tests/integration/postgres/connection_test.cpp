// PostgreSQL connector against the real server: connecting and its failures,
// catalog (list/describe/names), queries, streaming and dropped connections.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>

#include "fixture.hpp"

namespace polydb::pgtest {
namespace {

Uri server_uri() { return Uri::parse(server_url()); }

// A loopback port nobody listens on.
uint16_t closed_port() {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  return ntohs(a.sin_port);
}

TEST(PostgresConnect, WrongPasswordIsAuthAndNeverShowsThePassword) {
  Uri u = server_uri();
  u.password = Secret("wrong-Secret-42");
  try {
    connect(u.to_string_with_secrets());
    FAIL() << "connected with a wrong password";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::auth) << e.what();
    EXPECT_FALSE(e.retryable());
    EXPECT_NE(e.message().find("password authentication failed"), std::string::npos) << e.what();
    EXPECT_NE(e.message().find("PGPASSWORD"), std::string::npos) << "a hint: " << e.what();
    EXPECT_NE(e.message().find(":***@"), std::string::npos) << e.what();
    for (const std::string& text : {std::string(e.what()), e.detail()})
      EXPECT_EQ(text.find("wrong-Secret-42"), std::string::npos) << text;
  }
}

TEST(PostgresConnect, UnknownDatabaseIsNotFound) {
  Uri u = server_uri();
  u.path = "/no_such_database_polydb";
  try {
    connect(u.to_string_with_secrets());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found) << e.what();
    EXPECT_NE(e.message().find("no_such_database_polydb"), std::string::npos) << e.what();
  }
}

TEST(PostgresConnect, RefusedConnectionIsRetriedBrieflyThenReported) {
  Uri u = server_uri();
  u.port = closed_port();
  const auto start = std::chrono::steady_clock::now();
  try {
    connect(u.to_string_with_secrets());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::connection) << e.what();
    EXPECT_TRUE(e.retryable());
    EXPECT_NE(e.message().find("Connection refused"), std::string::npos) << e.what();
    EXPECT_NE(e.message().find("is the server running"), std::string::npos) << e.what();
    // net/retry's loop (full-jitter backoff, so no lower bound on the time).
    EXPECT_NE(e.message().find("gave up after 3 attempts"), std::string::npos) << e.what();
  }
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(3)) << "retries are small and bounded";
}

TEST(PostgresConnect, TlsRequiredByTheClientButNotOfferedIsATlsError) {
  Uri u = server_uri();  // the test server has no TLS
  u.set_option("sslmode", "require");
  try {
    connect(u.to_string_with_secrets());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::connection) << e.what();
    EXPECT_FALSE(e.retryable()) << "retrying will not bring TLS";
    EXPECT_NE(e.message().find("sslmode"), std::string::npos) << e.what();
  }
}

TEST(PostgresConnect, PasswordFromPgpassword) {
  Uri u = server_uri();
  const std::string password = u.password.reveal();
  u.password = Secret();
  setenv("PGPASSWORD", password.c_str(), 1);
  std::unique_ptr<Connection> c;
  EXPECT_NO_THROW(c = connect(u.to_string()));
  unsetenv("PGPASSWORD");
  if (c) {
    EXPECT_EQ(c->backend(), "postgresql");
  }
}

TEST(PostgresConnect, BothSchemesOptionsAndPing) {
  Uri u = server_uri();
  u.scheme = "postgres";
  u.set_option("sslmode", "disable");
  u.set_option("application_name", "polydb-it");
  u.set_option("options", "-c statement_timeout=5000");
  auto c = connect(u.to_string_with_secrets());
  auto r = c->query(
      "SELECT current_setting('application_name'), "
      "current_setting('statement_timeout')");
  const auto rows = collect_rows(*r);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], Value("polydb-it"));
  EXPECT_EQ(rows[0][1], Value("5s"));
  const PingResult p = c->ping();
  EXPECT_EQ(p.role, "primary");
  EXPECT_NE(p.server_version.find("PostgreSQL"), std::string::npos);
  EXPECT_GT(p.latency.count(), 0);
  EXPECT_EQ(c->display_url().find(u.password.reveal() + "@"), std::string::npos);

  u.set_option("ssl", "true");
  EXPECT_EQ(code_of([&] { connect(u.to_string_with_secrets()); }), ErrorCode::invalid_argument);
}

using PostgresConnection = PostgresTest;

TEST_F(PostgresConnection, ListAndDescribeSchemasViewsAndQuotedNames) {
  conn_->execute("CREATE TABLE public.it_plain_" + std::to_string(getpid()) + " (x int)");
  conn_->execute("CREATE TABLE " + t("\"Order.Lines\"") +
                 " (\"Id\" int, qty smallint NOT NULL, note varchar(20), PRIMARY KEY (\"Id\"))");
  conn_->execute("CREATE VIEW " + t("big_lines") + " AS SELECT * FROM " + t("\"Order.Lines\"") +
                 " WHERE qty > 10");
  bool plain = false, lines = false, view = false;
  for (const auto& info : conn_->list_tables()) {
    plain = plain || info.name == "it_plain_" + std::to_string(getpid());
    lines = lines || (info.name == schema_ + ".\"Order.Lines\"" && info.kind == "table");
    view = view || (info.name == schema_ + ".big_lines" && info.kind == "view");
  }
  conn_->execute("DROP TABLE public.it_plain_" + std::to_string(getpid()));
  EXPECT_TRUE(plain) << "tables of the current schema are listed without schema";
  EXPECT_TRUE(lines) << "other schemas qualify the name; dots are quoted";
  EXPECT_TRUE(view);

  const Schema s = conn_->describe(schema_ + ".\"Order.Lines\"");
  ASSERT_EQ(s.fields.size(), 3u);
  EXPECT_EQ(s.fields[0].name, "Id");
  EXPECT_EQ(s.fields[0].native_type, "integer");
  EXPECT_FALSE(s.fields[0].nullable);
  EXPECT_FALSE(s.fields[1].nullable);
  EXPECT_EQ(s.fields[2].native_type, "character varying(20)");
  EXPECT_EQ(s.fields[2].type, Type(TypeId::string));
  EXPECT_EQ(s.primary_key, std::vector<std::string>{"Id"});
  EXPECT_TRUE(conn_->describe(t("big_lines")).primary_key.empty());
  // A new table in an unquoted, mixed-case schema goes to the existing one.
  Schema one;
  one.fields = {{"a", TypeId::int64, true, ""}};
  std::string upper = schema_;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  conn_->create_table(upper + ".created", one);
  EXPECT_EQ(conn_->describe(t("created")).fields.size(), 1u);
  EXPECT_EQ(code_of([&] { conn_->describe(t("missing")); }), ErrorCode::not_found);
  EXPECT_EQ(code_of([&] { conn_->describe("no_schema_xyz.t"); }), ErrorCode::not_found);
}

TEST_F(PostgresConnection, SearchPathAndCaseFolding) {
  auto c = connect(url_ + "?options=-c%20search_path%3D" + schema_);
  c->execute("CREATE TABLE lower_t (a int)");
  c->execute("INSERT INTO lower_t VALUES (1), (2)");
  EXPECT_EQ(c->count_rows("lower_t"), 2u);
  EXPECT_EQ(c->count_rows("LOWER_T"), 2u) << "an unquoted name also matches folded";
  EXPECT_EQ(c->count_rows(t("lower_t")), 2u);
  bool found = false;
  for (const auto& info : c->list_tables()) found = found || info.name == "lower_t";
  EXPECT_TRUE(found) << "tables of the search_path's first schema are listed unqualified";
}

TEST_F(PostgresConnection, QueryParametersOfEveryTypeAndExecuteCounts) {
  conn_->execute("CREATE TABLE " + t("p") +
                 " (id int PRIMARY KEY, d date, u uuid, b bytea, "
                 "n numeric, ok boolean, tz timestamptz, s text)");
  const std::vector<Value> row{int64_t{1},
                               Date{19723},
                               parse_value("0a0b0c0d-0000-0000-0000-00000000abcd", TypeId::uuid),
                               Bytes{std::string("\0\1\2", 3)},
                               Decimal{"123456789012345678901234567890.5"},
                               true,
                               TimestampTz{1700000000123456},
                               Value()};
  EXPECT_EQ(
      conn_->execute("INSERT INTO " + t("p") + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", row),
      1u);
  auto r = conn_->query("SELECT * FROM " + t("p") +
                            " WHERE d = $1 AND u = $2 AND b = $3 AND n = $4 AND ok = $5 AND tz = "
                            "$6 AND s IS NULL AND $7::text IS NULL",
                        std::vector<Value>(row.begin() + 1, row.end()));
  const auto rows = collect_rows(*r);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], row);
  // A string parameter takes the type the statement needs (here a date).
  const std::vector<Value> text_date{"2024-01-01"};
  EXPECT_EQ(conn_->execute("UPDATE " + t("p") + " SET s = 'x' WHERE d = $1", text_date), 1u);
  EXPECT_EQ(conn_->execute("CREATE INDEX ON " + t("p") + " (d)"), 0u);
  EXPECT_EQ(conn_->execute("SELECT 1"), 0u);
  EXPECT_EQ(code_of([&] { conn_->execute("DELETE FROM " + t("p") + " WHERE id = $1"); }),
            ErrorCode::invalid_argument)
      << "missing parameter";
  EXPECT_EQ(code_of([&] { conn_->query("SELECT 1; SELECT 2"); }), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of([&] { conn_->query("SELECT nope FROM " + t("p")); }), ErrorCode::not_found);
  EXPECT_EQ(code_of([&] { conn_->query("SELECT point(1, 2)"); }), ErrorCode::unsupported);
  EXPECT_EQ(code_of([&] { conn_->execute("COPY " + t("p") + " FROM STDIN"); }),
            ErrorCode::unsupported);
  EXPECT_EQ(code_of([&] { conn_->query("COPY " + t("p") + " TO STDOUT"); }),
            ErrorCode::unsupported);
  EXPECT_EQ(conn_->count_rows(t("p")), 1u) << "the connection is usable after them";
  EXPECT_EQ(code_of([&] { conn_->execute("INSERT INTO " + t("p") + " (id) VALUES (1)"); }),
            ErrorCode::conflict);
}

TEST_F(PostgresConnection, QueryStreamsInBoundedBatches) {
  auto r = conn_->query("SELECT g, repeat('x', 100) FROM generate_series(1, 5000) g", {},
                        {.batch_rows = 1000, .batch_bytes = 40000});
  size_t batches = 0;
  const auto rows = collect_rows(*r, &batches);
  EXPECT_EQ(rows.size(), 5000u);
  EXPECT_GE(batches, 13u) << "the byte cap splits batches too";
  EXPECT_EQ(rows.back()[0], Value(int64_t{5000}));
  EXPECT_EQ(r->schema().fields[0].type, Type(TypeId::int64));
}

TEST_F(PostgresConnection, BusyConnectionAndAbandonedReaders) {
  conn_->execute("CREATE TABLE " + t("big") +
                 " AS SELECT g AS id FROM generate_series(1, 50000) g");
  {
    auto r = conn_->scan({.table = t("big"), .batch_rows = 100});
    ASSERT_TRUE(r->next());
    EXPECT_EQ(code_of([&] { conn_->describe(t("big")); }), ErrorCode::invalid_argument);
  }  // destroyed mid-stream: the COPY is cancelled
  EXPECT_EQ(conn_->count_rows(t("big")), 50000u);
  {
    auto r = conn_->query("SELECT * FROM " + t("big"), {}, {.batch_rows = 10});
    ASSERT_TRUE(r->next());
  }
  EXPECT_EQ(conn_->count_rows(t("big")), 50000u);
  // A filter part polydb evaluates itself (int vs bool) and a limit: the scan
  // stops early and the connection stays usable.
  ScanSpec spec{.table = t("big")};
  spec.filter = parse_filter("id > '100'");  // pushed
  spec.filter = Filter::all_of({*spec.filter, Filter::compare("id", CompareOp::ne, Value(true))});
  spec.limit = 5;
  auto r = conn_->scan(spec);
  EXPECT_EQ(collect_rows(*r).size(), 5u);
  spec.limit = 0;
  EXPECT_EQ(collect_rows(*conn_->scan(spec)).size(), 0u);
  EXPECT_EQ(conn_->count_rows(t("big")), 50000u);
}

TEST_F(PostgresConnection, DroppedConnectionMidReadThrows) {
  conn_->execute("CREATE TABLE " + t("big") +
                 " AS SELECT g AS id, repeat('y', 200) AS pad FROM generate_series(1, 200000) g");
  auto killer = connect(url_);
  // A scan and a query without parameters stream through COPY; a query with
  // parameters in single-row mode.
  for (int path : {0, 1, 2}) {
    SCOPED_TRACE(path);
    auto victim = connect(url_);
    auto pid = collect_rows(*victim->query("SELECT pg_backend_pid()"))[0][0].as<int64_t>();
    const std::vector<Value> zero{Value(int64_t{0})};
    std::unique_ptr<BatchReader> r =
        path == 0   ? victim->scan({.table = t("big"), .batch_rows = 1000})
        : path == 1 ? victim->query("SELECT * FROM " + t("big"), {}, {.batch_rows = 1000})
                    : victim->query("SELECT * FROM " + t("big") + " WHERE id > $1", zero,
                                    {.batch_rows = 1000});
    ASSERT_TRUE(r->next());
    killer->execute("SELECT pg_terminate_backend($1::int)", std::vector<Value>{pid});
    size_t rows = 1000;
    try {
      while (auto b = r->next()) rows += b->num_rows();
      FAIL() << "a dropped connection must throw, not end the result (" << rows << " rows)";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::connection) << e.what();
      EXPECT_TRUE(e.retryable());
    }
    EXPECT_LT(rows, 200000u);
  }
}

TEST_F(PostgresConnection, QueryErrorsMidStreamThrowOnEveryPath) {
  // Row 3000 divides by zero after earlier batches went out: the reader throws,
  // it never ends the result early, through COPY and through single-row mode.
  const std::string sql = "SELECT x, 1 / (x - 3000) AS q FROM generate_series(1, 5000) x";
  for (const bool with_param : {false, true}) {
    SCOPED_TRACE(with_param);
    const std::vector<Value> one{Value(int64_t{1})};
    auto r = with_param ? conn_->query(sql + " WHERE x >= $1", one, {.batch_rows = 100})
                        : conn_->query("-- a comment first\n" + sql + ";", {}, {.batch_rows = 100});
    size_t rows = 0;
    try {
      while (auto b = r->next()) rows += b->num_rows();
      FAIL() << "division by zero must throw (" << rows << " rows)";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << e.what();
      EXPECT_NE(e.message().find("division by zero"), std::string::npos) << e.message();
      EXPECT_NE(e.message().find("query"), std::string::npos) << e.message();
    }
    EXPECT_LT(rows, 3000u);
  }
  EXPECT_EQ(collect_rows(*conn_->query("SELECT 1 -- trailing comment")).size(), 1u)
      << "the connection is usable again";
}

TEST_F(PostgresConnection, PartitionsWithoutIntegerKeyAndOnViews) {
  conn_->execute("CREATE TABLE " + t("nokey") +
                 " AS SELECT g AS n, md5(g::text) AS h FROM generate_series(1, 20000) g");
  conn_->execute("CREATE VIEW " + t("v") + " AS SELECT * FROM " + t("nokey"));
  for (const std::string& table : {t("nokey"), t("v")}) {
    int64_t sum = 0;
    size_t rows = 0;
    for (uint32_t k = 0; k < 4; ++k) {
      auto r = conn_->scan({.table = table, .partition = {k, 4}});
      for (const auto& row : collect_rows(*r)) {
        sum += row[0].as<int64_t>();
        ++rows;
      }
      if (table == t("nokey")) {
        EXPECT_NE(r->plan().native.find("ctid"), std::string::npos);
      }
    }
    EXPECT_EQ(rows, 20000u) << table;
    EXPECT_EQ(sum, int64_t{20000} * 20001 / 2) << table;
  }
}

}  // namespace
}  // namespace polydb::pgtest
