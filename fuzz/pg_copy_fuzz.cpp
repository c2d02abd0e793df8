// Fuzz target: PostgreSQL binary COPY decoding (src/connectors/postgres/types.cpp:
// copy_header_size, decode_copy_tuple, decode_field), as the COPY reader runs it.
//
// Input: byte 0 = column count (1-6, low bits) and whether a COPY header comes
// first (bit 7); then one byte per column choosing its codec (arrays: the
// element codec too); the rest is the COPY stream.
// Properties: only polydb::Error escapes; a tuple cut short is reported as
// incomplete, never decoded or rejected; each decoded value that encode_field
// can write decodes back to the same value.

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/postgres/types.hpp"
#include "fuzz_check.hpp"

namespace {

using polydb::postgres::Codec;
using polydb::postgres::CopyTuple;
using polydb::postgres::PgType;

constexpr Codec kScalars[] = {
    Codec::boolean,   Codec::int2,        Codec::int4,     Codec::int8, Codec::oid,
    Codec::float4,    Codec::float8,      Codec::numeric,  Codec::text, Codec::json,
    Codec::jsonb,     Codec::bytea,       Codec::date,     Codec::time, Codec::timetz,
    Codec::timestamp, Codec::timestamptz, Codec::interval, Codec::uuid, Codec::unsupported};
constexpr size_t kNumScalars = std::size(kScalars);

PgType type_for(uint8_t selector) {
  PgType t;
  if (selector < kNumScalars) {
    t.codec = kScalars[selector];
  } else {
    t.codec = Codec::array;
    // Arrays of any scalar the catalog lets through (type_from_catalog).
    t.element = kScalars[selector % (kNumScalars - 1)];
  }
  t.name = "fuzz type";
  return t;
}

bool same_value(const polydb::Value& a, const polydb::Value& b) {
  if (a.holds<double>() && b.holds<double>()) {
    const double x = a.as<double>(), y = b.as<double>();
    return (std::isnan(x) && std::isnan(y)) ||
           std::bit_cast<uint64_t>(x) == std::bit_cast<uint64_t>(y);
  }
  return a == b;
}

// encode_field then decode_field must give back the value of `col` at `row`.
void check_round_trip(const PgType& type, const polydb::Column& col, size_t row) {
  if (!polydb::postgres::can_encode(type)) return;
  std::string wire;
  if (!polydb::fuzz::rejects_or_runs([&] { polydb::postgres::encode_field(type, col, row, wire); }))
    return;
  FUZZ_CHECK(wire.size() >= 4);
  const auto len = static_cast<int32_t>(polydb::postgres::wire::get32(wire.data()));
  FUZZ_CHECK(len < 0 || static_cast<size_t>(len) == wire.size() - 4);
  polydb::Column back(col.type());
  const bool ok = polydb::fuzz::rejects_or_runs(
      [&] { polydb::postgres::decode_field(type, wire.data() + 4, len, back, "c"); });
  FUZZ_CHECK(ok);
  FUZZ_CHECK(back.size() == 1);
  FUZZ_CHECK(same_value(back.value_at(0), col.value_at(row)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t ncols = 1 + (data[0] & 0x7f) % 6;
  const bool with_header = (data[0] & 0x80) != 0;
  if (size < 1 + ncols) return 0;

  std::vector<PgType> types;
  auto schema = std::make_shared<polydb::Schema>();
  for (size_t i = 0; i < ncols; ++i) {
    types.push_back(type_for(data[1 + i] % (2 * kNumScalars)));
    schema->fields.push_back(
        {.name = "c" + std::to_string(i), .type = polydb::postgres::polydb_type(types.back())});
  }
  std::string_view stream(reinterpret_cast<const char*>(data) + 1 + ncols, size - 1 - ncols);

  if (with_header) {
    std::optional<size_t> header;
    if (!polydb::fuzz::rejects_or_runs(
            [&] { header = polydb::postgres::copy_header_size(stream); }))
      return 0;
    if (!header) return 0;
    FUZZ_CHECK(*header <= stream.size());
    stream.remove_prefix(*header);
  }

  polydb::Batch batch(schema);
  for (int tuples = 0; tuples < 1000; ++tuples) {
    CopyTuple t;
    if (!polydb::fuzz::rejects_or_runs(
            [&] { t = polydb::postgres::decode_copy_tuple(stream, types, batch); }))
      return 0;  // the row may be half appended: the reader gives up on the batch too
    FUZZ_CHECK(t.consumed <= stream.size());
    if (t.kind != CopyTuple::Kind::row) break;
    FUZZ_CHECK(t.consumed >= 2 + 4 * ncols);
    // The same tuple one byte short is incomplete: the reader then fetches more.
    polydb::Batch scratch(schema);
    CopyTuple cut;
    const bool ok = polydb::fuzz::rejects_or_runs([&] {
      cut = polydb::postgres::decode_copy_tuple(stream.substr(0, t.consumed - 1), types, scratch);
    });
    FUZZ_CHECK(ok && cut.kind == CopyTuple::Kind::incomplete && scratch.num_rows() == 0);
    stream.remove_prefix(t.consumed);
  }

  for (size_t c = 0; c < ncols; ++c) {
    const polydb::Column& col = batch.column(c);
    FUZZ_CHECK(col.size() == batch.num_rows());
    for (size_t r = 0; r < col.size(); ++r) {
      (void)col.value_at(r).to_text();
      check_round_trip(types[c], col, r);
    }
  }
  return 0;
}
