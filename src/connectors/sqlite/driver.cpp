#include <memory>

#include "connectors/registry.hpp"
#include "connectors/sqlite/connection.hpp"

namespace polydb {

void register_sqlite(Registry& registry) {
  registry.add("sqlite", {"sqlite", "sqlite3"},
               [](const Uri& uri, const ConnectOptions& options) -> std::unique_ptr<Connection> {
                 return std::make_unique<sqlite::SqliteConnection>(uri, options);
               });
}

}  // namespace polydb
