#include "engine/chunks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "polydb/error.hpp"

namespace polydb::engine {

namespace {

// Chunks per table at most: each costs a state-store row and a scan.
constexpr uint64_t kMaxChunks = 10'000;

// The rows of `base` with a non-NULL `column`, that column only, in ascending
// (or descending) order.
ScanSpec key_scan(const ScanSpec& base, const std::string& column, bool descending) {
  ScanSpec s;
  s.table = base.table;
  s.columns = {column};
  s.filter = Filter::is_null(column, true);
  if (base.filter) s.filter = Filter::all_of({*base.filter, *s.filter});
  s.order_by = {OrderBy{column, descending, std::nullopt}};
  s.exclusive = true;
  return s;
}

// The minimum (descending = false) or maximum of an integer column among the
// rows `base` selects; nullopt when there are none (or only NULLs).
std::optional<int64_t> extreme(Connection& src, const ScanSpec& base, const std::string& column,
                               bool descending) {
  ScanSpec s = key_scan(base, column, descending);
  s.limit = 1;
  s.batch_rows = 1;
  auto reader = src.scan(s);
  auto batch = reader->next();
  if (!batch || batch->num_rows() == 0 || batch->column(0).is_null(0)) return std::nullopt;
  return batch->column(0).int64_at(0);
}

// Boundaries that cut the non-NULL keys of `column` into ranges of
// `chunk_rows` keys: one read of the keys in the source's order (which, for
// the key types and collations planned this way, is the order its
// comparisons follow), keeping every chunk_rows-th key. Past 2 * kMaxChunks
// boundaries, every other one is dropped and the step doubles, so memory
// stays bounded whatever the table's size. Equal neighbours (a key that is
// not unique) are kept once.
std::vector<Value> sampled_boundaries(Connection& src, const ScanSpec& base,
                                      const std::string& column, uint64_t chunk_rows) {
  std::vector<Value> bounds;
  uint64_t step = std::max<uint64_t>(chunk_rows, 1);
  uint64_t seen = 0;
  ScanSpec s = key_scan(base, column, false);
  s.batch_rows = 65'536;
  auto reader = src.scan(s);
  while (auto batch = reader->next()) {
    const Column& keys = batch->column(0);
    for (size_t i = 0; i < batch->num_rows(); ++i) {
      // The keys at 1 + step, 1 + 2 step, ...: each range holds step keys.
      if ((++seen - 1) % step != 0 || seen == 1 || keys.is_null(i)) continue;
      Value key = keys.value_at(i);
      if (!bounds.empty() && bounds.back() == key) continue;
      bounds.push_back(std::move(key));
      if (bounds.size() > 2 * kMaxChunks) {
        // Keep the boundaries at even multiples of the old step.
        std::vector<Value> kept;
        for (size_t k = 1; k < bounds.size(); k += 2) kept.push_back(std::move(bounds[k]));
        bounds = std::move(kept);
        step *= 2;
      }
    }
  }
  if (bounds.size() >= kMaxChunks) {
    // At most kMaxChunks ranges: evenly spaced among the boundaries found.
    std::vector<Value> kept;
    for (uint64_t k = 1; k < kMaxChunks; ++k)
      kept.push_back(std::move(bounds[k * bounds.size() / kMaxChunks]));
    bounds = std::move(kept);
  }
  return bounds;
}

// Whether the source compares and orders `field` alike, so that ranges cut
// in its ORDER BY are exactly what its comparisons select: integers, and text
// under a bytewise collation (the connectors order such text bytewise, as
// they compare it) or SQLite's NOCASE (one rule for both). Case-insensitive
// engine collations and pad-space text are ordered and compared by rules
// that may differ in places (MySQL orders them bytewise): such keys are cut
// into scan segments instead.
bool ranges_follow_order(const Field& field) {
  if (field.type.id == TypeId::int64) return true;
  return field.type.id == TypeId::string &&
         (field.collation == Collation::binary || field.collation == Collation::nocase);
}

// Rows to plan for: the backend's estimate, checked against an exact count
// when it asks for many chunks (estimates can be far off: SQLite's is the
// largest rowid, which sparse keys inflate). One count per job is cheap next
// to the copy it plans.
std::optional<uint64_t> row_estimate(Connection& src, const ScanSpec& base, uint64_t chunk_rows) {
  std::optional<uint64_t> n;
  try {
    n = src.estimate_rows(base.table);
    if (!n || *n / chunk_rows > 64)
      if (auto exact = src.count_rows(base.table)) n = exact;
  } catch (const Error&) {
    // Only sizes the chunks; planning goes on with what it has.
  }
  return n;
}

}  // namespace

namespace {

// A key in the state store's JSON: an integer as a number (as earlier
// versions wrote it), any other type as {"type": ..., "text": ...}.
nlohmann::json key_json(const std::optional<Value>& key) {
  if (!key) return nlohmann::json();
  if (key->holds<int64_t>()) return key->as<int64_t>();
  return nlohmann::json{{"type", std::string(to_string(key->type_id()))}, {"text", key->to_text()}};
}

std::optional<Value> json_key(const nlohmann::json& j) {
  if (j.is_null()) return std::nullopt;
  if (j.is_number_integer()) return Value(j.get<int64_t>());
  const auto type = parse_type(j.at("type").get<std::string>());
  if (!type || !chunkable_key(type->id)) throw std::out_of_range("key type");
  return parse_value(j.at("text").get<std::string>(), *type);
}

}  // namespace

bool chunkable_key(TypeId type) noexcept {
  return type == TypeId::int64 || type == TypeId::string;
}

std::string encode(const ChunkBounds& b) {
  nlohmann::json j = nlohmann::json::object();
  if (b.is_range()) {
    j["column"] = b.column;
    j["from"] = key_json(b.from);
    j["to"] = key_json(b.to);
  } else if (b.is_segment()) {
    j["segment"] = b.segment;
    j["of"] = b.of;
  } else {
    j["all"] = true;
  }
  return j.dump();
}

ChunkBounds decode_bounds(std::string_view text) {
  try {
    const auto j = nlohmann::json::parse(text);
    ChunkBounds b;
    if (j.contains("column")) {
      b.column = j.at("column").get<std::string>();
      b.from = json_key(j.at("from"));
      b.to = json_key(j.at("to"));
    } else if (j.contains("segment")) {
      b.segment = j.at("segment").get<uint32_t>();
      b.of = j.at("of").get<uint32_t>();
      if (b.of == 0 || b.segment >= b.of) throw std::out_of_range("segment");
    } else if (!j.value("all", false)) {
      throw std::out_of_range("kind");
    }
    return b;
  } catch (const std::exception& e) {
    throw Error(ErrorCode::corruption,
                fmt::format("the state store holds chunk bounds polydb cannot read: {}", text),
                {}, e.what());
  }
}

ScanSpec chunk_scan(const ScanSpec& base, const ChunkBounds& b) {
  ScanSpec s = base;
  if (b.is_segment()) {
    s.partition = {b.segment, b.of};
  } else if (b.is_range()) {
    std::vector<Filter> terms;
    if (b.from) terms.push_back(Filter::compare(b.column, CompareOp::ge, *b.from));
    if (b.to) terms.push_back(Filter::compare(b.column, CompareOp::lt, *b.to));
    std::optional<Filter> range;
    if (terms.size() == 1) range = std::move(terms[0]);
    if (terms.size() == 2) range = Filter::all_of(std::move(terms));
    // The first range (no lower bound) also holds the rows whose key is NULL.
    if (!b.from && range) range = Filter::any_of({Filter::is_null(b.column), std::move(*range)});
    if (range) s.filter = s.filter ? Filter::all_of({*s.filter, std::move(*range)}) : std::move(range);
  }
  return s;
}

std::string encode(const ChunkPosition& p) {
  nlohmann::json j = nlohmann::json::object();
  if (p.nulls_done) j["nulls_done"] = true;
  if (p.after) j["after"] = key_json(p.after);
  if (!p.reader.empty()) j["reader"] = p.reader;
  j["hash"] = fmt::format("{:016x}", p.hash);
  return j.dump();
}

ChunkPosition decode_position(std::string_view text) {
  ChunkPosition p;
  if (text.empty()) return p;
  try {
    const auto j = nlohmann::json::parse(text);
    p.nulls_done = j.value("nulls_done", false);
    if (j.contains("after")) p.after = json_key(j.at("after"));
    p.reader = j.value("reader", std::string());
    const std::string hash = j.at("hash").get<std::string>();
    size_t used = 0;
    p.hash = std::stoull(hash, &used, 16);
    if (used != hash.size() || hash.size() != 16) throw std::out_of_range("hash");
  } catch (const std::exception& e) {
    throw Error(ErrorCode::corruption,
                fmt::format("the state store holds a chunk position polydb cannot read: {}", text),
                {}, e.what());
  }
  return p;
}

namespace {

ScanSpec narrowed(const ScanSpec& base, std::vector<Filter> terms) {
  ScanSpec s = base;
  if (base.filter) terms.insert(terms.begin(), *base.filter);
  s.filter = terms.size() == 1 ? std::move(terms[0]) : Filter::all_of(std::move(terms));
  return s;
}

}  // namespace

ScanSpec chunk_null_scan(const ScanSpec& base, const ChunkBounds& b) {
  return narrowed(base, {Filter::is_null(b.column)});
}

ScanSpec chunk_key_scan(const ScanSpec& base, const ChunkBounds& b,
                        const std::optional<Value>& after) {
  std::vector<Filter> terms;
  if (after)
    terms.push_back(Filter::compare(b.column, CompareOp::gt, *after));
  else if (b.from)
    terms.push_back(Filter::compare(b.column, CompareOp::ge, *b.from));
  else
    terms.push_back(Filter::is_null(b.column, true));  // NULLs are read on their own
  if (b.to) terms.push_back(Filter::compare(b.column, CompareOp::lt, *b.to));
  ScanSpec s = narrowed(base, std::move(terms));
  s.order_by = {OrderBy{b.column, false, std::nullopt}};
  return s;
}

ChunkPlan plan_chunks(Connection& src, const ScanSpec& base, const Schema& schema,
                      std::string_view chunk_by, uint64_t chunk_rows) {
  ChunkPlan plan;
  chunk_rows = std::max<uint64_t>(chunk_rows, 1);
  plan.estimated_rows = row_estimate(src, base, chunk_rows);
  const uint64_t wanted =
      plan.estimated_rows
          ? std::clamp<uint64_t>((*plan.estimated_rows + chunk_rows - 1) / chunk_rows, 1, kMaxChunks)
          : 16;
  const Capabilities caps = src.capabilities();

  // The key column: the one named, else a single-column primary key of a
  // type that cuts ranges, when the source filters and sorts in the backend.
  const bool ordered = caps.filter_pushdown && caps.order_pushdown;
  std::optional<Field> key;
  if (!chunk_by.empty()) {
    const Field& f = schema.field(chunk_by);
    if (!chunkable_key(f.type.id))
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("chunks are cut by an integer or text column; '{}' is {}", f.name,
                              to_string(f.type.id)));
    if (!ranges_follow_order(f))
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("chunks cannot be cut by '{}': its collation ({}) orders text in "
                              "ways its comparisons may not follow; let polydb choose how to cut "
                              "the chunks",
                              f.name, to_string(f.collation)));
    if (!ordered)
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("{} cannot cut chunks by a column (it does not filter and sort in "
                              "the backend); let polydb choose how to cut the chunks",
                              src.display_url()));
    key = f;
  } else if (schema.primary_key.size() == 1 && ordered) {
    if (const auto i = schema.index_of(schema.primary_key[0]);
        i && chunkable_key(schema.fields[*i].type.id) && ranges_follow_order(schema.fields[*i]))
      key = schema.fields[*i];
  }

  if (key) {
    const std::string& column = key->name;
    std::vector<Value> cuts;  // the lower bounds of the second to last range
    if (key->type.id == TypeId::int64) {
      const auto lo = extreme(src, base, column, false);
      const auto hi = lo ? extreme(src, base, column, true) : std::nullopt;
      if (!lo || !hi) {
        plan.chunks.push_back(ChunkBounds{});  // no keys: one chunk reads whatever is there
        plan.how = "1 chunk (no key values)";
        return plan;
      }
      // Split [lo, hi] into n equal ranges; the span may be 2^64, so work
      // from hi - lo, which always fits in 64 unsigned bits.
      const uint64_t diff = static_cast<uint64_t>(*hi) - static_cast<uint64_t>(*lo);
      const uint64_t n = diff == std::numeric_limits<uint64_t>::max() ? wanted
                                                                      : std::min(wanted, diff + 1);
      const uint64_t step = diff / n + (diff % n + 1 == n ? 1 : 0);
      const uint64_t rem = diff % n + 1 == n ? 0 : diff % n + 1;
      for (uint64_t k = 1; k < n; ++k)
        cuts.emplace_back(
            static_cast<int64_t>(static_cast<uint64_t>(*lo) + step * k + std::min(k, rem)));
    } else {
      cuts = sampled_boundaries(src, base, column, chunk_rows);
    }
    // The outer ranges are open-ended: rows outside the keys seen (inserted
    // since planning) are still read exactly once.
    const size_t n = cuts.size() + 1;
    for (size_t k = 0; k < n; ++k) {
      ChunkBounds b;
      b.column = column;
      if (k > 0) b.from = cuts[k - 1];
      if (k < cuts.size()) b.to = cuts[k];
      plan.chunks.push_back(std::move(b));
    }
    plan.how = fmt::format("{} range{} of {}{}", n, n == 1 ? "" : "s", column,
                           key->type.id == TypeId::int64 ? "" : " (sampled boundaries)");
    return plan;
  }
  if (caps.partitioned_scan && wanted > 1) {
    const auto n = static_cast<uint32_t>(wanted);
    for (uint32_t k = 0; k < n; ++k) plan.chunks.push_back(ChunkBounds{{}, {}, {}, k, n});
    plan.how = fmt::format("{} scan segments", n);
    return plan;
  }
  plan.chunks.push_back(ChunkBounds{});
  plan.how = "1 chunk";
  return plan;
}

}  // namespace polydb::engine
