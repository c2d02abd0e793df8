#include <memory>

#include "connectors/firestore/connection.hpp"
#include "connectors/registry.hpp"

namespace polydb {

void register_firestore(Registry& registry) {
  registry.add("firestore", {"firestore"},
               [](const Uri& uri, const ConnectOptions& options) -> std::unique_ptr<Connection> {
                 return std::make_unique<firestore::FirestoreConnection>(uri, options);
               });
}

}  // namespace polydb
