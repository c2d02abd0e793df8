#include "connectors/common/document_schema.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <numeric>

#include <nlohmann/json.hpp>

#include "polydb/error.hpp"
#include "polydb/value.hpp"

namespace polydb {

namespace {

// A canonical integer text ("12", "-3"; not "012", "+1", "1.0") that fits int64.
bool is_canonical_int(std::string_view s) {
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::to_string(v) == s;
}

// Digits with an optional sign and decimal point that read as a decimal.
bool is_exact_number(std::string_view s) {
  if (is_canonical_int(s)) return true;
  if (s.empty() || s.find_first_not_of("-0123456789.") != std::string_view::npos) return false;
  try {
    (void)parse_value(s, TypeId::decimal);
    return true;
  } catch (const Error&) {
    return false;
  }
}

bool has(const std::vector<SampleKind>& kinds, SampleKind k) {
  return std::find(kinds.begin(), kinds.end(), k) != kinds.end();
}

bool only(const std::vector<SampleKind>& kinds, std::initializer_list<SampleKind> allowed) {
  return std::all_of(kinds.begin(), kinds.end(), [&](SampleKind k) {
    return std::find(allowed.begin(), allowed.end(), k) != allowed.end();
  });
}

// Skips JSON white space.
size_t skip_ws(std::string_view t, size_t i) {
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
  return i;
}

// The end of the JSON string starting at t[i] == '"'.
size_t string_end(std::string_view t, size_t i) {
  for (++i; i < t.size(); ++i) {
    if (t[i] == '\\') ++i;
    else if (t[i] == '"') return i + 1;
  }
  return t.size();
}

// The end of the JSON value starting at t[i] (the text is valid JSON).
size_t value_end(std::string_view t, size_t i) {
  if (t[i] == '"') return string_end(t, i);
  if (t[i] == '{' || t[i] == '[') {
    int depth = 0;
    for (; i < t.size(); ++i) {
      const char c = t[i];
      if (c == '"') {
        i = string_end(t, i) - 1;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
    }
    return t.size();
  }
  while (i < t.size() && t[i] != ',' && t[i] != '}' && t[i] != ']' && t[i] != ' ' &&
         t[i] != '\t' && t[i] != '\n' && t[i] != '\r')
    ++i;
  return i;
}

}  // namespace

DocumentSchemaBuilder::DocumentSchemaBuilder(Traits traits) : traits_(std::move(traits)) {}

void DocumentSchemaBuilder::lead(std::string_view name) {
  if (name == kExtraColumn) return;
  if (seen_.try_emplace(std::string(name), Seen{.text = TextTypeGuess(traits_.text)}).second)
    order_.emplace_back(name);
}

void DocumentSchemaBuilder::add(std::string_view name, std::optional<SampleKind> kind,
                                std::string_view native_kind, std::string_view text) {
  if (name == kExtraColumn) return;
  auto it = seen_.find(name);
  if (it == seen_.end()) {
    it = seen_.emplace(std::string(name), Seen{.text = TextTypeGuess(traits_.text)}).first;
    order_.emplace_back(name);
  }
  Seen& s = it->second;
  ++s.present;
  if (!kind) return;
  if (!has(s.kinds, *kind)) s.kinds.push_back(*kind);
  if (std::find(s.native_kinds.begin(), s.native_kinds.end(), native_kind) ==
      s.native_kinds.end())
    s.native_kinds.emplace_back(native_kind);
  if (*kind == SampleKind::text) {
    s.text.add(text);
    if (s.text_int) s.text_int = is_canonical_int(text);
    if (s.text_numeric) s.text_numeric = is_exact_number(text);
  }
}

const DocumentSchemaBuilder::Seen* DocumentSchemaBuilder::seen(std::string_view name) const {
  auto it = seen_.find(name);
  return it == seen_.end() ? nullptr : &it->second;
}

Field DocumentSchemaBuilder::field(std::string_view name) const {
  static const Seen kNone{};
  const Seen* found = seen(name);
  const Seen& s = found ? *found : kNone;
  const auto& k = s.kinds;
  using K = SampleKind;
  Field f;
  f.name = std::string(name);
  f.nullable = true;
  std::string native;
  for (const auto& n : s.native_kinds) native += (native.empty() ? "" : "|") + n;
  if (native.empty()) f.native_type = traits_.no_kind;
  else if (s.native_kinds.size() > 1 || traits_.prefix_single) f.native_type = traits_.prefix + native;
  else f.native_type = native;

  const bool numbers = !k.empty() && only(k, {K::integer, K::decimal, K::floating});
  if (k.empty()) f.type = TypeId::string;
  else if (has(k, K::nested)) f.type = TypeId::json;
  else if (only(k, {K::boolean})) f.type = TypeId::boolean;
  else if (numbers && only(k, {K::integer})) f.type = TypeId::int64;
  else if (numbers) f.type = has(k, K::decimal) ? TypeId::decimal : TypeId::float64;
  else if (only(k, {K::text})) f.type = s.text.type();
  else if (traits_.exact_numbers_as_text && has(k, K::text) && s.text_numeric &&
           only(k, {K::text, K::integer, K::decimal, K::floating}))
    f.type = only(k, {K::text, K::integer}) && s.text_int ? TypeId::int64 : TypeId::decimal;
  else if (only(k, {K::plain_text, K::text})) f.type = TypeId::string;
  else if (only(k, {K::bytes})) f.type = TypeId::bytes;
  else if (only(k, {K::timestamp_tz})) f.type = TypeId::timestamp_tz;
  else f.type = TypeId::string;
  return f;
}

Schema DocumentSchemaBuilder::finish() const {
  Schema schema;
  for (const auto& name : order_) schema.fields.push_back(field(name));
  schema.fields.push_back(extra_field());
  return schema;
}

Field extra_field() {
  return Field{std::string(kExtraColumn), TypeId::json, true, std::string(kExtraNativeType)};
}

std::vector<size_t> fullest_first(std::span<const size_t> sizes) {
  std::vector<size_t> order(sizes.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return sizes[a] > sizes[b]; });
  return order;
}

ExtraAttributes::ExtraAttributes(const Schema& full) {
  for (const auto& f : full.fields)
    if (f.name != kExtraColumn) names_.push_back(f.name);
  std::sort(names_.begin(), names_.end());
}

bool ExtraAttributes::is_column(std::string_view name) const noexcept {
  auto it = std::lower_bound(names_.begin(), names_.end(), name,
                             [](const std::string& a, std::string_view b) { return a < b; });
  return it != names_.end() && *it == name;
}

void ExtraAttributes::add(std::string_view name, std::string_view json_value) {
  row_ += row_.empty() ? '{' : ',';
  row_ += nlohmann::json(name).dump();
  row_ += ':';
  row_ += json_value;
}

void ExtraAttributes::finish_row(Column& col) {
  if (row_.empty()) return col.append_null();
  row_ += '}';
  col.append_var(row_);
  row_.clear();
}

std::optional<size_t> extra_column(const Schema& schema, std::string_view table,
                                   std::string_view backend) {
  auto idx = schema.index_of(kExtraColumn);
  if (!idx) return std::nullopt;
  const TypeId t = schema.fields[*idx].type.id;
  if (t != TypeId::json && t != TypeId::string)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("the rows for '{}' have a {} column '{}': that name is reserved for "
                            "the JSON object of attributes that are not columns (rename the "
                            "column)",
                            table, to_string(schema.fields[*idx].type), kExtraColumn),
                std::string(backend));
  return idx;
}

std::vector<std::pair<std::string, std::string_view>> split_extra(std::string_view text,
                                                                  std::string_view backend) {
  if (!nlohmann::json::accept(text) || text[skip_ws(text, 0)] != '{')
    throw Error(ErrorCode::type_mismatch,
                fmt::format("'{}' holds {}, not a JSON object of attributes", kExtraColumn,
                            text.substr(0, 60)),
                std::string(backend));
  std::vector<std::pair<std::string, std::string_view>> out;
  size_t i = skip_ws(text, skip_ws(text, 0) + 1);
  while (i < text.size() && text[i] == '"') {
    const size_t key_end = string_end(text, i);
    std::string key = nlohmann::json::parse(text.substr(i, key_end - i)).get<std::string>();
    i = skip_ws(text, skip_ws(text, key_end) + 1);  // past ':'
    const size_t end = value_end(text, i);
    out.emplace_back(std::move(key), text.substr(i, end - i));
    i = skip_ws(text, end);
    if (i < text.size() && text[i] == ',') i = skip_ws(text, i + 1);
  }
  return out;
}

std::string extra_conflict_message(std::string_view name) {
  return fmt::format("attribute '{}' is both a column (not NULL) and a key of '{}': keep one "
                     "of them",
                     name, kExtraColumn);
}

}  // namespace polydb
