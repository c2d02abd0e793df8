#include <sqlite3.h>

#include <memory>

#include "connectors/registry.hpp"
#include "connectors/sqlite/connection.hpp"

namespace polydb {

void register_sqlite(Registry& registry) {
  // Memory statistics take a global mutex on every SQLite allocation (5% of a
  // bulk copy in profiles). polydb does not read them. This only succeeds
  // before SQLite is initialised; when the host application already
  // initialised it, its own settings stay (SQLITE_MISUSE, ignored).
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  registry.add("sqlite", {"sqlite", "sqlite3"},
               [](const Uri& uri, const ConnectOptions& options) -> std::unique_ptr<Connection> {
                 return std::make_unique<sqlite::SqliteConnection>(uri, options);
               });
}

}  // namespace polydb
