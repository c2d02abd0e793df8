#include "connectors/cosmos/documents.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "connectors/common/document_schema.hpp"
#include "connectors/cosmos/types.hpp"
#include "core/encoding.hpp"
#include "polydb/error.hpp"

namespace polydb::cosmos {

namespace {

std::string random_id() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  Uuid u;
  for (auto& b : u.bytes) b = static_cast<uint8_t>(rng());
  u.bytes[6] = static_cast<uint8_t>((u.bytes[6] & 0x0f) | 0x40);  // version 4
  u.bytes[8] = static_cast<uint8_t>((u.bytes[8] & 0x3f) | 0x80);
  return format_uuid(u);
}

}  // namespace

Json partition_values(const Json& doc, const PartitionKey& key) {
  Json values = Json::array();
  for (const auto& p : key.paths) {
    auto it = doc.find(p);
    values.push_back(it == doc.end() ? Json::object() : *it);
  }
  return values;
}

DocumentEncoder::DocumentEncoder(std::string_view table, const Schema& source,
                                 std::vector<size_t> key_columns, const Schema& target)
    : table_(table), source_(source), key_columns_(std::move(key_columns)) {
  id_column_ = source_.index_of("id");
  extra_ = extra_column(source_, table_, "cosmos");
  for (const auto& f : source_.fields) {
    std::optional<Type> to;
    if (auto idx = target.index_of(f.name); idx && f.name != "id") {
      const Field& t = target.fields[*idx];
      const bool pure = t.native_type.find('|') == std::string::npos &&
                        t.native_type.find("null") == std::string::npos;
      if (pure && t.type.id != f.type.id && t.type.id != TypeId::json) to = t.type;
    }
    convert_to_.push_back(to);
  }
}

Json DocumentEncoder::document(const Batch& batch, size_t r, uint64_t row_number,
                               bool key_only) const {
  Json doc = Json::object();
  for (size_t c = 0; c < source_.fields.size(); ++c) {
    if (c == extra_) continue;
    if (key_only && c != id_column_ &&
        std::find(key_columns_.begin(), key_columns_.end(), c) == key_columns_.end())
      continue;
    const Column& col = batch.column(c);
    try {
      Value v = col.value_at(r);
      if (convert_to_[c] && !v.is_null()) v = coerce_value(v, *convert_to_[c]);
      if (auto j = value_to_json(v)) doc[source_.fields[c].name] = std::move(*j);
    } catch (const Error& e) {
      throw Error(e.code(),
                  fmt::format("row {}, column '{}' of '{}': {}", row_number,
                              source_.fields[c].name, table_, e.message()),
                  "cosmos", e.detail());
    }
  }
  if (!key_only && extra_ && !batch.column(*extra_).is_null(r))
    add_extra(doc, batch.column(*extra_).var_at(r), row_number);
  std::string id;
  if (id_column_) {
    const Value v = batch.column(*id_column_).value_at(r);
    id = v.is_null() ? std::string() : v.to_text();
  } else if (!key_columns_.empty()) {
    std::vector<Value> values;
    for (size_t c : key_columns_) values.push_back(batch.column(c).value_at(r));
    std::vector<const Value*> ptrs;
    for (const auto& v : values) ptrs.push_back(&v);
    id = item_id(ptrs);
  } else {
    id = random_id();
  }
  if (id.empty())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("row {} of '{}': the id (or a key column) is NULL", row_number,
                            table_),
                "cosmos");
  doc["id"] = id;
  return doc;
}

// The properties of a catch-all cell into `doc` (docs/cosmos.md).
void DocumentEncoder::add_extra(Json& doc, std::string_view text, uint64_t row_number) const {
  try {
    for (const auto& [name, value] : split_extra(text, "cosmos")) {
      if (doc.contains(name))
        throw Error(ErrorCode::invalid_argument, extra_conflict_message(name), "cosmos");
      if (value != "null") doc[name] = Json::parse(value);
    }
  } catch (const Error& e) {
    throw Error(e.code(),
                fmt::format("row {}, column '{}' of '{}': {}", row_number, kExtraColumn, table_,
                            e.message()),
                "cosmos", e.detail());
  }
}

}  // namespace polydb::cosmos
