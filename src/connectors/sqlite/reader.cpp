#include <fmt/format.h>

#include "connectors/sqlite/connection.hpp"
#include "connectors/sqlite/errors.hpp"
#include "connectors/sqlite/types.hpp"
#include "core/log.hpp"

namespace polydb::sqlite {

namespace {

// Streams rows of one prepared statement into batches: memory is bounded by
// the batch size whatever the result size.
class StatementReader final : public BatchReader {
 public:
  StatementReader(SqliteConnection& conn, ReaderSetup setup)
      : conn_(conn), setup_(std::move(setup)) {
    // Step once now: statement errors surface here, and result columns without
    // a declared type take the type of the first row's values.
    step();
    if (!setup_.schema) setup_.schema = infer_schema();
    if (setup_.batch_rows == 0) setup_.batch_rows = 1;
  }

  const Schema& schema() const override { return *setup_.schema; }
  ScanPlan plan() const override { return setup_.plan; }

  std::optional<Batch> next() override {
    while (has_row_) {
      if (setup_.limit && emitted_ >= *setup_.limit) return std::nullopt;
      Batch batch(setup_.schema);
      const size_t ncols = setup_.schema->fields.size();
      // Size the buffers like the previous batch: growing them row by row
      // costs copies and page faults that showed up in profiles.
      batch.reserve(setup_.batch_rows);
      var_bytes_hint_.resize(ncols, 0);
      for (size_t c = 0; c < ncols; ++c) batch.column(c).reserve_bytes(var_bytes_hint_[c]);
      while (has_row_ && batch.num_rows() < setup_.batch_rows) {
        for (size_t c = 0; c < ncols; ++c)
          read_cell(setup_.stmt.get(), static_cast<int>(c), batch.column(c),
                    setup_.schema->fields[c].name);
        batch.commit_row();
        step();
        // The byte cap after every row (a sum over the columns): with 1 MB values
        // a check every 64 rows let one batch grow to 64 MB.
        if (batch.byte_size() >= setup_.batch_bytes) break;
      }
      for (size_t c = 0; c < ncols; ++c)
        var_bytes_hint_[c] = batch.column(c).var_bytes() + batch.column(c).var_bytes() / 8;
      if (setup_.residual) batch = apply_filter(*setup_.residual, batch);
      if (setup_.limit) batch.truncate(static_cast<size_t>(*setup_.limit - emitted_));
      if (batch.num_rows() == 0) continue;
      emitted_ += batch.num_rows();
      logger("sqlite")->trace("batch of {} rows", batch.num_rows());
      return batch;
    }
    return std::nullopt;
  }

 private:
  void step() {
    const int rc = sqlite3_step(setup_.stmt.get());
    if (rc == SQLITE_ROW) {
      has_row_ = true;
      return;
    }
    has_row_ = false;
    check(rc, conn_.db(), "query failed");
  }

  std::shared_ptr<const Schema> infer_schema() const {
    auto schema = std::make_shared<Schema>();
    sqlite3_stmt* st = setup_.stmt.get();
    const int n = sqlite3_column_count(st);
    for (int i = 0; i < n; ++i) {
      Field f;
      f.name = sqlite3_column_name(st, i);
      const char* decl = sqlite3_column_decltype(st, i);
      f.native_type = decl ? decl : "";
      std::optional<Type> hinted;
      if (!decl && has_row_ && setup_.type_of_value)
        hinted = setup_.type_of_value(sqlite3_column_value(st, i));
      if (decl) f.type = type_from_declared(decl);
      else if (hinted) f.type = *hinted;
      else f.type = has_row_ ? type_from_storage(sqlite3_column_type(st, i)) : Type(TypeId::string);
      schema->fields.push_back(std::move(f));
    }
    return schema;
  }

  SqliteConnection& conn_;
  ReaderSetup setup_;
  bool has_row_ = false;
  uint64_t emitted_ = 0;
  std::vector<size_t> var_bytes_hint_;
};

}  // namespace

std::unique_ptr<BatchReader> make_reader(SqliteConnection& conn, ReaderSetup setup) {
  return std::make_unique<StatementReader>(conn, std::move(setup));
}

}  // namespace polydb::sqlite
