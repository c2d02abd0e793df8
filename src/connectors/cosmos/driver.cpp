#include <memory>

#include "connectors/cosmos/connection.hpp"
#include "connectors/registry.hpp"

namespace polydb {

void register_cosmos(Registry& registry) {
  registry.add("cosmos", {"cosmos"},
               [](const Uri& uri, const ConnectOptions& options) -> std::unique_ptr<Connection> {
                 return std::make_unique<cosmos::CosmosConnection>(uri, options);
               });
}

}  // namespace polydb
