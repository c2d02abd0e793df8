// MySQL / MariaDB connector against the real server: connecting and its
// failures, the session, catalog (list/describe/names), queries, streaming
// and dropped connections.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cmath>

#include "fixture.hpp"

namespace polydb::mytest {
namespace {

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

Batch numbers(int64_t from, int64_t to) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""}, {"v", TypeId::string, true, ""}};
  s->primary_key = {"id"};
  Batch b(s);
  for (int64_t i = from; i <= to; ++i) b.append_row(std::vector<Value>{i, "v" + std::to_string(i)});
  return b;
}

using MysqlConnect = MysqlTest;

TEST(MysqlConnectFailures, WrongPasswordIsAuthAndNeverShowsThePassword) {
  Uri u = Uri::parse(server_url());
  u.password = Secret("wrong-Secret-42");
  const Error e = error_of([&] { connect(u.to_string_with_secrets()); });
  EXPECT_EQ(e.code(), ErrorCode::auth) << e.what();
  EXPECT_FALSE(e.retryable());
  EXPECT_NE(e.message().find("Access denied"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("check the user name and password"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find(":***@"), std::string::npos) << e.what();
  EXPECT_NE(e.detail().find("1045"), std::string::npos) << e.detail();
  for (const std::string& text : {std::string(e.what()), e.detail()})
    EXPECT_EQ(text.find("wrong-Secret-42"), std::string::npos) << text;
}

TEST(MysqlConnectFailures, UnknownDatabaseIsNotFound) {
  Uri u = Uri::parse(server_url());
  u.path = "/no_such_database_polydb";
  const Error e = error_of([&] { connect(u.to_string_with_secrets()); });
  EXPECT_EQ(e.code(), ErrorCode::not_found) << e.what();
  EXPECT_NE(e.message().find("no_such_database_polydb"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("CREATE DATABASE"), std::string::npos) << "a hint: " << e.what();
}

TEST(MysqlConnectFailures, RefusedConnectionIsRetriedBrieflyThenReported) {
  Uri u = Uri::parse(server_url());
  u.port = closed_port();
  const auto start = std::chrono::steady_clock::now();
  const Error e = error_of([&] { connect(u.to_string_with_secrets()); });
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(e.code(), ErrorCode::connection) << e.what();
  EXPECT_TRUE(e.retryable());
  EXPECT_NE(e.message().find("is the server running"), std::string::npos) << e.what();
  EXPECT_NE(e.detail().find("2002"), std::string::npos) << e.detail();
  EXPECT_LT(took, std::chrono::seconds(3)) << "retries are few and bounded";
  // net/retry's loop (full-jitter backoff, so no lower bound on the time).
  EXPECT_NE(e.message().find("gave up after 3 attempts"), std::string::npos) << e.what();
}

TEST(MysqlConnectFailures, TlsFailuresAreReported) {
  // The test server has no TLS: demanding it must fail, never fall back to plain text.
  for (const char* mode : {"REQUIRED", "VERIFY_IDENTITY"}) {
    const Error e = error_of([&] { connect(server_url() + "?ssl-mode=" + mode); });
    EXPECT_EQ(e.code(), ErrorCode::connection) << mode << ": " << e.what();
    EXPECT_FALSE(e.retryable()) << mode;
    EXPECT_NE(e.detail().find("2026"), std::string::npos) << mode << ": " << e.detail();
    EXPECT_NE(e.message().find("ssl-mode"), std::string::npos) << "a hint: " << e.what();
  }
  // Without a demand, plain text is fine.
  EXPECT_NO_THROW(connect(server_url() + "?ssl-mode=PREFERRED"));
  EXPECT_NO_THROW(connect(server_url() + "?ssl-mode=DISABLED&connect-timeout=5&read-timeout=30"));
}

TEST_F(MysqlConnect, SessionIsStrictUtcAndUtf8mb4) {
  auto r = conn_->query("SELECT @@sql_mode, @@time_zone, @@character_set_client");
  const auto rows = collect_rows(*r);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NE(rows[0][0].as<std::string>().find("STRICT_ALL_TABLES"), std::string::npos);
  EXPECT_NE(rows[0][0].as<std::string>().find("NO_ZERO_DATE"), std::string::npos);
  EXPECT_EQ(rows[0][1], Value("+00:00"));
  EXPECT_EQ(rows[0][2], Value("utf8mb4"));
  const PingResult p = conn_->ping();
  EXPECT_NE(p.server_version.find("MariaDB"), std::string::npos) << p.server_version;
  EXPECT_EQ(p.role, "primary");
  EXPECT_EQ(conn_->backend(), "mysql");
  EXPECT_EQ(conn_->display_url().find(":polydb@"), std::string::npos) << conn_->display_url();
}

TEST_F(MysqlConnect, ListDescribeViewsAndQualifiedNames) {
  conn_->execute(
      "CREATE TABLE orders (region CHAR(2) NOT NULL, id INT UNSIGNED NOT NULL, "
      "note VARCHAR(20), amount DECIMAL(10,2), PRIMARY KEY (region, id))");
  conn_->execute("CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount > 100");
  conn_->execute("CREATE TABLE `we``ird name` (x INT)");
  const auto tables = conn_->list_tables();
  ASSERT_EQ(tables.size(), 3u);
  EXPECT_EQ(tables[0].name, "big_orders");
  EXPECT_EQ(tables[0].kind, "view");
  EXPECT_EQ(tables[1].name, "orders");
  EXPECT_EQ(tables[1].kind, "table");
  EXPECT_EQ(tables[2].name, "we`ird name");

  for (const std::string& name : {std::string("orders"), db_ + ".orders"}) {
    const Schema s = conn_->describe(name);
    ASSERT_EQ(s.fields.size(), 4u) << name;
    EXPECT_EQ(s.primary_key, (std::vector<std::string>{"region", "id"}));
    EXPECT_EQ(s.fields[0].type, Type(TypeId::string));
    EXPECT_FALSE(s.fields[0].nullable);
    EXPECT_EQ(s.fields[1].type, Type(TypeId::int64));
    EXPECT_EQ(s.fields[1].native_type, "int(10) unsigned");
    EXPECT_EQ(s.fields[3].type, Type(TypeId::decimal, 10, 2));
    EXPECT_TRUE(s.fields[2].nullable);
  }
  EXPECT_EQ(conn_->describe("big_orders").fields.size(), 4u);
  EXPECT_EQ(conn_->describe("we`ird name").fields[0].name, "x");
  conn_->execute("INSERT INTO `we``ird name` VALUES (7)");
  EXPECT_EQ(scan_all(*conn_, "we`ird name", {{"x"}}).at(0).at(0), Value(int64_t{7}));

  EXPECT_EQ(error_of([&] { conn_->describe("nope"); }).code(), ErrorCode::not_found);
  EXPECT_EQ(error_of([&] { conn_->describe("no_db_xyz.orders"); }).code(), ErrorCode::not_found);
  EXPECT_EQ(error_of([&] { conn_->count_rows("nope"); }).code(), ErrorCode::not_found);
  conn_->drop_table("big_orders");  // a view
  EXPECT_EQ(conn_->list_tables().size(), 2u);
  EXPECT_EQ(error_of([&] { conn_->drop_table("big_orders", false); }).code(), ErrorCode::not_found);

  // Without a database in the URL, tables are named db.table.
  auto no_db = connect(url_for(""));
  bool found = false;
  for (const auto& t : no_db->list_tables()) found = found || t.name == db_ + ".orders";
  EXPECT_TRUE(found);
  EXPECT_EQ(no_db->count_rows(db_ + ".orders"), 0u);
}

TEST_F(MysqlConnect, QueryParametersExecuteAndErrors) {
  write(*conn_, "t", numbers(1, 50), WriteMode::create);
  const std::vector<Value> p{int64_t{10}, "v1%"};
  auto r =
      conn_->query("SELECT id, v, id * 1.5 AS x, NULL AS n FROM t WHERE id <= ? AND v LIKE ?", p);
  EXPECT_EQ(r->schema().fields[0].type, Type(TypeId::int64));
  EXPECT_EQ(r->schema().fields[1].type, Type(TypeId::string));
  EXPECT_EQ(r->schema().fields[2].type.id, TypeId::decimal);
  EXPECT_EQ(r->schema().fields[2].type.scale, 1);
  const auto rows = collect_rows(*r);
  ASSERT_EQ(rows.size(), 2u);  // 1 and 10
  EXPECT_EQ(rows[1][2], Value(Decimal{"15.0"}));
  EXPECT_TRUE(rows[1][3].is_null());
  const std::vector<Value> one{int64_t{45}};
  EXPECT_EQ(conn_->execute("UPDATE t SET v = 'x' WHERE id > ?", one), 5u);
  EXPECT_EQ(conn_->execute("DELETE FROM t WHERE v = 'x'"), 5u);
  EXPECT_EQ(error_of([&] { conn_->query("SELECT ? + ?", one); }).code(),
            ErrorCode::invalid_argument);
  EXPECT_EQ(error_of([&] { conn_->execute("SELEC 1"); }).code(), ErrorCode::invalid_argument);
  EXPECT_EQ(error_of([&] { conn_->query("SELECT nope FROM t"); }).code(), ErrorCode::not_found);
  const Error dup = error_of([&] { conn_->execute("INSERT INTO t VALUES (1, 'again')"); });
  EXPECT_EQ(dup.code(), ErrorCode::conflict) << dup.what();
  const Error nan = error_of([&] {
    const std::vector<Value> v{std::nan("")};
    conn_->query("SELECT ?", v);
  });
  EXPECT_EQ(nan.code(), ErrorCode::type_mismatch) << nan.what();
  EXPECT_EQ(conn_->count_rows("t"), 45u) << "the connection is usable after errors";
}

TEST_F(MysqlConnect, CursorReadersStreamAndLetOtherStatementsRun) {
  write(*conn_, "t", numbers(1, 5000), WriteMode::create);
  auto r1 = conn_->scan({.table = "t", .batch_rows = 100});
  auto r2 = conn_->scan({.table = "t", .order_by = {{"id", true}}, .batch_rows = 1000});
  size_t n1 = 0, n2 = 0, batches = 0;
  // Interleave two readers, and other statements between their batches.
  for (bool more = true; more;) {
    more = false;
    if (auto b = r1->next()) {
      n1 += b->num_rows();
      ++batches;
      more = true;
      EXPECT_LE(b->num_rows(), 100u);
    }
    if (auto b = r2->next()) {
      n2 += b->num_rows();
      more = true;
    }
    EXPECT_EQ(conn_->count_rows("t"), 5000u);
  }
  EXPECT_EQ(n1, 5000u);
  EXPECT_EQ(n2, 5000u);
  EXPECT_EQ(batches, 50u);
}

TEST_F(MysqlConnect, ResultsWithoutCursorHoldTheConnectionWithAClearError) {
  write(*conn_, "t", numbers(1, 3), WriteMode::create);
  // The server gives cursors to SELECT only: EXPLAIN streams.
  auto r = conn_->query("EXPLAIN SELECT * FROM t", {}, {.batch_rows = 1});
  const Error busy = error_of([&] { conn_->count_rows("t"); });
  EXPECT_EQ(busy.code(), ErrorCode::invalid_argument) << busy.what();
  EXPECT_NE(busy.message().find("still streaming"), std::string::npos) << busy.what();
  EXPECT_EQ(collect_rows(*r).size(), 1u);
  EXPECT_EQ(conn_->count_rows("t"), 3u) << "free again once read to the end";
  { auto unfinished = conn_->query("CHECK TABLE t"); }
  EXPECT_EQ(conn_->count_rows("t"), 3u) << "free again once destroyed";
}

TEST_F(MysqlConnect, WithoutServerCursorsResultsStream) {
  write(*conn_, "t", numbers(1, 3000), WriteMode::create);
  auto c = connect(url_ + "?server-cursor=false");
  auto r = c->scan({.table = "t", .batch_rows = 1000});
  EXPECT_EQ(r->next()->num_rows(), 1000u);
  EXPECT_EQ(error_of([&] { c->count_rows("t"); }).code(), ErrorCode::invalid_argument);
  size_t rows = 1000;
  while (auto b = r->next()) rows += b->num_rows();
  EXPECT_EQ(rows, 3000u);
  EXPECT_EQ(c->count_rows("t"), 3000u);
}

TEST_F(MysqlConnect, DroppedConnectionMidReadThrows) {
  write(*conn_, "t", numbers(1, 20000), WriteMode::create);
  auto id = collect_rows(*conn_->query("SELECT CONNECTION_ID()"));
  const int64_t connection_id = id.at(0).at(0).as<int64_t>();
  auto r = conn_->scan({.table = "t", .batch_rows = 500});
  size_t rows = r->next()->num_rows();
  connect(server_)->execute("KILL " + std::to_string(connection_id));
  try {
    while (auto b = r->next()) rows += b->num_rows();
    FAIL() << "read " << rows << " rows from a killed connection without an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::connection) << e.what();
    EXPECT_TRUE(e.retryable());
  }
  EXPECT_LT(rows, 20000u);
}

}  // namespace
}  // namespace polydb::mytest
