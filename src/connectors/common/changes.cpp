#include "connectors/common/changes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <unordered_map>

#include "core/log.hpp"
#include "polydb/error.hpp"

namespace polydb {

namespace {

// Appends one non-NULL cell so that equal values give equal bytes and the
// cells of a key cannot run into each other (variable-length: length first).
void append_key_cell(const Column& c, size_t row, std::string& out) {
  if (is_variable_width(c.type().id)) {
    const std::string_view v = c.var_at(row);
    const auto n = static_cast<uint32_t>(v.size());
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out.append(v);
  } else if (c.type().id == TypeId::boolean) {
    out.push_back(c.bool_at(row) ? '\1' : '\0');
  } else {
    const size_t width = fixed_width(c.type().id);
    out.append(reinterpret_cast<const char*>(c.fixed_at(row)), width);
  }
}

}  // namespace

void check_change_columns(const ChangeBatch& changes, const Schema& schema, std::string_view table,
                          std::string_view backend) {
  if (changes.rows.num_columns() != schema.fields.size())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("a change batch has {} columns, the writer of table '{}' was "
                            "opened with {}",
                            changes.rows.num_columns(), table, schema.fields.size()),
                std::string(backend));
}

Error unusable_change_writer(std::string_view call, std::string_view table, bool failed,
                             std::string_view backend) {
  return Error(ErrorCode::invalid_argument,
               fmt::format("{} on the change writer of table '{}', which {} (open a new one)", call,
                           table, failed ? "rolled back after a failure" : "was aborted"),
               std::string(backend));
}

ChangeColumns change_columns(const Schema& schema, const ChangeOptions& options,
                             std::string_view table, std::string_view backend) {
  ChangeColumns out;
  const std::vector<std::string>& key = options.key.empty() ? schema.primary_key : options.key;
  if (key.empty())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("changes to table '{}' need a key: the rows have no primary key and "
                            "none was named",
                            table),
                std::string(backend));
  for (const auto& k : key) {
    const auto i = schema.index_of(k);
    if (!i)
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("the key column '{}' is not among the columns of the changes to "
                              "table '{}'",
                              k, table),
                  std::string(backend));
    out.key.push_back(*i);
  }
  if (!options.version_column.empty()) {
    const auto i = schema.index_of(options.version_column);
    if (!i)
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("the version column '{}' is not among the columns of the changes "
                              "to table '{}'",
                              options.version_column, table),
                  std::string(backend));
    if (schema.fields[*i].type.id != TypeId::int64)
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("the version column '{}' of table '{}' must be an integer (int64), "
                              "not {}",
                              options.version_column, table, to_string(schema.fields[*i].type.id)),
                  std::string(backend));
    if (std::find(out.key.begin(), out.key.end(), *i) != out.key.end())
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("the version column '{}' of table '{}' cannot be part of the key",
                              options.version_column, table),
                  std::string(backend));
    out.version = *i;
  }
  return out;
}

std::vector<size_t> effective_changes(const ChangeBatch& changes, const ChangeColumns& columns,
                                      std::string_view backend) {
  const Batch& rows = changes.rows;
  const size_t n = rows.num_rows();
  if (changes.ops.size() != n)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("a change batch has {} rows but {} operations", n, changes.ops.size()),
                std::string(backend));
  for (size_t k : columns.key)
    if (rows.column(k).null_count() > 0)
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("a change has no value for the key column '{}' (NULL)",
                              rows.schema().fields[k].name),
                  std::string(backend));
  if (columns.version && rows.column(*columns.version).null_count() > 0)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("a change has no version (column '{}' is NULL)",
                            rows.schema().fields[*columns.version].name),
                std::string(backend));

  std::unordered_map<std::string, size_t> winner;  // key bytes -> row
  winner.reserve(n);
  std::string key;
  for (size_t r = 0; r < n; ++r) {
    key.clear();
    for (size_t k : columns.key) append_key_cell(rows.column(k), r, key);
    auto [it, fresh] = winner.try_emplace(key, r);
    if (fresh) continue;
    if (columns.version) {
      const Column& v = rows.column(*columns.version);
      if (v.int64_at(r) < v.int64_at(it->second)) continue;  // older: the newer one stays
    }
    it->second = r;
  }
  std::vector<size_t> out;
  out.reserve(winner.size());
  for (const auto& [k, r] : winner) out.push_back(r);
  std::sort(out.begin(), out.end());
  return out;
}

ChangeWriterBase::ChangeWriterBase(std::string_view table, const Schema& schema,
                                   const ChangeOptions& options, std::string_view backend,
                                   std::string_view logger_name)
    : table_(table),
      schema_(schema),
      columns_(change_columns(schema, options, table, backend)),
      backend_(backend),
      logger_name_(logger_name) {}

void ChangeWriterBase::apply(const ChangeBatch& changes) {
  if (aborted_) throw unusable_change_writer("apply()", table_, failed_, backend_);
  check_change_columns(changes, schema_, table_, backend_);
  const std::vector<size_t> rows = effective_changes(changes, columns_, backend_);
  write_changes(changes, rows);
  size_t upserts = 0;
  for (size_t r : rows) upserts += changes.ops[r] == ChangeOp::upsert;
  for (ChangeOp op : changes.ops) ++(op == ChangeOp::upsert ? result_.upserts : result_.removes);
  applied_rows_ += changes.rows.num_rows();
  logger(logger_name_)
      ->trace("applied {} changes to {} ({} upserts, {} removes deciding)", changes.ops.size(),
              table_, upserts, rows.size() - upserts);
}

ChangeResult ChangeWriterBase::commit() {
  if (aborted_) throw unusable_change_writer("commit()", table_, failed_, backend_);
  send_or_roll_back([&] { commit_changes(); });
  logger(logger_name_)
      ->debug("committed changes to {}: {} upserts, {} removes so far", table_, result_.upserts,
              result_.removes);
  return result_;
}

void ChangeWriterBase::abort() noexcept {
  if (aborted_) return;
  aborted_ = true;
  roll_back();
}

void ChangeWriterBase::send_or_roll_back(const std::function<void()>& send) {
  try {
    send();
  } catch (...) {
    failed_ = true;
    abort();
    throw;
  }
}

}  // namespace polydb
