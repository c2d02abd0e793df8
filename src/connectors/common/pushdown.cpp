#include "connectors/common/pushdown.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "polydb/error.hpp"

namespace polydb {

std::optional<std::string> filter_to_sql(const Filter& f, const LeafToSql& leaf) {
  switch (f.kind) {
    case Filter::Kind::all_of:
    case Filter::Kind::any_of: {
      // (1=1)/(1=0) are valid in every SQL dialect, unlike TRUE or 1.
      if (f.children.empty()) return f.kind == Filter::Kind::all_of ? "(1=1)" : "(1=0)";
      std::string out = "(";
      for (size_t i = 0; i < f.children.size(); ++i) {
        auto part = filter_to_sql(f.children[i], leaf);
        if (!part) return std::nullopt;
        if (i) out += f.kind == Filter::Kind::all_of ? " AND " : " OR ";
        out += *part;
      }
      return out + ")";
    }
    case Filter::Kind::negate: {
      auto part = filter_to_sql(f.children.at(0), leaf);
      if (!part) return std::nullopt;
      return "(NOT " + *part + ")";
    }
    case Filter::Kind::compare: break;
  }
  return leaf(f);
}

FilterPushdown push_conjuncts(const Filter& filter, const LeafToSql& leaf,
                              std::vector<Value>* params) {
  FilterPushdown out;
  const std::vector<Filter> parts =
      filter.kind == Filter::Kind::all_of ? filter.children : std::vector<Filter>{filter};
  std::vector<Filter> local;
  for (const auto& part : parts) {
    const size_t before = params ? params->size() : 0;
    if (auto sql = filter_to_sql(part, leaf)) {
      out.sql.push_back(std::move(*sql));
    } else {
      if (params) params->resize(before);
      local.push_back(part);
    }
  }
  if (!local.empty())
    out.residual = local.size() == 1 ? std::move(local[0]) : Filter::all_of(std::move(local));
  return out;
}

Schema project(const Schema& full, std::span<const std::string> columns) {
  if (columns.empty()) return full;
  Schema out;
  for (const auto& c : columns) out.fields.push_back(full.field(c));
  for (const auto& k : full.primary_key)
    for (const auto& f : out.fields)
      if (f.name == k) out.primary_key.push_back(k);
  return out;
}

void check_residual_columns(const std::optional<Filter>& residual, const Schema& projected) {
  if (!residual) return;
  for (const auto& c : residual->columns())
    if (!projected.index_of(c))
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("the filter uses column '{}', which is not among the selected "
                              "columns (select it too)",
                              c));
}

void check_partition(const ScanSpec::Partition& partition) {
  if (partition.count == 0 || partition.index >= partition.count)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("partition {} of {} does not exist (index must be below count)",
                            partition.index, partition.count));
}

int64_t range_split(int64_t lo, int64_t hi, uint32_t k, uint32_t count) noexcept {
  // Unsigned arithmetic: hi - lo may exceed INT64_MAX, yet every result stays
  // within [lo, hi].
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  const uint64_t step = span / count, rem = span % count;
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + step * k + std::min<uint64_t>(k, rem));
}

}  // namespace polydb
