#include "connectors/firestore/documents.hpp"

#include <fmt/format.h>

#include "connectors/common/document_schema.hpp"
#include "connectors/firestore/query.hpp"
#include "connectors/firestore/types.hpp"
#include "polydb/error.hpp"

namespace polydb::firestore {

namespace {

// Firestore's limit on a document id, in bytes.
constexpr size_t kMaxIdBytes = 1500;

// A random id like the client libraries' auto-ids: 20 alphanumerics.
std::string auto_id(std::mt19937_64& rng) {
  static constexpr char kChars[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::uniform_int_distribution<size_t> pick(0, sizeof kChars - 2);
  std::string id(20, ' ');
  for (char& c : id) c = kChars[pick(rng)];
  return id;
}

void check_id(const std::string& id, std::string_view table, uint64_t row) {
  const bool reserved = id.size() >= 4 && id.rfind("__", 0) == 0 &&
                        id.compare(id.size() - 2, 2, "__") == 0;
  if (id.empty() || id == "." || id == ".." || id.find('/') != std::string::npos || reserved ||
      id.size() > kMaxIdBytes)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("row {} of '{}': '{}' cannot be a Firestore document id (ids are "
                            "1-1500 bytes without '/', not '.', '..' or __name__-like; choose "
                            "another key column)",
                            row, table, id.substr(0, 80)),
                "firestore")
        .set_hint(Hint::key_columns);
}

}  // namespace

DocumentEncoder::DocumentEncoder(std::string_view table, const Schema& source,
                                 std::vector<size_t> key, const Schema& target)
    : table_(table), source_(source), key_(std::move(key)) {
  extra_ = extra_column(source_, table_, "firestore");
  // Existing fields keep their type: convert source values to it ("12"
  // into an integer field is stored as 12; "abc" is refused).
  for (size_t c = 0; c < source_.fields.size(); ++c) {
    const Field& f = source_.fields[c];
    std::optional<Type> to;
    if (auto idx = target.index_of(f.name)) {
      const Field& t = target.fields[*idx];
      const bool pure = t.native_type.find('|') == std::string::npos &&
                        t.native_type != "nullValue" && t.native_type != "document id";
      if (pure && t.type.id != f.type.id && t.type.id != TypeId::json) to = t.type;
    }
    convert_to_.push_back(to);
    if (f.name != kIdColumn && f.name != kNameColumn && c != extra_) {
      written_.push_back(c);
      mask_.push_back(field_path(f.name));
    }
  }
}

std::string DocumentEncoder::document_id(const Batch& batch, size_t r, uint64_t row_number,
                                         std::mt19937_64& rng) const {
  if (key_.empty()) return auto_id(rng);
  std::string id;
  for (size_t k = 0; k < key_.size(); ++k) {
    const Column& col = batch.column(key_[k]);
    if (col.is_null(r))
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("row {} of '{}': the key column '{}' is NULL", row_number, table_,
                              source_.fields[key_[k]].name),
                  "firestore");
    // Composite keys join their parts with '|' (docs/firestore.md).
    id += (k ? "|" : "") + col.value_at(r).to_text();
  }
  check_id(id, table_, row_number);
  return id;
}

Json DocumentEncoder::fields(const Batch& batch, size_t r, uint64_t row_number,
                             std::vector<std::string>* extra_paths) const {
  Json fields = Json::object();
  for (size_t c : written_) {
    const Column& col = batch.column(c);
    try {
      Value v = col.value_at(r);
      if (convert_to_[c] && !v.is_null()) v = coerce_value(v, *convert_to_[c]);
      fields[source_.fields[c].name] = from_value(v);
    } catch (const Error& e) {
      throw Error(e.code(),
                  fmt::format("row {}, column '{}' of '{}': {}", row_number,
                              source_.fields[c].name, table_, e.message()),
                  "firestore", e.detail());
    }
  }
  if (extra_ && !batch.column(*extra_).is_null(r)) {
    std::vector<std::string> paths = add_extra(fields, batch.column(*extra_).var_at(r), row_number);
    if (extra_paths)
      for (auto& p : paths) extra_paths->push_back(std::move(p));
  }
  return fields;
}

// The fields of a catch-all cell into `fields` (docs/firestore.md); returns
// their field paths. A field that is a NULL column takes the value.
std::vector<std::string> DocumentEncoder::add_extra(Json& fields, std::string_view text,
                                                    uint64_t row_number) const {
  std::vector<std::string> paths;
  try {
    for (const auto& [name, value] : split_extra(text, "firestore")) {
      auto it = fields.find(name);
      if (it != fields.end() && value_kind(*it) != "nullValue")
        throw Error(ErrorCode::invalid_argument, extra_conflict_message(name), "firestore");
      if (it == fields.end()) paths.push_back(field_path(name));
      fields[name] = from_json_text(value);
    }
  } catch (const Error& e) {
    throw Error(e.code(),
                fmt::format("row {}, column '{}' of '{}': {}", row_number, kExtraColumn, table_,
                            e.message()),
                "firestore", e.detail());
  }
  return paths;
}

}  // namespace polydb::firestore
