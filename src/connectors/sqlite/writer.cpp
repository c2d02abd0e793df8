#include <fmt/format.h>

#include <algorithm>

#include "connectors/common/write_plan.hpp"
#include "connectors/sqlite/connection.hpp"
#include "connectors/sqlite/errors.hpp"
#include "connectors/sqlite/types.hpp"
#include "core/log.hpp"

namespace polydb::sqlite {

namespace {

// SQLite names have no length limit.
constexpr size_t kNoNameLimit = 1u << 20;

std::string join_quoted(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + quote_ident(n);
  return out;
}

// Bulk writer: one transaction, one prepared INSERT reused for every row.
// Nothing is visible to other connections before commit(); replace builds the
// new table aside and swaps it in inside the same transaction.
class SqliteWriter final : public BatchWriter {
 public:
  SqliteWriter(SqliteConnection& conn, std::string_view table, const Schema& schema,
               const WriteOptions& options)
      : conn_(conn), target_(conn.resolve(table)), source_(schema), options_(options) {
    check_writable_source(source_, table, "sqlite");
    conn_.exec("BEGIN IMMEDIATE");
    in_txn_ = true;
    try {
      open(table);
    } catch (...) {
      abort();
      throw;
    }
  }

  ~SqliteWriter() override { abort(); }

  void write(const Batch& batch) override {
    if (!in_txn_) throw finished_writer("write()", target_.table, false, "sqlite");
    check_batch_columns(batch, source_, "sqlite");
    sqlite3_stmt* st = insert_.get();
    const size_t ncols = batch.num_columns();
    scratch_.resize(ncols * kMaxTemporalText);
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      for (size_t c = 0; c < ncols; ++c) {
        const Column& col = batch.column(c);
        const int idx = static_cast<int>(c) + 1;
        try {
          if (col.type().id == target_types_[c].id)
            bind_cell(st, idx, col, r, scratch_.data() + c * kMaxTemporalText);
          else bind_value(st, idx, coerce_value(col.value_at(r), target_types_[c]));
        } catch (const Error& e) {
          throw Error(e.code(),
                      fmt::format("row {}, column '{}': {}", rows_ + 1, source_.fields[c].name,
                                  e.message()),
                      "sqlite", e.detail());
        }
      }
      const int rc = sqlite3_step(st);
      if (rc != SQLITE_DONE) {
        Error e = make_error(rc, conn_.db(), fmt::format("cannot write row {}", rows_ + 1));
        sqlite3_reset(st);
        throw e;
      }
      sqlite3_reset(st);
      ++rows_;
    }
    sqlite3_clear_bindings(st);
  }

  WriteResult commit() override {
    if (!in_txn_) throw finished_writer("commit()", target_.table, false, "sqlite");
    insert_.reset();
    if (!aside_.table.empty()) {
      conn_.exec("DROP TABLE IF EXISTS " + target_.quoted());
      conn_.exec("ALTER TABLE " + aside_.quoted() + " RENAME TO " + quote_ident(target_.table));
    }
    conn_.exec("COMMIT");
    in_txn_ = false;
    logger("sqlite")->info("committed {} rows into {}", rows_, target_.table);
    return {rows_};
  }

  void abort() noexcept override {
    if (!in_txn_) return;
    in_txn_ = false;
    insert_.reset();
    // ROLLBACK can only fail if no transaction is active (SQLite already
    // rolled back on a fatal error); either way nothing was committed.
    sqlite3_exec(conn_.db(), "ROLLBACK", nullptr, nullptr, nullptr);
  }

 private:
  void open(std::string_view table) {
    const TargetStep step =
        target_step(options_.mode, conn_.exists(target_), table, conn_.display_url(), "sqlite");
    const Schema create_schema = schema_to_create(source_, options_);
    TableName write_to = target_;
    if (step == TargetStep::create) {
      conn_.create_table(table, create_schema);
    } else if (step == TargetStep::build_aside) {
      aside_ = TableName{target_.schema, side_table_name("_polydb_new_", target_.table,
                                                         random_hex(), kNoNameLimit)};
      conn_.create_table(aside_.reference(), create_schema);
      write_to = aside_;
    }
    const Schema target = conn_.describe(write_to.reference());
    std::vector<std::string> cols;
    for (size_t i : match_columns(source_, target, table, "sqlite")) {
      cols.push_back(target.fields[i].name);
      target_types_.push_back(target.fields[i].type);
    }
    std::string sql = fmt::format("INSERT INTO {} ({}) VALUES (", write_to.quoted(),
                                  join_quoted(cols));
    for (size_t i = 0; i < cols.size(); ++i) sql += i ? ", ?" : "?";
    sql += ")";
    if (options_.mode == WriteMode::upsert) sql += upsert_clause(table, target, cols);
    insert_ = conn_.prepare(sql);
  }

  std::string upsert_clause(std::string_view table, const Schema& target,
                            const std::vector<std::string>& cols) const {
    const std::vector<std::string> key = upsert_key(options_, target, cols, table, "sqlite");
    std::string set;
    for (const auto& c : cols)
      if (std::find(key.begin(), key.end(), c) == key.end())
        set += (set.empty() ? "" : ", ") + quote_ident(c) + " = excluded." + quote_ident(c);
    return fmt::format(" ON CONFLICT ({}) DO {}", join_quoted(key),
                       set.empty() ? "NOTHING" : "UPDATE SET " + set);
  }

  SqliteConnection& conn_;
  TableName target_;
  TableName aside_;
  Schema source_;
  WriteOptions options_;
  std::vector<Type> target_types_;
  std::vector<char> scratch_;  // bound temporal text of the current row
  StmtHandle insert_;
  bool in_txn_ = false;
  uint64_t rows_ = 0;
};

}  // namespace

std::unique_ptr<BatchWriter> make_writer(SqliteConnection& conn, std::string_view table,
                                         const Schema& schema, const WriteOptions& options) {
  return std::make_unique<SqliteWriter>(conn, table, schema, options);
}

}  // namespace polydb::sqlite
