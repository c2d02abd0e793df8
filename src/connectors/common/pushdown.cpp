#include "connectors/common/pushdown.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

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

void refuse_resume_from(const ScanSpec& spec, std::string_view backend) {
  if (spec.resume_from.empty()) return;
  throw Error(ErrorCode::unsupported,
              fmt::format("a {} scan cannot continue from a resume point (the backend reports "
                          "none); read the table from its start",
                          backend),
              std::string(backend));
}

namespace {

bool plain_number(std::string_view t) {
  size_t digits = 0, dots = 0;
  for (char c : t) {
    if (c >= '0' && c <= '9') ++digits;
    else if (c == '.') ++dots;
    else return false;
  }
  return digits > 0 && dots <= 1 && t.front() != '.' && t.back() != '.';
}

std::string expr_sql(const ScanExpr& e, const Schema& full, const AggregateDialect& d) {
  switch (e.kind) {
    case ScanExpr::Kind::column: {
      const Field& f = full.field(e.text);
      const std::string q = d.quote(f.name);
      return f.type.id == TypeId::int64 && d.integer_column ? d.integer_column(q) : q;
    }
    case ScanExpr::Kind::number:
      if (!plain_number(e.text))
        throw Error(ErrorCode::invalid_argument,
                    fmt::format("'{}' is not a number an aggregate can use (digits and at most "
                                "one '.')",
                                e.text));
      return e.text;
    case ScanExpr::Kind::negate: return "(-" + expr_sql(e.operands.at(0), full, d) + ")";
    case ScanExpr::Kind::add:
    case ScanExpr::Kind::subtract:
    case ScanExpr::Kind::multiply: {
      const char* op = e.kind == ScanExpr::Kind::add        ? " + "
                       : e.kind == ScanExpr::Kind::subtract ? " - "
                                                            : " * ";
      return "(" + expr_sql(e.operands.at(0), full, d) + op + expr_sql(e.operands.at(1), full, d) +
             ")";
    }
  }
  throw Error(ErrorCode::internal, "unknown aggregate expression");
}

}  // namespace

std::string aggregate_sql(const ScanSpec& spec, const Schema& full, std::string_view table,
                          const std::vector<std::string>& where,
                          const std::optional<Filter>& residual, const AggregateDialect& d) {
  if (residual)
    throw Error(ErrorCode::unsupported,
                fmt::format("the condition {} cannot be evaluated by the backend exactly as "
                            "polydb does, so the backend cannot compute {} over {}",
                            residual->to_string(), spec.aggregates.at(0).to_string(), spec.table));
  if (!spec.columns.empty() || !spec.order_by.empty() || spec.limit || spec.partition.count > 1)
    throw Error(ErrorCode::unsupported,
                "an aggregate scan takes no column list, order, limit or partitions");
  std::string list, group;
  for (const auto& g : spec.group_by) {
    const std::string q = d.quote(full.field(g).name);
    list += (list.empty() ? "" : ", ") + q;
    group += (group.empty() ? "" : ", ") + q;
  }
  for (const auto& a : spec.aggregates) {
    (void)a.result_type(full);  // checks the columns and their types
    std::string call;
    switch (a.fn) {
      case ScanAggregate::Fn::count_rows: call = "count(*)"; break;
      case ScanAggregate::Fn::count:  // a column, counted as it is
        call = a.argument->kind == ScanExpr::Kind::column
                   ? "count(" + d.quote(full.field(a.argument->text).name) + ")"
                   : "count(" + expr_sql(*a.argument, full, d) + ")";
        break;
      case ScanAggregate::Fn::sum: call = "sum(" + expr_sql(*a.argument, full, d) + ")"; break;
      case ScanAggregate::Fn::min: call = "min(" + expr_sql(*a.argument, full, d) + ")"; break;
      case ScanAggregate::Fn::max: call = "max(" + expr_sql(*a.argument, full, d) + ")"; break;
      case ScanAggregate::Fn::avg:
        call = "avg(" + d.avg_argument(expr_sql(*a.argument, full, d)) + ")";
        break;
    }
    list += (list.empty() ? "" : ", ") + call + " AS " + d.quote(a.name);
  }
  std::string sql = fmt::format("SELECT {} FROM {}", list, table);
  for (size_t i = 0; i < where.size(); ++i) sql += (i ? " AND " : " WHERE ") + where[i];
  if (!group.empty()) sql += " GROUP BY " + group;
  return sql;
}

namespace {

// A decimal's text as an int64, when it is integral and in range.
std::optional<int64_t> integral_decimal(std::string_view text) {
  const size_t dot = text.find('.');
  if (dot != std::string_view::npos) {
    for (size_t i = dot + 1; i < text.size(); ++i)
      if (text[i] != '0') return std::nullopt;
    text = text.substr(0, dot);
  }
  int64_t v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

// `v` as a value of `want`, the type an aggregate promises.
Value aggregate_value(const Value& v, Type want, const std::string& column) {
  const TypeId have = v.type_id();
  if (have == TypeId::null || have == want.id) return v;
  switch (want.id) {
    case TypeId::int64:
      if (have == TypeId::decimal) {
        if (auto i = integral_decimal(v.as<Decimal>().text)) return Value(*i);
        return v;  // beyond int64: the exact decimal (polydb's own sum would fail)
      }
      if (have == TypeId::float64) {
        const double d = v.as<double>();
        if (std::nearbyint(d) == d && std::fabs(d) < 9.2e18) return Value(static_cast<int64_t>(d));
      }
      break;
    case TypeId::float64:
      if (have == TypeId::decimal) return Value(std::strtod(v.as<Decimal>().text.c_str(), nullptr));
      if (have == TypeId::int64) return Value(static_cast<double>(v.as<int64_t>()));
      break;
    case TypeId::decimal:
      if (have == TypeId::int64) return Value(Decimal{std::to_string(v.as<int64_t>())});
      if (have == TypeId::float64 || have == TypeId::string) return coerce_value(v, want);
      break;
    case TypeId::date:
      if (have == TypeId::string) return parse_value(v.as<std::string>(), want);
      break;
    default: break;
  }
  throw Error(ErrorCode::type_mismatch,
              fmt::format("the backend returned {} for {}, which should be a {}",
                          v.to_text().substr(0, 60), column, to_string(want)));
}

class AggregateReader final : public BatchReader {
 public:
  AggregateReader(std::unique_ptr<BatchReader> inner, const ScanSpec& spec, const Schema& full)
      : inner_(std::move(inner)) {
    auto schema = std::make_shared<Schema>();
    for (const auto& g : spec.group_by) schema->fields.push_back(full.field(g));
    for (const auto& a : spec.aggregates) {
      Field f;
      f.name = a.name;
      f.type = a.result_type(full);
      schema->fields.push_back(std::move(f));
    }
    if (inner_->schema().fields.size() != schema->fields.size())
      throw Error(ErrorCode::internal,
                  fmt::format("an aggregate scan returned {} columns instead of {}",
                              inner_->schema().fields.size(), schema->fields.size()));
    schema_ = std::move(schema);
  }
  const Schema& schema() const override { return *schema_; }
  ScanPlan plan() const override {
    ScanPlan p = inner_->plan();
    p.filter_pushed = true;
    return p;
  }
  std::optional<Batch> next() override {
    auto in = inner_->next();
    if (!in) return std::nullopt;
    Batch out(schema_);
    out.reserve(in->num_rows());
    std::vector<Value> row(schema_->fields.size());
    for (size_t r = 0; r < in->num_rows(); ++r) {
      for (size_t c = 0; c < row.size(); ++c)
        row[c] = aggregate_value(in->column(c).value_at(r), schema_->fields[c].type,
                                 schema_->fields[c].name);
      out.append_row(row);
    }
    return out;
  }

 private:
  std::unique_ptr<BatchReader> inner_;
  std::shared_ptr<const Schema> schema_;
};

}  // namespace

std::unique_ptr<BatchReader> aggregate_reader(std::unique_ptr<BatchReader> inner,
                                              const ScanSpec& spec, const Schema& full) {
  return std::make_unique<AggregateReader>(std::move(inner), spec, full);
}

int64_t range_split(int64_t lo, int64_t hi, uint32_t k, uint32_t count) noexcept {
  // Unsigned arithmetic: hi - lo may exceed INT64_MAX, yet every result stays
  // within [lo, hi].
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  const uint64_t step = span / count, rem = span % count;
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + step * k + std::min<uint64_t>(k, rem));
}

}  // namespace polydb
