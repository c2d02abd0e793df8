// Fuzz target: DynamoDB item decoding (src/connectors/dynamodb/types.cpp and
// infer_schema in connection.cpp): a page of items (attribute-value JSON) ->
// inferred schema -> Batch, as the reader does it.
//
// Input: JSON text: an array of items, {"Items": [...]} or one item.
// Properties: only polydb::Error escapes; an attribute's JSON form read back
// as an attribute gives the same JSON form; scalar values survive
// value -> attribute -> value.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/dynamodb/connection.hpp"
#include "connectors/dynamodb/types.hpp"
#include "fuzz_check.hpp"

namespace {

namespace ddb = polydb::dynamodb;
using ddb::Json;

constexpr size_t kMaxItems = 64;

std::vector<const Json*> items_of(const Json& doc) {
  const Json* list = &doc;
  if (doc.is_object()) {
    auto it = doc.find("Items");
    if (it == doc.end() || !it->is_array()) return {&doc};
    list = &*it;
  }
  std::vector<const Json*> out;
  if (!list->is_array()) return out;
  for (const Json& item : *list)
    if (item.is_object() && out.size() < kMaxItems) out.push_back(&item);
  return out;
}

// Numbers DynamoDB can hold (magnitude below 1E+126). Beyond a double's range
// the JSON form does not read back as a number (nlohmann rejects 1e400), which
// no DynamoDB number reaches.
bool numbers_in_range(const Json& v) {
  if (v.is_string())
    return std::fabs(std::strtod(v.get_ref<const std::string&>().c_str(), nullptr)) < 1e126;
  if (v.is_structured())
    for (const Json& e : v)
      if (!numbers_in_range(e)) return false;
  return true;
}

void check_attribute(const Json& av) {
  std::string text;
  if (!polydb::fuzz::rejects_or_runs([&] { text = ddb::av_to_json_text(av); })) return;
  if (!numbers_in_range(av)) return;
  std::string again;
  const bool ok = polydb::fuzz::rejects_or_runs(
      [&] { again = ddb::av_to_json_text(ddb::json_text_to_av(text)); });
  FUZZ_CHECK(ok);
  FUZZ_CHECK(again == text);

  polydb::Value v;
  if (!polydb::fuzz::rejects_or_runs([&] { v = ddb::av_to_value(av); })) return;
  (void)ddb::natural_type(av);
  if (v.type_id() == polydb::TypeId::json) return;  // sets come back as lists
  Json back;
  if (!polydb::fuzz::rejects_or_runs([&] { back = ddb::value_to_av(v); })) return;
  polydb::Value v2;
  FUZZ_CHECK(polydb::fuzz::rejects_or_runs([&] { v2 = ddb::av_to_value(back); }));
  FUZZ_CHECK(v2 == v);
  FUZZ_CHECK(ddb::compare_values(v, v2) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return 0;
  const std::vector<const Json*> items = items_of(doc);
  if (items.empty()) return 0;

  ddb::KeySchema keys;
  if (!items[0]->empty()) {
    keys.hash = items[0]->begin().key();
    keys.hash_type = "S";
  }
  polydb::Schema schema;
  if (!polydb::fuzz::rejects_or_runs([&] { schema = ddb::infer_schema(items, keys); })) return 0;

  auto shared = std::make_shared<const polydb::Schema>(schema);
  polydb::Batch batch(shared);
  const bool read = polydb::fuzz::rejects_or_runs([&] {
    for (const Json* item : items) {
      for (size_t c = 0; c < schema.fields.size(); ++c) {
        auto it = item->find(schema.fields[c].name);
        ddb::append_av(batch.column(c), it == item->end() ? nullptr : &*it);
      }
      batch.commit_row();
    }
  });
  if (read) {
    for (size_t c = 0; c < batch.num_columns(); ++c) {
      const polydb::Column& col = batch.column(c);
      FUZZ_CHECK(col.size() == batch.num_rows());
      for (size_t r = 0; r < col.size(); ++r) {
        polydb::fuzz::rejects_or_runs([&] { (void)ddb::cell_to_av(col, r); });
        if (r > 0) (void)ddb::compare_values(col.value_at(r - 1), col.value_at(r));
      }
    }
  }
  for (const Json* item : items)
    for (const auto& [name, av] : item->items()) check_attribute(av);
  return 0;
}
