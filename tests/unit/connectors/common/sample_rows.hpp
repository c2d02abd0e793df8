#pragma once
// Rows of every type a Batch can hold, for the tests of connectors/common/row_codec and
// connectors/common/local_rows.

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "polydb/batch.hpp"
#include "polydb/value.hpp"

namespace polydb::testrows {

// One column of every type a batch can hold.
inline std::shared_ptr<Schema> every_type() {
  auto s = std::make_shared<Schema>();
  const TypeId ids[] = {TypeId::null,    TypeId::boolean,   TypeId::int64,        TypeId::float64,
                        TypeId::decimal, TypeId::string,    TypeId::bytes,        TypeId::date,
                        TypeId::time,    TypeId::timestamp, TypeId::timestamp_tz, TypeId::uuid,
                        TypeId::json};
  for (TypeId id : ids) s->fields.push_back({std::string(to_string(id)), Type(id), true, ""});
  return s;
}

inline std::vector<Value> sample_row(int i) {
  Uuid u;
  for (size_t k = 0; k < 16; ++k) u.bytes[k] = static_cast<uint8_t>(i * 16 + k);
  return {Value(),
          Value(i % 2 == 0),
          Value(i == 1 ? std::numeric_limits<int64_t>::min() : int64_t{i} * 1'000'000'007),
          Value(i == 2 ? std::numeric_limits<double>::infinity() : -1.25 * i),
          Value(Decimal{"-12345678901234567890." + std::to_string(i)}),
          Value(std::string(static_cast<size_t>(i * 70), 'x') + "é\n"),
          Value(Bytes{std::string("\0\xff\x80", 3) + std::string(static_cast<size_t>(i), 'b')}),
          Value(Date{-719162 + i}),
          Value(Time{86'399'999'999 - i}),
          Value(Timestamp{-i * 1'000'000LL}),
          Value(TimestampTz{i * 86'400'000'000LL}),
          Value(u),
          Value(Json{R"({"a":[1,2,{"b":null}],"i":)" + std::to_string(i) + "}"})};
}

}  // namespace polydb::testrows
