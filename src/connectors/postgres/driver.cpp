#include <memory>

#include "connectors/postgres/connection.hpp"
#include "connectors/registry.hpp"

namespace polydb {

void register_postgres(Registry& registry) {
  registry.add("postgresql", {"postgresql", "postgres"},
               [](const Uri& uri, const ConnectOptions& options) -> std::unique_ptr<Connection> {
                 return std::make_unique<postgres::PgConnection>(uri, options);
               });
}

}  // namespace polydb
