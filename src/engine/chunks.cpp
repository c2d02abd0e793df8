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

// The minimum (descending = false) or maximum of an integer column among the
// rows `base` selects; nullopt when there are none (or only NULLs).
std::optional<int64_t> extreme(Connection& src, const ScanSpec& base, const std::string& column,
                               bool descending) {
  ScanSpec s;
  s.table = base.table;
  s.columns = {column};
  s.filter = Filter::is_null(column, true);
  if (base.filter) s.filter = Filter::all_of({*base.filter, *s.filter});
  s.order_by = {OrderBy{column, descending, std::nullopt}};
  s.limit = 1;
  s.batch_rows = 1;
  auto reader = src.scan(s);
  auto batch = reader->next();
  if (!batch || batch->num_rows() == 0 || batch->column(0).is_null(0)) return std::nullopt;
  return batch->column(0).int64_at(0);
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

std::string encode(const ChunkBounds& b) {
  nlohmann::json j = nlohmann::json::object();
  if (b.is_range()) {
    j["column"] = b.column;
    j["from"] = b.from ? nlohmann::json(*b.from) : nlohmann::json();
    j["to"] = b.to ? nlohmann::json(*b.to) : nlohmann::json();
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
      if (!j.at("from").is_null()) b.from = j.at("from").get<int64_t>();
      if (!j.at("to").is_null()) b.to = j.at("to").get<int64_t>();
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
    if (b.from) terms.push_back(Filter::compare(b.column, CompareOp::ge, Value(*b.from)));
    if (b.to) terms.push_back(Filter::compare(b.column, CompareOp::lt, Value(*b.to)));
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
  if (p.after) j["after"] = *p.after;
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
    if (j.contains("after")) p.after = j.at("after").get<int64_t>();
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

ScanSpec chunk_key_scan(const ScanSpec& base, const ChunkBounds& b, std::optional<int64_t> after) {
  std::vector<Filter> terms;
  if (after)
    terms.push_back(Filter::compare(b.column, CompareOp::gt, Value(*after)));
  else if (b.from)
    terms.push_back(Filter::compare(b.column, CompareOp::ge, Value(*b.from)));
  else
    terms.push_back(Filter::is_null(b.column, true));  // NULLs are read on their own
  if (b.to) terms.push_back(Filter::compare(b.column, CompareOp::lt, Value(*b.to)));
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

  std::string column;
  if (!chunk_by.empty()) {
    const Field& f = schema.field(chunk_by);
    if (f.type.id != TypeId::int64)
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("chunks are cut by an integer column; '{}' is {}", f.name,
                              to_string(f.type.id)));
    if (!caps.filter_pushdown || !caps.order_pushdown)
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("{} cannot cut chunks by a column (it does not filter and sort in "
                              "the backend); let polydb choose how to cut the chunks",
                              src.display_url()));
    column = f.name;
  } else if (schema.primary_key.size() == 1 && caps.filter_pushdown && caps.order_pushdown) {
    if (const auto i = schema.index_of(schema.primary_key[0]);
        i && schema.fields[*i].type.id == TypeId::int64)
      column = schema.fields[*i].name;
  }

  if (!column.empty()) {
    const auto lo = extreme(src, base, column, false);
    const auto hi = lo ? extreme(src, base, column, true) : std::nullopt;
    if (!lo || !hi) {
      plan.chunks.push_back(ChunkBounds{});  // no keys: one chunk reads whatever is there
      plan.how = "1 chunk (no key values)";
      return plan;
    }
    // Split [lo, hi] into n equal ranges; the span may be 2^64, so work from
    // hi - lo, which always fits in 64 unsigned bits.
    const uint64_t diff = static_cast<uint64_t>(*hi) - static_cast<uint64_t>(*lo);
    const uint64_t n = diff == std::numeric_limits<uint64_t>::max() ? wanted
                                                                    : std::min(wanted, diff + 1);
    const uint64_t step = diff / n + (diff % n + 1 == n ? 1 : 0);
    const uint64_t rem = diff % n + 1 == n ? 0 : diff % n + 1;
    auto bound = [&](uint64_t k) {
      return static_cast<int64_t>(static_cast<uint64_t>(*lo) + step * k + std::min(k, rem));
    };
    for (uint64_t k = 0; k < n; ++k) {
      ChunkBounds b;
      b.column = column;
      // The outer chunks are open-ended: rows outside [lo, hi] (inserted
      // since planning) are still read exactly once.
      if (k > 0) b.from = bound(k);
      if (k + 1 < n) b.to = bound(k + 1);
      plan.chunks.push_back(std::move(b));
    }
    plan.how = fmt::format("{} range{} of {}", n, n == 1 ? "" : "s", column);
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
