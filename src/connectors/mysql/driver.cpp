#include <memory>

#include "connectors/mysql/connection.hpp"
#include "connectors/registry.hpp"

namespace polydb {

void register_mysql(Registry& registry) {
  registry.add("mysql", {"mysql", "mariadb"},
               [](const Uri& uri, const ConnectOptions& options) -> std::unique_ptr<Connection> {
                 return std::make_unique<mysql::MysqlConnection>(uri, options);
               });
}

}  // namespace polydb
