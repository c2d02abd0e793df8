// Single-item operations of CosmosConnection: create, upsert, replace (with
// If-Match), point read, delete and patch, each addressed by id plus the
// x-ms-documentdb-partitionkey header.

#include <fmt/format.h>

#include "connectors/cosmos/connection.hpp"
#include "polydb/error.hpp"

namespace polydb::cosmos {

namespace {

Item to_item(const net::HttpResponse& r, std::string_view what) {
  Item item;
  item.doc = Json::parse(r.body, nullptr, false);
  if (item.doc.is_discarded())
    throw Error(ErrorCode::connection, fmt::format("{}: the response is not JSON", what), "cosmos");
  if (auto e = r.headers.get("etag")) item.etag = std::string(*e);
  else item.etag = item.doc.value("_etag", "");
  return item;
}

std::string id_of(const Json& doc) {
  auto it = doc.find("id");
  if (it == doc.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
    throw Error(ErrorCode::invalid_argument,
                "a Cosmos DB item needs a non-empty string \"id\" property", "cosmos");
  return it->get<std::string>();
}

}  // namespace

Item CosmosConnection::create_item(std::string_view container, const Json& doc,
                                   const Json& partition_key) {
  const std::string what = fmt::format("Cosmos DB create of item '{}' in {}", id_of(doc), container);
  Request req{.method = "POST", .path = docs_path(container), .resource_type = "docs",
              .resource_link = docs_link(container), .body = doc.dump()};
  req.headers.set("x-ms-documentdb-partitionkey", partition_key.dump());
  return to_item(api_.call(req, what), what);
}

Item CosmosConnection::upsert_item(std::string_view container, const Json& doc,
                                   const Json& partition_key) {
  const std::string what = fmt::format("Cosmos DB upsert of item '{}' in {}", id_of(doc), container);
  Request req{.method = "POST", .path = docs_path(container), .resource_type = "docs",
              .resource_link = docs_link(container), .body = doc.dump()};
  req.headers.set("x-ms-documentdb-partitionkey", partition_key.dump());
  req.headers.set("x-ms-documentdb-is-upsert", "True");
  return to_item(api_.call(req, what), what);
}

Item CosmosConnection::replace_item(std::string_view container, const Json& doc,
                                    const Json& partition_key, std::string_view if_match) {
  const std::string id = id_of(doc);
  const std::string what = fmt::format("Cosmos DB replace of item '{}' in {}", id, container);
  Request req{.method = "PUT", .path = item_path(container, id), .resource_type = "docs",
              .resource_link = item_link(container, id), .body = doc.dump()};
  req.headers.set("x-ms-documentdb-partitionkey", partition_key.dump());
  if (!if_match.empty()) req.headers.set("If-Match", std::string(if_match));
  return to_item(api_.call(req, what), what);
}

std::optional<Item> CosmosConnection::read_item(std::string_view container, std::string_view id,
                                                const Json& partition_key) {
  const std::string what = fmt::format("Cosmos DB read of item '{}' in {}", id, container);
  Request req{.method = "GET", .path = item_path(container, id), .resource_type = "docs",
              .resource_link = item_link(container, id)};
  req.headers.set("x-ms-documentdb-partitionkey", partition_key.dump());
  const net::HttpResponse r = api_.call(req, what, {404});
  if (r.status == 404) {
    partition_key_of_existing(container);
    return std::nullopt;
  }
  return to_item(r, what);
}

bool CosmosConnection::delete_item(std::string_view container, std::string_view id,
                                   const Json& partition_key, std::string_view if_match) {
  const std::string what = fmt::format("Cosmos DB delete of item '{}' in {}", id, container);
  Request req{.method = "DELETE", .path = item_path(container, id), .resource_type = "docs",
              .resource_link = item_link(container, id)};
  req.headers.set("x-ms-documentdb-partitionkey", partition_key.dump());
  if (!if_match.empty()) req.headers.set("If-Match", std::string(if_match));
  const net::HttpResponse r = api_.call(req, what, {404});
  if (r.status == 404) {
    partition_key_of_existing(container);
    return false;
  }
  return true;
}

Item CosmosConnection::patch_item(std::string_view container, std::string_view id,
                                  const Json& partition_key, const Json& operations,
                                  std::string_view if_match) {
  const std::string what = fmt::format("Cosmos DB patch of item '{}' in {}", id, container);
  Request req{.method = "PATCH", .path = item_path(container, id), .resource_type = "docs",
              .resource_link = item_link(container, id),
              .body = Json{{"operations", operations}}.dump()};
  req.headers.set("x-ms-documentdb-partitionkey", partition_key.dump());
  req.headers.set("Content-Type", "application/json_patch+json");
  if (!if_match.empty()) req.headers.set("If-Match", std::string(if_match));
  return to_item(api_.call(req, what), what);
}

}  // namespace polydb::cosmos
