#include "connectors/common/write_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "connectors/common/table_errors.hpp"
#include "polydb/error.hpp"

namespace polydb {

void check_writable_source(const Schema& source, std::string_view table,
                           std::string_view backend) {
  if (source.fields.empty())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("nothing to write into '{}': the source has no columns", table),
                std::string(backend));
}

void check_batch_columns(const Batch& batch, const Schema& source, std::string_view backend) {
  if (batch.num_columns() != source.fields.size())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("batch has {} columns, the writer was opened with {}",
                            batch.num_columns(), source.fields.size()),
                std::string(backend));
}

Error finished_writer(std::string_view call, std::string_view table, bool failed,
                      std::string_view backend) {
  return Error(ErrorCode::invalid_argument,
               fmt::format("{} on the writer of table '{}', which {} (open a new one)", call, table,
                           failed ? "rolled back after a failed write" : "is finished"),
               std::string(backend));
}

TargetStep target_step(WriteMode mode, bool exists, std::string_view table,
                       std::string_view where, std::string_view backend) {
  switch (mode) {
    case WriteMode::create:
      if (exists) throw table_exists_error(table, where, backend);
      return TargetStep::create;
    case WriteMode::append:
    case WriteMode::upsert:
      return exists ? TargetStep::write_existing : TargetStep::create;
    case WriteMode::replace:
      return TargetStep::build_aside;
  }
  return TargetStep::write_existing;
}

DirectTarget direct_target(WriteMode mode, bool exists, std::string_view table,
                           std::string_view where, std::string_view backend) {
  const TargetStep step = target_step(mode, exists, table, where, backend);
  return {.create = step == TargetStep::create || (step == TargetStep::build_aside && !exists),
          .clear = step == TargetStep::build_aside && exists,
          .keep_types = step == TargetStep::write_existing};
}

Schema schema_to_create(const Schema& source, const WriteOptions& options) {
  Schema s = source;
  if (!options.key.empty()) s.primary_key = options.key;
  return s;
}

std::vector<size_t> match_columns(const Schema& source, const Schema& target,
                                  std::string_view table, std::string_view backend, Hint hint) {
  std::vector<size_t> out;
  out.reserve(source.fields.size());
  for (const auto& f : source.fields) {
    const auto idx = target.index_of(f.name);
    if (!idx) {
      std::string have;
      for (const auto& t : target.fields) have += (have.empty() ? "" : ", ") + t.name;
      const std::string_view remedy =
          hint == Hint::replace_mode ? "; write in replace mode to recreate it from the source" : "";
      throw Error(ErrorCode::not_found,
                  fmt::format("table '{}' has no column '{}' (it has: {}{})", table, f.name, have,
                              remedy),
                  std::string(backend))
          .set_hint(hint);
    }
    out.push_back(*idx);
  }
  return out;
}

std::vector<std::string> upsert_key(const WriteOptions& options, const Schema& target,
                                    const std::vector<std::string>& written,
                                    std::string_view table, std::string_view backend,
                                    std::string_view name_what) {
  std::vector<std::string> key = options.key.empty() ? target.primary_key : options.key;
  if (key.empty())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("upsert into '{}' needs a key: the table has no primary key (name {})",
                            table, name_what),
                std::string(backend))
        .set_hint(Hint::key_columns);
  for (auto& k : key) {
    k = target.field(k).name;
    if (std::find(written.begin(), written.end(), k) == written.end())
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("upsert key column '{}' is not among the written columns", k),
                  std::string(backend));
  }
  return key;
}

std::string random_hex(size_t digits) {
  std::random_device rd;
  std::string out;
  while (out.size() < digits) out += fmt::format("{:08x}", rd());
  out.resize(digits);
  return out;
}

std::string side_table_name(std::string_view prefix, std::string_view table,
                            std::string_view suffix, size_t max_bytes) {
  const size_t fixed = prefix.size() + 1 + suffix.size();
  size_t room = max_bytes > fixed ? max_bytes - fixed : 0;
  if (room < table.size()) {
    // Never cut a UTF-8 sequence: back up over continuation bytes.
    while (room > 0 && (static_cast<unsigned char>(table[room]) & 0xC0) == 0x80) --room;
    table = table.substr(0, room);
  }
  return fmt::format("{}{}_{}", prefix, table, suffix);
}

}  // namespace polydb
