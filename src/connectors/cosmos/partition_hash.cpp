#include "connectors/cosmos/partition_hash.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>

#include "connectors/common/murmur3.hpp"

namespace polydb::cosmos {

namespace {

using Bytes = std::vector<uint8_t>;

// The type bytes of the service's binary encoding of JSON values.
constexpr uint8_t kUndefined = 0x00;
constexpr uint8_t kNull = 0x01;
constexpr uint8_t kFalse = 0x02;
constexpr uint8_t kTrue = 0x03;
constexpr uint8_t kNumber = 0x05;
constexpr uint8_t kString = 0x08;
constexpr uint8_t kStringEndV2 = 0xFF;

// Version 1 hashes the first 100 UTF-16 code units of a string.
constexpr size_t kV1StringUnits = 100;

void append(Bytes& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }

// The first `units` UTF-16 code units of UTF-8 `s`, in UTF-8. A surrogate
// pair cut in half leaves a lone surrogate, which UTF-8 encoders write as
// U+FFFD.
std::string truncate_utf16(std::string_view s, size_t units) {
  size_t used = 0;
  for (size_t i = 0; i < s.size();) {
    const auto lead = static_cast<unsigned char>(s[i]);
    const size_t len = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    const size_t need = len == 4 ? 2 : 1;
    if (used + need > units) {
      std::string out(s.substr(0, i));
      if (used < units) out += "\xEF\xBF\xBD";
      return out;
    }
    used += need;
    i += len;
  }
  return std::string(s);
}

void append_double_le(Bytes& out, double v) {
  const auto bits = std::bit_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(bits >> (8 * i)));
}

// A scalar value's type byte, for the values that are only that byte.
uint8_t scalar_prefix(const Json& v) {
  if (v.is_null()) return kNull;
  if (v.is_boolean()) return v.get<bool>() ? kTrue : kFalse;
  return kUndefined;  // a missing property (or a value a key cannot hold)
}

// The bytes version 2 hashes for one value.
void append_hashed_v2(Bytes& out, const Json& v) {
  if (v.is_string()) {
    out.push_back(kString);
    append(out, v.get_ref<const std::string&>());
    out.push_back(kStringEndV2);
  } else if (v.is_number()) {
    out.push_back(kNumber);
    append_double_le(out, v.get<double>());
  } else {
    out.push_back(scalar_prefix(v));
  }
}

std::string hex_upper(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(2 * bytes.size());
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0x0F];
  }
  return out;
}

std::string hash_v2(const Bytes& data) {
  const Hash128 h = murmur3_x64_128(data);
  // The 16 bytes (h1 then h2, little-endian) in reverse order.
  uint8_t out[16];
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<uint8_t>(h.h2 >> (56 - 8 * i));
    out[8 + i] = static_cast<uint8_t>(h.h1 >> (56 - 8 * i));
  }
  out[0] &= 0x3F;
  return hex_upper(out);
}

// The order-preserving binary encoding of a number: the double's bits with
// the sign flipped (negative numbers negated), then its first byte, then
// 7 bits a byte with the low bit set on all but the last.
void append_number_v1(Bytes& out, double v) {
  const auto bits = std::bit_cast<uint64_t>(v);
  constexpr uint64_t kSign = 0x8000000000000000ull;
  uint64_t payload = bits < kSign ? bits ^ kSign : ~bits + 1;
  out.push_back(kNumber);
  out.push_back(static_cast<uint8_t>(payload >> 56));
  payload <<= 8;
  uint8_t pending = 0;
  bool first = true;
  do {
    if (!first && pending != 0) out.push_back(pending);
    first = false;
    pending = static_cast<uint8_t>((payload >> 56) | 0x01);
    payload <<= 7;
  } while (payload != 0);
  if (const uint8_t last = pending & 0xFE; last != 0) out.push_back(last);
}

std::string hash_v1(const Json& v) {
  Bytes hashed;
  Bytes encoded;
  if (v.is_string()) {
    const std::string s = truncate_utf16(v.get_ref<const std::string&>(), kV1StringUnits);
    hashed.push_back(kString);
    append(hashed, s);
    hashed.push_back(kUndefined);
    encoded.push_back(kString);
    for (char c : s) {
      const auto b = static_cast<uint8_t>(c);
      encoded.push_back(b < 0xFF ? static_cast<uint8_t>(b + 1) : b);
    }
    encoded.push_back(kUndefined);
  } else if (v.is_number()) {
    hashed.push_back(kNumber);
    append_double_le(hashed, v.get<double>());
    append_number_v1(encoded, v.get<double>());
  } else {
    hashed.push_back(scalar_prefix(v));
    encoded.push_back(scalar_prefix(v));
  }
  Bytes out;
  append_number_v1(out, static_cast<double>(murmur3_x86_32(hashed)));
  out.insert(out.end(), encoded.begin(), encoded.end());
  return hex_upper(out);
}

}  // namespace

std::string effective_partition_key(const Json& values, const PartitionKey& key) {
  static const Json kMissing = Json::object();
  auto value = [&](size_t i) -> const Json& {
    return values.is_array() && i < values.size() ? values[i] : kMissing;
  };
  if (key.kind == "MultiHash") {
    std::string epk;
    for (size_t i = 0; i < std::max<size_t>(1, key.paths.size()); ++i) {
      Bytes data;
      append_hashed_v2(data, value(i));
      epk += hash_v2(data);
    }
    return epk;
  }
  if (key.version >= 2) {
    Bytes data;
    append_hashed_v2(data, value(0));
    return hash_v2(data);
  }
  return hash_v1(value(0));
}

const KeyRange* range_of(std::span<const KeyRange> ranges, std::string_view epk) {
  // The last range whose min is <= epk, if its max is above epk.
  auto it = std::upper_bound(ranges.begin(), ranges.end(), epk,
                             [](std::string_view e, const KeyRange& r) { return e < r.min; });
  if (it == ranges.begin()) return nullptr;
  --it;
  return epk < it->max ? &*it : nullptr;
}

}  // namespace polydb::cosmos
