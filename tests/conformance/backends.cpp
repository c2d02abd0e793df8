#include "backends.hpp"

#include <stdlib.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/uri.hpp"

namespace polydb::conformance {

namespace {

std::string temp_sqlite_url() {
  static std::atomic<int> counter{0};
  // One folder per test process, removed at exit (each ctest test is a
  // process of its own: a folder left behind by each added up in /tmp).
  struct TempDir {
    std::filesystem::path path;
    TempDir() {
      std::string tmpl = (std::filesystem::temp_directory_path() / "polydb-conf-XXXXXX").string();
      path = mkdtemp(tmpl.data());
    }
    ~TempDir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const TempDir dir;
  return "sqlite://" + (dir.path / ("t" + std::to_string(counter++) + ".db")).string() +
         "?mode=rwc";
}

// PostgreSQL: one new database per test (list_tables must see only the test's
// own tables), named polydb_conf_<pid>_<n>. The previous one is dropped when
// the next is made and the last at exit; ones left by a crashed run are dropped
// once their process is gone.
struct PostgresDatabases {
  std::mutex mutex;
  std::string admin_url;
  std::unique_ptr<Connection> admin;
  std::vector<std::string> created;
  int counter = 0;

  static PostgresDatabases& get() {
    static PostgresDatabases* d = new PostgresDatabases;  // outlives the atexit handler
    return *d;
  }

  void drop_created() {
    for (const auto& name : created)
      admin->execute("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
    created.clear();
  }

  void drop_stale() {
    auto r = admin->query(
        "SELECT datname FROM pg_database WHERE datname LIKE 'polydb\\_conf\\_%'");
    std::vector<std::string> stale;
    while (auto b = r->next())
      for (size_t i = 0; i < b->num_rows(); ++i) {
        const std::string name(b->column(0).var_at(i));
        const long pid = std::strtol(name.c_str() + 12, nullptr, 10);
        if (pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
          stale.push_back(name);
      }
    r.reset();
    for (const auto& name : stale)
      admin->execute("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
  }

  std::string fresh() {
    const char* base = std::getenv("POLYDB_TEST_POSTGRES_URL");
    if (!base || !*base)
      throw std::runtime_error(
          "POLYDB_TEST_POSTGRES_URL is not set, so the PostgreSQL conformance tests cannot "
          "run: use `make test`, or start the server with `scripts/services.sh start postgres` "
          "and export its URL with "
          "eval \"$(scripts/services.sh env | sed 's/^/export /')\"");
    std::lock_guard lock(mutex);
    if (!admin) {
      admin_url = base;
      admin = connect(admin_url);
      drop_stale();
      // Registered after the connector registry and loggers exist, so it runs
      // before they are destroyed.
      std::atexit([] {
        try {
          auto& d = get();
          std::lock_guard l(d.mutex);
          d.drop_created();
          d.admin.reset();
        } catch (...) {
        }
      });
    }
    drop_created();
    const std::string name =
        "polydb_conf_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
    admin->execute("CREATE DATABASE \"" + name + "\" TEMPLATE template0 STRATEGY FILE_COPY");
    created.push_back(name);
    Uri uri = Uri::parse(admin_url);
    uri.path = "/" + name;
    return uri.to_string_with_secrets();
  }
};

// MySQL / MariaDB: one new database per test, named polydb_conf_<pid>_<n>,
// made and dropped like the PostgreSQL ones above.
struct MysqlDatabases {
  std::mutex mutex;
  std::string admin_url;
  std::unique_ptr<Connection> admin;
  std::vector<std::string> created;
  int counter = 0;

  static MysqlDatabases& get() {
    static MysqlDatabases* d = new MysqlDatabases;  // outlives the atexit handler
    return *d;
  }

  void drop_created() {
    for (const auto& name : created) admin->execute("DROP DATABASE IF EXISTS `" + name + "`");
    created.clear();
  }

  void drop_stale() {
    auto r = admin->query(
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE "
        "'polydb\\_conf\\_%'");
    std::vector<std::string> stale;
    while (auto b = r->next())
      for (size_t i = 0; i < b->num_rows(); ++i) {
        const std::string name(b->column(0).var_at(i));
        const long pid = std::strtol(name.c_str() + 12, nullptr, 10);
        if (pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
          stale.push_back(name);
      }
    r.reset();
    for (const auto& name : stale) admin->execute("DROP DATABASE IF EXISTS `" + name + "`");
  }

  std::string fresh() {
    const char* base = std::getenv("POLYDB_TEST_MYSQL_URL");
    if (!base || !*base)
      throw std::runtime_error(
          "POLYDB_TEST_MYSQL_URL is not set, so the MySQL/MariaDB conformance tests cannot "
          "run: use `make test`, or start the server with `scripts/services.sh start mariadb` "
          "and export its URL with "
          "eval \"$(scripts/services.sh env | sed 's/^/export /')\"");
    std::lock_guard lock(mutex);
    if (!admin) {
      admin_url = base;
      admin = connect(admin_url);
      drop_stale();
      std::atexit([] {
        try {
          auto& d = get();
          std::lock_guard l(d.mutex);
          d.drop_created();
          d.admin.reset();
        } catch (...) {
        }
      });
    }
    drop_created();
    const std::string name =
        "polydb_conf_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
    admin->execute("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4");
    created.push_back(name);
    Uri uri = Uri::parse(admin_url);
    uri.path = "/" + name;
    return uri.to_string_with_secrets();
  }
};

// DynamoDB: one endpoint for every test (it has no databases); each test
// creates and drops its own uniquely named table. The emulator accepts any
// credentials: dummy ones are set when the environment has none.
std::string dynamodb_url() {
  const char* url = std::getenv("POLYDB_TEST_DYNAMODB_URL");
  if (!url || !*url)
    throw std::runtime_error(
        "POLYDB_TEST_DYNAMODB_URL is not set, so the DynamoDB conformance tests cannot run: "
        "use `make test`, or start the emulator with `scripts/services.sh start dynamodb` and "
        "export its URL with eval \"$(scripts/services.sh env | sed 's/^/export /')\"");
  setenv("AWS_ACCESS_KEY_ID", "polydbtest", 0);
  setenv("AWS_SECRET_ACCESS_KEY", "polydbtest", 0);
  return url;
}

// ODBC: the same fresh PostgreSQL / MariaDB databases as above, reached
// through the psqlODBC and MariaDB Connector/ODBC drivers with a raw
// connection string (odbc:///?connection-string=...).
std::string odbc_url(const std::string& native_url, std::string_view driver,
                     std::string_view user_key, std::string_view password_key) {
  const Uri u = Uri::parse(native_url);
  // Braces only where needed: psqlODBC keeps them as part of a plain value.
  const auto brace = [](std::string_view v) {
    if (v.find_first_of(";{}= ") == std::string_view::npos) return std::string(v);
    std::string out = "{";
    for (char c : v) out += c == '}' ? std::string("}}") : std::string(1, c);
    return out + "}";
  };
  const std::string cs = "Driver={" + std::string(driver) + "};Server=" + u.host +
                         ";Port=" + std::to_string(u.port.value_or(0)) +
                         ";Database=" + brace(u.database()) + ";" + std::string(user_key) + "=" +
                         brace(u.user) + ";" + std::string(password_key) + "=" +
                         brace(u.password.reveal());
  return "odbc:///?connection-string=" + percent_encode(cs);
}

// Cosmos DB: the URL's database (created when missing) for every test; each
// test creates and drops its own container. The emulator checks no key: the
// well-known emulator key is set when COSMOS_KEY is unset.
std::string cosmos_url() {
  const char* url = std::getenv("POLYDB_TEST_COSMOS_URL");
  if (!url || !*url)
    throw std::runtime_error(
        "POLYDB_TEST_COSMOS_URL is not set, so the Cosmos DB conformance tests cannot run: use "
        "`make test`, or start the emulator with `scripts/services.sh start cosmos` and export "
        "its URL with eval \"$(scripts/services.sh env | sed 's/^/export /')\"");
  setenv("COSMOS_KEY",
         "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==",
         0);
  return url;
}

// Firestore: one new project per test on the emulator (projects are created
// on first use and keep tests apart, list_tables included); TearDown's
// drop_table deletes the test's documents.
std::string firestore_url() {
  const char* url = std::getenv("POLYDB_TEST_FIRESTORE_URL");
  if (!url || !*url)
    throw std::runtime_error(
        "POLYDB_TEST_FIRESTORE_URL is not set, so the Firestore conformance tests cannot run: "
        "use `make test`, or start the emulator with `scripts/services.sh start firestore` and "
        "export its URL with eval \"$(scripts/services.sh env | sed 's/^/export /')\"");
  static std::atomic<int> counter{0};
  Uri uri = Uri::parse(url);
  uri.host = "polydb-conf-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  return uri.to_string_with_secrets();
}

}  // namespace

const std::vector<Backend>& all_backends() {
  static const std::vector<Backend> backends = [] {
    std::vector<Backend> b;
    Quirks sqlite;
    sqlite.stores_nan = false;
    sqlite.placeholder = [](int n) { return "?" + std::to_string(n); };
    b.push_back({"sqlite", temp_sqlite_url, sqlite});
    Quirks postgres;  // $N placeholders; NaN and ±Infinity are stored
    b.push_back({"postgres", [] { return PostgresDatabases::get().fresh(); }, postgres});
    // MariaDB's DOUBLE holds neither NaN nor ±Infinity: the connector refuses them.
    Quirks mysql;
    mysql.stores_nan = false;
    mysql.stores_infinity = false;
    mysql.decimal_keeps_written_scale = false;  // DECIMAL(p,s) has one scale
    mysql.placeholder = [](int) { return std::string("?"); };
    b.push_back({"mysql", [] { return MysqlDatabases::get().fresh(); }, mysql});
    // DynamoDB: no SQL, no transactions, no column types (inferred from
    // items), numbers normalised ("1.50" reads "1.5"), NaN/Infinity refused,
    // 400 KB items.
    Quirks dynamodb;
    dynamodb.stores_nan = false;
    dynamodb.stores_infinity = false;
    dynamodb.decimal_keeps_written_scale = false;
    dynamodb.sql = false;
    dynamodb.transactional_writes = false;
    dynamodb.exact_describe = false;
    dynamodb.extra_column = true;
    dynamodb.fixed_columns = false;
    dynamodb.upserts_keep_other_columns = false;
    dynamodb.any_table_name = false;
    dynamodb.max_value_bytes = 256 * 1024;
    dynamodb.resume_points = true;  // ExclusiveStartKey
    b.push_back({"dynamodb", dynamodb_url, dynamodb});
    // ODBC (gtest names allow no '-'): `?` placeholders; through psqlODBC the
    // PostgreSQL quirks, through MariaDB Connector/ODBC the MySQL ones.
    Quirks odbc_postgres = postgres;
    odbc_postgres.placeholder = [](int) { return std::string("?"); };
    b.push_back({"odbc_postgres",
                 [] {
                   return odbc_url(PostgresDatabases::get().fresh(), "PostgreSQL Unicode", "Uid",
                                   "Pwd");
                 },
                 odbc_postgres});
    b.push_back({"odbc_mariadb",
                 [] {
                   return odbc_url(MysqlDatabases::get().fresh(), "MariaDB Unicode", "User",
                                   "Password");
                 },
                 mysql});
    // Cosmos DB: its SQL is Cosmos SQL (no DML, no GROUP BY or OFFSET/LIMIT
    // in the emulator), no transactions across partitions, no column types,
    // JSON numbers (NaN/Infinity refused), 2 MB items (bytes stored as hex text).
    Quirks cosmos = dynamodb;
    cosmos.max_value_bytes = 512 * 1024;
    cosmos.resume_points = true;  // x-ms-continuation (and the items of its page read)
    cosmos.any_table_name = true;
    b.push_back({"cosmos", cosmos_url, cosmos});
    // Firestore: no SQL (structured-query JSON), batchWrite is not
    // transactional, schemas are inferred from documents, 1 MiB documents.
    Quirks firestore;
    firestore.sql = false;
    firestore.transactional_writes = false;
    firestore.exact_describe = false;
    firestore.extra_column = true;
    firestore.fixed_columns = false;
    firestore.upserts_keep_other_columns = false;
    firestore.max_value_bytes = 256 * 1024;
    firestore.empty_tables_exist = false;
    firestore.resume_points = true;  // a cursor after the last document
    b.push_back({"firestore", firestore_url, firestore});
    return b;
  }();
  return backends;
}

}  // namespace polydb::conformance
