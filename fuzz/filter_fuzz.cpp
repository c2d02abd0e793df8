// Fuzz target: parse_filter, the `--where` mini-language (src/core/filter.cpp),
// and apply_filter on a small batch whose columns are the ones the filter names.
// Properties: only polydb::Error escapes; a filter's to_string() reads back
// to a filter that renders stably; evaluating never crashes.

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "polydb/batch.hpp"
#include "polydb/filter.hpp"

namespace {

using polydb::TypeId;
using polydb::Value;

constexpr TypeId kTypes[] = {TypeId::boolean,      TypeId::int64,  TypeId::float64,
                             TypeId::decimal,      TypeId::string, TypeId::bytes,
                             TypeId::date,         TypeId::time,   TypeId::timestamp,
                             TypeId::timestamp_tz, TypeId::uuid,   TypeId::json};

// Three rows per type: a NULL and two ordinary values.
Value sample(TypeId t, int row) {
  if (row == 0) return Value();
  const bool a = row == 1;
  switch (t) {
    case TypeId::boolean:
      return Value(a);
    case TypeId::int64:
      return Value(int64_t{a ? -5 : 42});
    case TypeId::float64:
      return Value(a ? 2.5 : -0.0);
    case TypeId::decimal:
      return Value(polydb::Decimal{a ? "12.50" : "-0.001"});
    case TypeId::string:
      return Value(std::string(a ? "paid" : "O'Brien"));
    case TypeId::bytes:
      return Value(polydb::Bytes{std::string(a ? "\x01\x02" : "")});
    case TypeId::date:
      return Value(polydb::Date{a ? 19000 : -1});
    case TypeId::time:
      return Value(polydb::Time{a ? 0 : 86'399'999'999});
    case TypeId::timestamp:
      return Value(polydb::Timestamp{a ? 1'700'000'000'000'000 : -1});
    case TypeId::timestamp_tz:
      return Value(polydb::TimestampTz{a ? 0 : 1});
    case TypeId::uuid: {
      polydb::Uuid u{};
      u.bytes[15] = a ? 1 : 0xff;
      return Value(u);
    }
    case TypeId::json:
      return Value(polydb::Json{a ? "{\"a\":1}" : "[]"});
    default:
      return Value();
  }
}

// to_string() writes column names bare (it is for EXPLAIN and logs): only
// filters over plain names are expected to read back the same.
bool plain_names(const polydb::Filter& f) {
  for (const auto& name : f.columns()) {
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
    for (unsigned char ch : name)
      if (!std::isalnum(ch) && ch != '_') return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  polydb::Filter filter;
  if (!polydb::fuzz::rejects_or_runs([&] { filter = polydb::parse_filter(text); })) return 0;

  const std::string shown = filter.to_string();
  if (plain_names(filter)) {
    // A literal may change its spelling once (-0e-308 is shown as -0, which
    // reads back as the integer 0); after that the text is stable.
    polydb::Filter again, third;
    if (polydb::fuzz::rejects_or_runs([&] { again = polydb::parse_filter(shown); })) {
      const std::string shown_again = again.to_string();
      FUZZ_CHECK(polydb::fuzz::rejects_or_runs([&] { third = polydb::parse_filter(shown_again); }));
      FUZZ_CHECK(third.to_string() == shown_again);
    }
  }

  // A batch with one column per name the filter reads, typed by the name's hash.
  auto schema = std::make_shared<polydb::Schema>();
  for (const auto& name : filter.columns()) {
    const TypeId t = kTypes[std::hash<std::string>{}(name) % std::size(kTypes)];
    schema->fields.push_back({.name = name, .type = t});
  }
  polydb::Batch batch(schema);
  for (int row = 0; row < 3; ++row) {
    for (size_t c = 0; c < schema->fields.size(); ++c)
      batch.column(c).append(sample(schema->fields[c].type.id, row));
    batch.commit_row();
  }
  polydb::fuzz::rejects_or_runs([&] {
    const polydb::Batch kept = polydb::apply_filter(filter, batch);
    FUZZ_CHECK(kept.num_rows() <= batch.num_rows());
  });
  return 0;
}
