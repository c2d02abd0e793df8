#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "connectors/common/batch_loop.hpp"
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
    // a declared type take the type of the first rows' values (infer_schema).
    step();
    if (!setup_.schema) setup_.schema = infer_schema();
    if (setup_.batch_rows == 0) setup_.batch_rows = 1;
  }

  const Schema& schema() const override { return *setup_.schema; }
  ScanPlan plan() const override { return setup_.plan; }

  std::optional<Batch> next() override { return loop_.next(*this, setup_); }

  /// The row source of loop_ (connectors/common/batch_loop): appends the
  /// next row, first those infer_schema() looked at; false at the end.
  bool append_row(Batch& batch) {
    const size_t ncols = setup_.schema->fields.size();
    if (buffered()) {
      auto& row = lookahead_[next_buffered_++];
      for (size_t c = 0; c < ncols; ++c)
        read_value(row[c].get(), batch.column(c), setup_.schema->fields[c].name);
      row.clear();
      if (!buffered()) lookahead_.clear();
    } else if (has_row_) {
      for (size_t c = 0; c < ncols; ++c)
        read_cell(setup_.stmt.get(), static_cast<int>(c), batch.column(c),
                  setup_.schema->fields[c].name);
      step();
    } else {
      return false;
    }
    batch.commit_row();
    return true;
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

  bool buffered() const { return next_buffered_ < lookahead_.size(); }

  // The type of a result column without a declared type (an expression,
  // MIN(x), a sum) comes from its values: those of the first rows, up to a
  // batch's worth, kept to be read again by next(). One value cannot decide:
  // MIN(price) GROUP BY may be 10 (INTEGER) in the first group and 8.31 in
  // the next, and a first NULL says nothing. Numbers widen (int64, float64,
  // decimal), anything else mixed is text.
  std::shared_ptr<const Schema> infer_schema() {
    auto schema = std::make_shared<Schema>();
    sqlite3_stmt* st = setup_.stmt.get();
    const int n = sqlite3_column_count(st);
    bool any_undeclared = false;
    for (int i = 0; i < n; ++i) any_undeclared = any_undeclared || !sqlite3_column_decltype(st, i);
    if (any_undeclared) {
      size_t bytes = 0;
      while (has_row_ && lookahead_.size() < std::max<size_t>(setup_.batch_rows, 1) &&
             bytes < setup_.batch_bytes) {
        auto& row = lookahead_.emplace_back();
        for (int i = 0; i < n; ++i) {
          sqlite3_value* v = sqlite3_value_dup(sqlite3_column_value(st, i));
          if (!v) throw Error(ErrorCode::internal, "out of memory reading a result row", "sqlite");
          bytes += static_cast<size_t>(sqlite3_value_bytes(v)) + 16;
          row.emplace_back(v);
        }
        step();
      }
    }
    for (int i = 0; i < n; ++i) {
      Field f;
      f.name = sqlite3_column_name(st, i);
      const char* decl = sqlite3_column_decltype(st, i);
      f.native_type = decl ? decl : "";
      if (decl) {
        f.type = type_from_declared(decl);
      } else {
        std::optional<Type> seen;
        for (const auto& row : lookahead_) {
          sqlite3_value* v = row[static_cast<size_t>(i)].get();
          if (sqlite3_value_type(v) == SQLITE_NULL) continue;
          std::optional<Type> t = setup_.type_of_value ? setup_.type_of_value(v) : std::nullopt;
          if (!t) t = type_from_storage(sqlite3_value_type(v));
          seen = seen ? wider(*seen, *t) : *t;
        }
        f.type = seen.value_or(Type(TypeId::string));
      }
      schema->fields.push_back(std::move(f));
    }
    return schema;
  }

  static Type wider(Type a, Type b) {
    if (a.id == b.id) return a.id == TypeId::decimal && !(a == b) ? Type(TypeId::decimal) : a;
    const auto numeric = [](TypeId t) {
      return t == TypeId::int64 || t == TypeId::float64 || t == TypeId::decimal;
    };
    if (numeric(a.id) && numeric(b.id))
      return a.id == TypeId::decimal || b.id == TypeId::decimal ? Type(TypeId::decimal)
                                                                : Type(TypeId::float64);
    return TypeId::string;
  }

  struct ValueFree {
    void operator()(sqlite3_value* v) const noexcept { sqlite3_value_free(v); }
  };
  std::vector<std::vector<std::unique_ptr<sqlite3_value, ValueFree>>> lookahead_;
  size_t next_buffered_ = 0;

  SqliteConnection& conn_;
  ReaderSetup setup_;
  bool has_row_ = false;
  BatchLoop loop_{"sqlite"};
};

}  // namespace

std::unique_ptr<BatchReader> make_reader(SqliteConnection& conn, ReaderSetup setup) {
  return std::make_unique<StatementReader>(conn, std::move(setup));
}

}  // namespace polydb::sqlite
