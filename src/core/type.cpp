#include "polydb/type.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <string>

#include "polydb/error.hpp"

namespace polydb {

namespace {
constexpr std::array<std::pair<TypeId, std::string_view>, 13> kTypeNames{{
    {TypeId::null, "null"},
    {TypeId::boolean, "boolean"},
    {TypeId::int64, "int64"},
    {TypeId::float64, "float64"},
    {TypeId::decimal, "decimal"},
    {TypeId::string, "string"},
    {TypeId::bytes, "bytes"},
    {TypeId::date, "date"},
    {TypeId::time, "time"},
    {TypeId::timestamp, "timestamp"},
    {TypeId::timestamp_tz, "timestamp_tz"},
    {TypeId::uuid, "uuid"},
    {TypeId::json, "json"},
}};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}
}  // namespace

std::string_view to_string(Collation c) noexcept {
  switch (c) {
    case Collation::binary: return "binary";
    case Collation::pad_space: return "pad_space";
    case Collation::nocase: return "nocase";
    case Collation::case_insensitive: return "case_insensitive";
    case Collation::case_insensitive_pad_space: return "case_insensitive_pad_space";
  }
  return "binary";
}

namespace {

bool pads(Collation c) {
  return c == Collation::pad_space || c == Collation::case_insensitive_pad_space;
}

// One byte of collation_key(): nullopt where the engine's rules are its own.
std::optional<unsigned char> key_byte(unsigned char b, Collation c) {
  switch (c) {
    case Collation::binary:
    case Collation::pad_space: return b;
    case Collation::nocase: return b >= 'A' && b <= 'Z' ? b - 'A' + 'a' : b;
    case Collation::case_insensitive:
    case Collation::case_insensitive_pad_space:
      if (b < 0x20 || b > 0x7E) return std::nullopt;
      return b >= 'a' && b <= 'z' ? b - 'a' + 'A' : b;
  }
  return b;
}

}  // namespace

std::optional<std::string> collation_key(std::string_view s, Collation c) {
  if (pads(c)) s = without_trailing_blanks(s);
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto k = key_byte(static_cast<unsigned char>(ch), c);
    if (!k) return std::nullopt;
    out += static_cast<char>(*k);
  }
  return out;
}

std::optional<int> compare_text(std::string_view a, std::string_view b, Collation c) {
  if (pads(c)) {
    a = without_trailing_blanks(a);
    b = without_trailing_blanks(b);
  }
  if (c == Collation::binary || c == Collation::pad_space) {
    const int r = a.compare(b);
    return r < 0 ? -1 : (r > 0 ? 1 : 0);
  }
  // Every byte of both is checked (a refusal must not depend on where the
  // first difference is).
  int result = 0;
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    auto x = key_byte(static_cast<unsigned char>(a[i]), c);
    auto y = key_byte(static_cast<unsigned char>(b[i]), c);
    if (!x || !y) return std::nullopt;
    if (result == 0 && *x != *y) result = *x < *y ? -1 : 1;
  }
  for (std::string_view rest : {a.substr(n), b.substr(n)})
    for (char ch : rest)
      if (!key_byte(static_cast<unsigned char>(ch), c)) return std::nullopt;
  if (result == 0 && a.size() != b.size()) result = a.size() < b.size() ? -1 : 1;
  return result;
}

std::string_view to_string(TypeId id) noexcept {
  for (const auto& [tid, name] : kTypeNames)
    if (tid == id) return name;
  return "null";
}

std::string to_string(Type type) {
  std::string out(to_string(type.id));
  if (type.id == TypeId::decimal && type.precision > 0)
    out += "(" + std::to_string(type.precision) + "," + std::to_string(type.scale) + ")";
  return out;
}

std::optional<Type> parse_type(std::string_view text) {
  auto paren = text.find('(');
  std::string_view base = text.substr(0, paren);
  for (const auto& [tid, name] : kTypeNames) {
    if (!iequals(base, name)) continue;
    if (paren == std::string_view::npos) return Type(tid);
    if (tid != TypeId::decimal || text.back() != ')') return std::nullopt;
    std::string_view args = text.substr(paren + 1, text.size() - paren - 2);
    auto comma = args.find(',');
    unsigned p = 0, s = 0;
    std::string_view ps = args.substr(0, comma);
    if (std::from_chars(ps.data(), ps.data() + ps.size(), p).ec != std::errc{}) return std::nullopt;
    if (comma != std::string_view::npos) {
      std::string_view ss = args.substr(comma + 1);
      if (std::from_chars(ss.data(), ss.data() + ss.size(), s).ec != std::errc{})
        return std::nullopt;
    }
    if (p > 1000 || s > p) return std::nullopt;
    return Type(TypeId::decimal, static_cast<uint16_t>(p), static_cast<uint16_t>(s));
  }
  return std::nullopt;
}

size_t fixed_width(TypeId id) noexcept {
  switch (id) {
    case TypeId::int64:
    case TypeId::float64:
    case TypeId::time:
    case TypeId::timestamp:
    case TypeId::timestamp_tz: return 8;
    case TypeId::date: return 4;
    case TypeId::uuid: return 16;
    default: return 0;
  }
}

bool is_variable_width(TypeId id) noexcept {
  return id == TypeId::string || id == TypeId::bytes || id == TypeId::decimal ||
         id == TypeId::json;
}

std::optional<size_t> Schema::index_of(std::string_view name) const {
  for (size_t i = 0; i < fields.size(); ++i)
    if (fields[i].name == name) return i;
  for (size_t i = 0; i < fields.size(); ++i)
    if (iequals(fields[i].name, name)) return i;
  return std::nullopt;
}

const Field& Schema::field(std::string_view name) const {
  if (auto i = index_of(name)) return fields[*i];
  std::string known;
  for (const auto& f : fields) known += (known.empty() ? "" : ", ") + f.name;
  throw Error(ErrorCode::not_found,
              "no column '" + std::string(name) + "' (columns: " + known + ")");
}

}  // namespace polydb
