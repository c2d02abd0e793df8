#include <fmt/format.h>

#include <random>

#include "connectors/sqlite/connection.hpp"
#include "connectors/sqlite/errors.hpp"
#include "connectors/sqlite/types.hpp"
#include "core/log.hpp"

namespace polydb::sqlite {

namespace {

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
    if (source_.fields.empty())
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("nothing to write into '{}': the source has no columns", table));
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
    if (!in_txn_)
      throw Error(ErrorCode::invalid_argument, "write() after commit() or abort()", "sqlite");
    if (batch.num_columns() != source_.fields.size())
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("batch has {} columns, the writer was opened with {}",
                              batch.num_columns(), source_.fields.size()),
                  "sqlite");
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
    if (!in_txn_) throw Error(ErrorCode::invalid_argument, "commit() called twice", "sqlite");
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
    const bool exists = conn_.exists(target_);
    TableName write_to = target_;
    Schema create_schema = source_;
    if (!options_.key.empty()) create_schema.primary_key = options_.key;
    switch (options_.mode) {
      case WriteMode::create:
        conn_.create_table(table, create_schema);
        break;
      case WriteMode::append:
      case WriteMode::upsert:
        if (!exists) conn_.create_table(table, create_schema);
        break;
      case WriteMode::replace: {
        std::random_device rd;
        aside_ = TableName{target_.schema,
                           fmt::format("_polydb_new_{}_{:08x}", target_.table, rd())};
        conn_.create_table(aside_.reference(), create_schema);
        write_to = aside_;
        break;
      }
    }
    const Schema target = conn_.describe(write_to.reference());
    std::vector<std::string> cols;
    for (const auto& f : source_.fields) {
      auto idx = target.index_of(f.name);
      if (!idx) {
        std::string have;
        for (const auto& t : target.fields) have += (have.empty() ? "" : ", ") + t.name;
        throw Error(ErrorCode::not_found,
                    fmt::format("table '{}' has no column '{}' (it has: {}; write in replace "
                                "mode to recreate it from the source)",
                                table, f.name, have),
                    "sqlite")
            .set_hint(Hint::replace_mode);
      }
      cols.push_back(target.fields[*idx].name);
      target_types_.push_back(target.fields[*idx].type);
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
    std::vector<std::string> key = options_.key.empty() ? target.primary_key : options_.key;
    if (key.empty())
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("upsert into '{}' needs a key: the table has no primary key "
                              "(name the key columns)",
                              table),
                  "sqlite")
          .set_hint(Hint::key_columns);
    for (auto& k : key) k = target.field(k).name;
    std::string set;
    for (const auto& c : cols) {
      bool is_key = false;
      for (const auto& k : key) is_key = is_key || k == c;
      if (!is_key)
        set += (set.empty() ? "" : ", ") + quote_ident(c) + " = excluded." + quote_ident(c);
    }
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
