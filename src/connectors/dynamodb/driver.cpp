#include <memory>

#include "connectors/dynamodb/connection.hpp"
#include "connectors/registry.hpp"

namespace polydb {

void register_dynamodb(Registry& registry) {
  registry.add("dynamodb", {"dynamodb"},
               [](const Uri& uri, const ConnectOptions& options) -> std::unique_ptr<Connection> {
                 return std::make_unique<dynamodb::DynamoConnection>(uri, options);
               });
}

}  // namespace polydb
