#include "engine/content_hash.hpp"

#include <fmt/format.h>

#include <bit>
#include <cstring>
#include <nlohmann/json.hpp>

namespace polydb::engine {

namespace {

// Type tags of the canonical encoding (docs/state.md): fixed numbers, not
// TypeId's values, so that reordering that enum never changes a hash.
enum Tag : uint8_t {
  kNull = 0x00,
  kBool = 0x01,
  kInt64 = 0x02,
  kFloat64 = 0x03,
  kDecimal = 0x04,
  kString = 0x05,
  kBytes = 0x06,
  kDate = 0x07,
  kTime = 0x08,
  kTimestamp = 0x09,
  kTimestampTz = 0x0a,
  kUuid = 0x0b,
  kJson = 0x0c,
};

void put_be(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_var(std::string& out, Tag tag, std::string_view bytes) {
  out.push_back(static_cast<char>(tag));
  put_be(out, bytes.size(), 4);
  out.append(bytes);
}

// A decimal's text without what does not change its value: a sign '+',
// leading zeros of the integer part, trailing zeros of the fraction ("1.50"
// and MySQL's fixed-scale "1.5000" are one value), and the sign of zero.
std::string canonical_decimal(std::string_view text) {
  if (text.find_first_of("eE") != std::string_view::npos) return std::string(text);
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  std::string_view whole = text, fraction;
  if (const auto dot = text.find('.'); dot != std::string_view::npos) {
    whole = text.substr(0, dot);
    fraction = text.substr(dot + 1);
  }
  while (!whole.empty() && whole[0] == '0') whole.remove_prefix(1);
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  if (whole.empty() && fraction.empty()) return "0";
  std::string out = negative ? "-" : "";
  out += whole.empty() ? std::string_view("0") : whole;
  if (!fraction.empty()) out += "." + std::string(fraction);
  return out;
}

// JSON as nlohmann writes it back: object keys sorted, no whitespace. Text
// that does not parse is taken as it is.
std::string canonical_json(std::string_view text) {
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  return parsed.is_discarded() ? std::string(text) : parsed.dump();
}

}  // namespace

void append_row_encoding(const Batch& batch, size_t row, std::string& out) {
  for (size_t c = 0; c < batch.num_columns(); ++c) {
    const Column& col = batch.column(c);
    if (col.type().id == TypeId::null || col.is_null(row)) {
      out.push_back(static_cast<char>(kNull));
      continue;
    }
    switch (col.type().id) {
      case TypeId::null:
        break;
      case TypeId::boolean:
        out.push_back(static_cast<char>(kBool));
        out.push_back(col.bool_at(row) ? 1 : 0);
        break;
      case TypeId::int64:
        out.push_back(static_cast<char>(kInt64));
        put_be(out, static_cast<uint64_t>(col.int64_at(row)), 8);
        break;
      case TypeId::float64: {
        double d = col.float64_at(row);
        if (d == 0) d = 0;  // -0.0 and 0.0 are one value
        uint64_t bits = std::bit_cast<uint64_t>(d);
        if (d != d) bits = 0x7ff8000000000000ULL;  // every NaN is one value
        out.push_back(static_cast<char>(kFloat64));
        put_be(out, bits, 8);
        break;
      }
      case TypeId::decimal:
        put_var(out, kDecimal, canonical_decimal(col.var_at(row)));
        break;
      case TypeId::string:
        put_var(out, kString, col.var_at(row));
        break;
      case TypeId::bytes:
        put_var(out, kBytes, col.var_at(row));
        break;
      case TypeId::date:
        out.push_back(static_cast<char>(kDate));
        put_be(out, static_cast<uint32_t>(col.int32_at(row)), 4);
        break;
      case TypeId::time:
        out.push_back(static_cast<char>(kTime));
        put_be(out, static_cast<uint64_t>(col.int64_at(row)), 8);
        break;
      case TypeId::timestamp:
        out.push_back(static_cast<char>(kTimestamp));
        put_be(out, static_cast<uint64_t>(col.int64_at(row)), 8);
        break;
      case TypeId::timestamp_tz:
        out.push_back(static_cast<char>(kTimestampTz));
        put_be(out, static_cast<uint64_t>(col.int64_at(row)), 8);
        break;
      case TypeId::uuid:
        out.push_back(static_cast<char>(kUuid));
        out.append(reinterpret_cast<const char*>(col.fixed_at(row)), 16);
        break;
      case TypeId::json:
        put_var(out, kJson, canonical_json(col.var_at(row)));
        break;
    }
  }
}

void ContentHash::add(const Batch& batch) {
  for (size_t r = 0; r < batch.num_rows(); ++r) {
    row_.clear();
    append_row_encoding(batch, r, row_);
    sha_.update(row_);
    const net::Digest d = sha_.finish();
    uint64_t h = 0;
    for (int i = 0; i < 8; ++i) h = (h << 8) | d[i];
    sum_ += h;  // unsigned: wraps modulo 2^64
  }
}

std::string ContentHash::hex() const { return fmt::format("{:016x}", sum_); }

}  // namespace polydb::engine
