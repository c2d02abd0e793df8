// Fuzz target: Firestore document decoding (src/connectors/firestore/types.cpp
// and infer_schema in connection.cpp): a page of REST v1 documents ->
// inferred schema -> Batch, as the reader does it.
//
// Input: JSON text: an array of documents, {"documents": [...]} or one
// document. The envelope is what the API layer hands over (objects with a
// string "name" and an object "fields"); the values inside are arbitrary.
// Properties: only polydb::Error escapes; scalar values survive
// Firestore value -> value -> Firestore value -> value; a value's JSON form
// read back as a Firestore value gives the same JSON form.

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/firestore/connection.hpp"
#include "connectors/firestore/query.hpp"
#include "connectors/firestore/types.hpp"
#include "fuzz_check.hpp"

namespace {

namespace fs = polydb::firestore;
using fs::Json;

constexpr size_t kMaxDocs = 64;

bool is_document(const Json& d) {
  if (!d.is_object()) return false;
  if (auto n = d.find("name"); n != d.end() && !n->is_string()) return false;
  if (auto f = d.find("fields"); f != d.end() && !f->is_object()) return false;
  return true;
}

std::vector<Json> docs_of(const Json& page) {
  const Json* list = &page;
  if (page.is_object()) {
    auto it = page.find("documents");
    if (it == page.end() || !it->is_array())
      list = nullptr;
    else
      list = &*it;
  }
  std::vector<Json> out;
  if (!list) {
    if (is_document(page)) out.push_back(page);
    return out;
  }
  if (!list->is_array()) return out;
  for (const Json& doc : *list)
    if (is_document(doc) && out.size() < kMaxDocs) out.push_back(doc);
  return out;
}

bool same_value(const polydb::Value& a, const polydb::Value& b) {
  if (a.holds<double>() && b.holds<double>()) {
    const double x = a.as<double>(), y = b.as<double>();
    return (std::isnan(x) && std::isnan(y)) ||
           std::bit_cast<uint64_t>(x) == std::bit_cast<uint64_t>(y);
  }
  return a == b;
}

void check_value(const Json& fv) {
  std::string text;
  if (polydb::fuzz::rejects_or_runs([&] { text = fs::to_json_text(fv); })) {
    std::string again;
    // Non-finite doubles come out as strings, which read back as stringValue:
    // the JSON text is still the same.
    const bool ok =
        polydb::fuzz::rejects_or_runs([&] { again = fs::to_json_text(fs::from_json_text(text)); });
    FUZZ_CHECK(ok);
    FUZZ_CHECK(again == text);
  }
  polydb::Value v;
  if (!polydb::fuzz::rejects_or_runs([&] { v = fs::to_value(fv); })) return;
  if (v.type_id() == polydb::TypeId::json) return;
  Json back;
  if (!polydb::fuzz::rejects_or_runs([&] { back = fs::from_value(v); })) return;
  polydb::Value v2;
  FUZZ_CHECK(polydb::fuzz::rejects_or_runs([&] { v2 = fs::to_value(back); }));
  FUZZ_CHECK(same_value(v, v2));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const Json page = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (page.is_discarded()) return 0;
  const std::vector<Json> docs = docs_of(page);
  if (docs.empty()) return 0;

  polydb::Schema schema;
  if (!polydb::fuzz::rejects_or_runs([&] { schema = fs::infer_schema(docs); })) return 0;

  auto shared = std::make_shared<const polydb::Schema>(schema);
  polydb::Batch batch(shared);
  const bool read = polydb::fuzz::rejects_or_runs([&] {
    for (const Json& doc : docs) {
      const std::string name = doc.value("name", "");
      auto fields = doc.find("fields");
      for (size_t c = 0; c < schema.fields.size(); ++c) {
        const std::string& col = schema.fields[c].name;
        polydb::Column& column = batch.column(c);
        if (col == fs::kIdColumn) {
          column.append(polydb::Value(std::string(fs::document_id(name))));
        } else if (col == fs::kNameColumn) {
          column.append(polydb::Value(name));
        } else {
          const Json* v = nullptr;
          if (fields != doc.end())
            if (auto it = fields->find(col); it != fields->end()) v = &*it;
          fs::append_value(column, v);
        }
      }
      batch.commit_row();
    }
  });
  if (read) {
    for (size_t c = 0; c < batch.num_columns(); ++c) {
      const polydb::Column& col = batch.column(c);
      FUZZ_CHECK(col.size() == batch.num_rows());
      for (size_t r = 0; r < col.size(); ++r)
        polydb::fuzz::rejects_or_runs([&] { (void)fs::from_value(col.value_at(r)); });
    }
  }
  for (const Json& doc : docs)
    if (auto fields = doc.find("fields"); fields != doc.end())
      for (const auto& [name, value] : fields->items()) check_value(value);
  return 0;
}
