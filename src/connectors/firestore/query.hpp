#pragma once

// Structured queries (private to the connector, pure: unit-tested without a
// server): collection paths, scan pushdown from a ScanSpec, the ordering and
// cursors that page through a result, and the native query dialect.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "connectors/common/key_boundaries.hpp"
#include "polydb/connection.hpp"
#include "polydb/value.hpp"

namespace polydb::firestore {

using Json = nlohmann::ordered_json;

/// The pseudo-columns every collection has: the document id (the key when no
/// field holds it) and the full resource name.
inline constexpr std::string_view kIdColumn = "__id__";
inline constexpr std::string_view kNameColumn = "__name__";

/// A collection path: "users" or, for a subcollection, "users/u1/orders".
struct CollectionPath {
  std::string parent;  ///< the parent document's path; "" for a root collection
  std::string id;      ///< the collection id
  std::string path() const { return parent.empty() ? id : parent + "/" + id; }
};

/// Splits a table name. Throws Error(invalid_argument) for an empty segment
/// or an even number of segments (a document path, not a collection).
CollectionPath parse_collection(std::string_view table);

/// A StructuredQuery made from a ScanSpec.
struct ScanQuery {
  Json query;                    ///< from, select, where, orderBy (no limit, no cursor)
  bool filter_pushed = false;    ///< some conjunct went into `where`
  bool filter_complete = false;  ///< all of it did (no conjunct is left to polydb)
  bool order_pushed = false;     ///< the spec's order_by is the query's order
};

/// Builds the query for `spec` over the collection `collection_id`.
/// `full` is the (inferred) schema: a comparison is pushed only when
/// Firestore evaluates it as polydb does (the field holds one kind of value
/// and the literal is of that kind; strings, numbers, booleans, timestamps;
/// `__id__` by equality), at most one field has inequalities (Firestore must
/// order by it), OR only around equalities. IS NULL is never pushed: Firestore
/// does not match missing fields. ORDER BY is pushed only on `__id__`. A
/// partitioned spec (partition.count > 1) keeps the one inequality for the
/// segment's range of `__name__` (restrict_names).
/// `select` are the fields to read (empty = whole documents);
/// `collection_name` the collection's full resource name (for `__id__`).
ScanQuery build_scan_query(const ScanSpec& spec, const Schema& full,
                           std::string_view collection_id, const std::vector<std::string>& select,
                           std::string_view collection_name);

/// Adds `names` (full document names; [from, to)) to the query's filter: a
/// segment of a partitioned scan. The query must have no inequality on
/// another field (build_scan_query leaves none for a partitioned spec).
void restrict_names(Json& structured_query, const KeySpan& names);

/// The order Firestore gives document names (resource names): segment by
/// segment, a shorter path first, numeric ids (`__id7__`) before the others
/// and by number, other ids by their UTF-8 bytes. <0, 0 or >0.
int compare_document_names(std::string_view a, std::string_view b) noexcept;

/// The split points in the responses of a partitionQuery (its pages, as
/// documented: {"partitions": [Cursor, ...], "nextPageToken": ...}, a Cursor
/// {"values": [{"referenceValue": NAME}], "before": ...}) that fall in the
/// collection named `collection_name` (a partitionQuery covers the whole
/// collection group, so points outside it are of no use to it), in name
/// order (pages are not ordered among themselves) without repeats. Entries
/// of another shape are ignored.
std::vector<std::string> partition_boundaries(std::span<const Json> responses,
                                              std::string_view collection_name);

/// Makes a query's order total, as Firestore orders it implicitly: the
/// explicit orderBy, then inequality fields not yet ordered (ascending, by
/// path), then `__name__` (in the direction of the last order), so that a
/// cursor from the last document of one page starts the next.
void complete_order(Json& structured_query);

/// A cursor just after `document` for a query whose orderBy is complete.
Json cursor_after(const Json& structured_query, const Json& document);

/// The value at a field path ("a.b", "`x.y`.z") of a document, or nullptr.
const Json* lookup_field(const Json& document, std::string_view path);

/// A native query: a StructuredQuery, its parent document and its limit.
struct NativeQuery {
  std::string parent;  ///< "" for root collections
  Json query;
  std::optional<uint64_t> limit;  ///< taken out of the query (paging sets its own)
  uint64_t offset = 0;            ///< likewise
};

/// Parses the native dialect: a JSON object, either a StructuredQuery
/// ({"from": [{"collectionId": "users"}], "where": ...}) with an optional
/// "parent" document path, or {"structuredQuery": {...}, "parent": ...}, or the
/// shorthand "collection": "users/u1/orders" for from + parent. Parameters
/// replace every {"param": N} object (N 1-based) by the Firestore value of
/// params[N-1], typed, never spliced into text. Throws Error(invalid_argument)
/// for SQL or any other text that is not such an object.
NativeQuery parse_native_query(std::string_view text, std::span<const Value> params);

/// Parses the native statement of execute(): {"writes": [Write, ...]} or a
/// single Write ({"update": {"name": "users/u1", "fields": {...}}, "updateMask":
/// ..., "currentDocument": ...} or {"delete": "users/u1"}), with parameters as
/// in queries. Document names relative to the database ("users/u1") are made
/// full with `root`. Throws Error(invalid_argument).
Json parse_native_writes(std::string_view text, std::span<const Value> params,
                         std::string_view root);

}  // namespace polydb::firestore
