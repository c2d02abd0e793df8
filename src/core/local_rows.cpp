#include "core/local_rows.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "polydb/error.hpp"

namespace polydb {

Batch filter_and_project(Batch batch, const std::optional<Filter>& residual,
                         const std::shared_ptr<const Schema>& output) {
  if (residual) batch = apply_filter(*residual, batch);
  if (output == batch.schema_ptr()) return batch;
  Batch out(output);
  for (size_t c = 0; c < output->fields.size(); ++c) out.column(c) = std::move(batch.column(c));
  for (size_t r = 0; r < batch.num_rows(); ++r) out.commit_row();
  return out;
}

std::vector<const Column*> columns_as(const Batch& batch, std::span<const Type> want,
                                      uint64_t first_row, std::string_view backend,
                                      std::vector<Column>& storage) {
  const size_t n = batch.num_rows();
  std::vector<const Column*> cols(batch.num_columns());
  storage.resize(batch.num_columns());
  for (size_t c = 0; c < batch.num_columns(); ++c) {
    const Column& in = batch.column(c);
    if (in.type().id == want[c].id) {
      cols[c] = &in;
      continue;
    }
    storage[c] = Column(want[c]);
    storage[c].reserve(n);
    for (size_t r = 0; r < n; ++r) {
      try {
        storage[c].append(coerce_value(in.value_at(r), want[c]));
      } catch (const Error& e) {
        throw Error(ErrorCode::type_mismatch,
                    fmt::format("row {}, column '{}': {}", first_row + r + 1,
                                batch.schema().fields[c].name, e.message()),
                    std::string(backend), e.detail());
      }
    }
    cols[c] = &storage[c];
  }
  return cols;
}

LocalSort::LocalSort(const Schema& schema, std::span<const OrderBy> order,
                     std::function<int(const Value&, const Value&)> compare)
    : compare_(std::move(compare)) {
  for (const auto& o : order) keys_.emplace_back(*schema.index_of(o.column), o.descending);
}

void LocalSort::load(const std::function<std::optional<Batch>()>& source,
                     const std::optional<Filter>& residual, std::optional<uint64_t> limit) {
  loaded_ = true;
  while (auto raw = source()) {
    const Batch b = residual ? apply_filter(*residual, *raw) : std::move(*raw);
    for (size_t r = 0; r < b.num_rows(); ++r) rows_.push_back(b.row(r));
  }
  std::stable_sort(rows_.begin(), rows_.end(), [&](const auto& a, const auto& b) {
    for (auto [c, desc] : keys_)
      if (const int x = compare_(a[c], b[c]); x != 0) return desc ? x > 0 : x < 0;
    return false;
  });
  if (limit && rows_.size() > *limit) rows_.resize(*limit);
}

std::optional<Batch> LocalSort::next(const std::shared_ptr<const Schema>& output,
                                     size_t batch_rows) {
  if (next_row_ >= rows_.size()) return std::nullopt;
  Batch out(output);
  const size_t n = output->fields.size();
  while (next_row_ < rows_.size() && out.num_rows() < batch_rows) {
    auto& row = rows_[next_row_++];
    row.resize(n);
    out.append_row(row);
    std::vector<Value>().swap(row);  // release as it goes out
  }
  return out;
}

}  // namespace polydb
