// Fuzz target: Cosmos DB document decoding (src/connectors/cosmos/types.cpp):
// a page of JSON documents -> inferred schema -> Batch, as the reader does it.
//
// Input: JSON text: an array of documents, {"Documents": [...]} or one document.
// Properties: only polydb::Error escapes; scalar values survive
// JSON -> value -> JSON -> value.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/cosmos/types.hpp"
#include "fuzz_check.hpp"

namespace {

namespace cdb = polydb::cosmos;
using cdb::Json;

constexpr size_t kMaxDocs = 64;

std::vector<const Json*> docs_of(const Json& page) {
  const Json* list = &page;
  if (page.is_object()) {
    auto it = page.find("Documents");
    if (it == page.end() || !it->is_array()) return {&page};
    list = &*it;
  }
  std::vector<const Json*> out;
  if (!list->is_array()) return out;
  for (const Json& doc : *list)
    if (doc.is_object() && out.size() < kMaxDocs) out.push_back(&doc);
  return out;
}

void check_value(const Json& j) {
  (void)cdb::json_kind(j);
  polydb::Value v;
  if (!polydb::fuzz::rejects_or_runs([&] { v = cdb::json_to_value(j); })) return;
  const auto t = v.type_id();
  const bool exact = t == polydb::TypeId::boolean || t == polydb::TypeId::string ||
                     t == polydb::TypeId::float64 ||
                     (t == polydb::TypeId::int64 && v.as<int64_t>() >= -(int64_t{1} << 53) &&
                      v.as<int64_t>() <= (int64_t{1} << 53));
  std::optional<Json> back;
  if (!polydb::fuzz::rejects_or_runs([&] { back = cdb::value_to_json(v); })) return;
  if (!exact) return;
  FUZZ_CHECK(back.has_value());
  FUZZ_CHECK(cdb::json_to_value(*back) == v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool item_keys = (data[0] & 1) != 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Json page = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (page.is_discarded()) return 0;
  const std::vector<const Json*> docs = docs_of(page);
  if (docs.empty()) return 0;

  std::vector<std::string> key_paths{"pk"};
  if (!docs[0]->empty()) key_paths.push_back(docs[0]->begin().key());
  polydb::Schema schema;
  if (!polydb::fuzz::rejects_or_runs([&] {
        schema = cdb::infer_schema(docs, key_paths, {"_etag", "_ts"}, item_keys);
      }))
    return 0;

  auto shared = std::make_shared<const polydb::Schema>(schema);
  polydb::Batch batch(shared);
  const bool read = polydb::fuzz::rejects_or_runs([&] {
    for (const Json* doc : docs) {
      for (size_t c = 0; c < schema.fields.size(); ++c) {
        auto it = doc->find(schema.fields[c].name);
        cdb::append_json(batch.column(c), it == doc->end() ? nullptr : &*it);
      }
      batch.commit_row();
    }
  });
  if (read) {
    for (size_t c = 0; c < batch.num_columns(); ++c) {
      const polydb::Column& col = batch.column(c);
      FUZZ_CHECK(col.size() == batch.num_rows());
      for (size_t r = 0; r < col.size(); ++r)
        polydb::fuzz::rejects_or_runs([&] { (void)cdb::value_to_json(col.value_at(r)); });
    }
  }
  for (const Json* doc : docs)
    for (const auto& [name, value] : doc->items()) {
      (void)cdb::is_system_property(name);
      check_value(value);
    }
  return 0;
}
