#include "connectors/dynamodb/items.hpp"

#include <fmt/format.h>

#include "connectors/common/document_schema.hpp"
#include "polydb/error.hpp"

namespace polydb::dynamodb {

namespace {

// Per source column: the set type when the URL's sets= names it. Every named
// column must be a json or string column of the rows, and not a key; a name
// that is no column is an attribute of the catch-all `_extra` when the rows
// have one (into `extra`).
std::vector<std::optional<SetType>> set_types(const DynamoOptions& options, const Schema& source,
                                              const KeySchema& keys, std::string_view table,
                                              std::map<std::string, SetType>& extra) {
  std::vector<std::optional<SetType>> out(source.fields.size());
  const bool has_extra = source.index_of(kExtraColumn).has_value();
  for (const auto& set : options.sets) {
    // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
    const auto& name = set.first;
    const auto& type = set.second;
    const auto idx = source.index_of(name);
    const auto bad = [&](std::string_view why) {
      return Error(ErrorCode::invalid_argument,
                   fmt::format("sets= names '{}', which {} (the rows for '{}')", name, why, table),
                   "dynamodb");
    };
    if (name == keys.hash || name == keys.range)
      throw bad("is a key attribute (keys are S, N or B)");
    if (!idx && has_extra) {
      extra[name] = type;
      continue;
    }
    if (!idx) throw bad("is not a column of the rows written");
    if (name == keys.hash || name == keys.range)
      throw bad("is a key attribute (keys are S, N or B)");
    const TypeId id = source.fields[*idx].type.id;
    if (id != TypeId::json && id != TypeId::string)
      throw bad(
          fmt::format("is a {} column (sets are written from JSON arrays in json or text "
                      "columns)",
                      to_string(source.fields[*idx].type)));
    out[*idx] = type;
  }
  return out;
}

}  // namespace

ItemEncoder::ItemEncoder(const DynamoOptions& options, std::string_view table,
                         const Schema& source, const KeySchema& keys, const Schema& target)
    : table_(table) {
  key_names_ = {keys.hash};
  if (!keys.range.empty()) key_names_.push_back(keys.range);
  for (const std::string* k : {&keys.hash, &keys.range})
    if (!k->empty() && !source.index_of(*k))
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("the rows for '{}' have no column '{}', which is part of the "
                              "table's key",
                              table, *k),
                  "dynamodb");
  extra_ = extra_column(source, table_, "dynamodb");
  set_types_ = set_types(options, source, keys, table_, extra_sets_);
  for (const auto& f : source.fields) {
    std::optional<Type> to;
    const std::string& key_type = f.name == keys.hash    ? keys.hash_type
                                  : f.name == keys.range ? keys.range_type
                                                         : std::string();
    if (!key_type.empty()) {
      bool fits = false;
      try {
        fits = key_attribute_type(f.type, f.name) == key_type;
      } catch (const Error&) {
      }
      if (!fits)
        to = key_type == "N" ? Type(TypeId::decimal) : key_type == "B" ? Type(TypeId::bytes)
                                                                        : Type(TypeId::string);
    } else if (auto idx = target.index_of(f.name)) {
      const Field& t = target.fields[*idx];
      const bool pure = t.native_type == "S" || t.native_type == "N" ||
                        t.native_type == "B" || t.native_type == "BOOL";
      if (pure && t.type.id != f.type.id && t.type.id != TypeId::json) to = t.type;
    }
    convert_to_.push_back(to);
    names_.push_back(f.name);
  }
}

std::optional<Json> ItemEncoder::attribute(const Batch& batch, size_t c, size_t r,
                                           uint64_t row_number) const {
  const Column& col = batch.column(c);
  try {
    if (set_types_[c] && !col.is_null(r)) return json_text_to_set_av(col.var_at(r), *set_types_[c]);
    if (convert_to_[c] && !col.is_null(r))
      return value_to_av(coerce_value(col.value_at(r), *convert_to_[c]));
    return cell_to_av(col, r);
  } catch (const Error& e) {
    throw Error(e.code(),
                fmt::format("row {}, column '{}' of '{}': {}", row_number, names_[c], table_,
                            e.message()),
                "dynamodb", e.detail());
  }
}

Json ItemEncoder::item(const Batch& batch, size_t r, uint64_t row_number) const {
  Json item = Json::object();
  for (size_t c = 0; c < names_.size(); ++c) {
    if (c == extra_) continue;
    if (auto av = attribute(batch, c, r, row_number)) item[names_[c]] = std::move(*av);
  }
  if (extra_ && !batch.column(*extra_).is_null(r))
    add_extra(item, batch.column(*extra_).var_at(r), row_number);
  check_key(item, row_number);
  return item;
}

Json ItemEncoder::key(const Batch& batch, size_t r, uint64_t row_number) const {
  Json key = Json::object();
  for (const auto& k : key_names_)
    for (size_t c = 0; c < names_.size(); ++c)
      if (names_[c] == k)
        if (auto av = attribute(batch, c, r, row_number)) key[k] = std::move(*av);
  check_key(key, row_number);
  return key;
}

void ItemEncoder::check_key(const Json& item, uint64_t row_number) const {
  for (const auto& k : key_names_)
    if (!item.contains(k))
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("row {} of '{}': the key attribute '{}' is NULL", row_number,
                              table_, k),
                  "dynamodb");
}

// The attributes of a catch-all cell into `item` (docs/dynamodb.md): each as
// a json column's value is written, a set when sets= names it.
void ItemEncoder::add_extra(Json& item, std::string_view text, uint64_t row_number) const {
  try {
    for (const auto& [name, value] : split_extra(text, "dynamodb")) {
      if (item.contains(name))
        throw Error(ErrorCode::invalid_argument, extra_conflict_message(name), "dynamodb");
      if (value == "null") continue;
      auto set = extra_sets_.find(name);
      if (set == extra_sets_.end()) {
        item[name] = json_text_to_av(value);
      } else if (auto av = json_text_to_set_av(value, set->second)) {
        item[name] = std::move(*av);
      }
    }
  } catch (const Error& e) {
    throw Error(e.code(),
                fmt::format("row {}, column '{}' of '{}': {}", row_number, kExtraColumn, table_,
                            e.message()),
                "dynamodb", e.detail());
  }
}

}  // namespace polydb::dynamodb
