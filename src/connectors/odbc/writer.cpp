// Bulk writes with parameter arrays (SQL_ATTR_PARAMSET_SIZE row sets per
// SQLExecute, bound column-wise) of multi-row statements (INSERT ... VALUES
// (...), (...), ... with as many rows as the dialect allows; psqlODBC, for
// one, executes an array one set at a time, so rows per statement are what
// save round trips and server work), the rows that do not fill a whole
// statement going through one statement of their own count (prepared
// statements are kept per row count, a few at a time); all inside one
// transaction (autocommit off):
//  - create / append: INSERT into the table (created first when needed);
//  - replace: INSERT into `_polydb_new_<t>_<hex>`, swapped in at commit
//    (DROP + rename in the transaction where DDL is transactional: SQL
//    Server, PostgreSQL; one atomic RENAME TABLE after the commit on MySQL);
//  - upsert: one statement per row set by dialect: MERGE (SQL Server, ANSI),
//    INSERT ... ON CONFLICT (PostgreSQL), ON DUPLICATE KEY UPDATE (MySQL).
// Nothing is visible before commit(); abort() and the destructor roll back
// and drop what the writer created.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>
#include <unordered_set>

#include "connectors/odbc/connection.hpp"
#include "connectors/odbc/errors.hpp"
#include "connectors/odbc/params.hpp"
#include "connectors/odbc/text.hpp"
#include "connectors/common/local_rows.hpp"
#include "core/log.hpp"
#include "connectors/common/table_errors.hpp"
#include "connectors/common/write_plan.hpp"

namespace polydb::odbc {

namespace {

class OdbcWriter final : public BatchWriter {
 public:
  OdbcWriter(OdbcConnection& conn, std::string_view table, const Schema& schema,
             const WriteOptions& options)
      : conn_(conn), dialect_(conn.dialect()), as_given_(table), source_(schema), options_(options) {
    check_writable_source(source_, table, "odbc");
    try {
      conn_.io(nullptr, [&] { open(); });
    } catch (...) {
      abort();
      throw;
    }
  }

  ~OdbcWriter() override { abort(); }

  void write(const Batch& batch) override {
    if (done_) throw finished_writer("write()", as_given_, failed_, "odbc");
    check_batch_columns(batch, source_, "odbc");
    try {
      conn_.io(nullptr, [&] { write_rows(batch); });
    } catch (...) {
      failed_ = true;
      abort();
      throw;
    }
  }

  WriteResult commit() override {
    if (done_) throw finished_writer("commit()", as_given_, failed_, "odbc");
    try {
      conn_.io(nullptr, [&] {
        statements_.clear();
        if (!aside_.table.empty() && dialect_.transactional_ddl()) swap_in();
        conn_.end_transaction(true);
        conn_.set_autocommit(true);
        in_txn_ = false;
        created_ = false;
        if (!aside_.table.empty()) swap_in();  // MySQL: after the commit, one atomic RENAME
      });
    } catch (...) {
      abort();
      throw;
    }
    done_ = true;
    logger("odbc")->info("committed {} rows into {}", rows_, target_.display());
    return {rows_};
  }

  void abort() noexcept override {
    if (done_) return;
    done_ = true;
    const auto busy = conn_.busy();
    statements_.clear();
    if (in_txn_) conn_.rollback_quietly();
    in_txn_ = false;
    // Without transactional DDL, what the writer created outlives the rollback.
    const auto drop = [&](const TableName& t) {
      try {
        conn_.exec(dialect_.drop_table_sql(t));
      } catch (const Error& e) {
        logger("odbc")->warn("cleanup failed: {}", e.message());
      } catch (...) {
      }
    };
    if (!dialect_.transactional_ddl()) {
      if (!aside_.table.empty()) drop(aside_);
      if (created_) drop(target_);
    }
  }

 private:
  void begin() {
    if (in_txn_) return;
    conn_.set_autocommit(false);
    in_txn_ = true;
  }

  void create(const TableName& name, const Schema& schema) {
    check_schema_creatable(as_given_, schema);
    conn_.exec(dialect_.create_table_sql(name, schema));
  }

  void open() {
    target_ = conn_.resolve(as_given_);
    const auto existing = conn_.find(target_);
    // DDL that commits implicitly (MySQL) runs before the transaction starts.
    if (dialect_.transactional_ddl()) begin();
    const Schema create_schema = schema_to_create(source_, options_);
    TableName write_to = target_;
    switch (target_step(options_.mode, existing.has_value(), as_given_, conn_.display_url(),
                        "odbc")) {
      case TargetStep::write_existing:
        break;
      case TargetStep::create:
        create(target_, create_schema);
        created_ = true;
        break;
      case TargetStep::build_aside:
        if (existing && existing->kind != "table")
          throw Error(ErrorCode::invalid_argument,
                      fmt::format("'{}' is not a plain table: replace cannot swap it", as_given_),
                      "odbc");
        replaces_ = existing.has_value();
        aside_ = {target_.schema, side_table_name("_polydb_new_", target_.table, random_hex(),
                                                  dialect_.max_identifier())};
        create(aside_, create_schema);
        write_to = aside_;
        break;
    }
    begin();
    const TableDescription target = conn_.describe_table(write_to, as_given_);
    std::vector<std::string> placeholders;
    for (size_t idx : match_columns(source_, target.schema, as_given_, "odbc")) {
      const Field& tf = target.schema.fields[idx];
      columns_.push_back(tf.name);
      target_types_.push_back(tf.type);
      placeholders.push_back(dialect_.placeholder(tf.type.id, target.columns[idx].type_name));
    }
    const bool upsert = options_.mode == WriteMode::upsert;
    std::vector<std::string> key = upsert ? upsert_key(target) : std::vector<std::string>{};
    per_stmt_ = dialect_.max_rows_per_statement(columns_.size(), upsert);
    if (upsert && per_stmt_ > 1 && dialect_.upsert_meets_key_once()) {
      for (const auto& k : key) key_columns_.push_back(index_of(k));
      // Keys compared bytewise: only types whose equality in the DBMS is bytewise.
      for (size_t k : key_columns_)
        if (!bytewise_equality(target_types_[k].id)) per_stmt_ = 1;
    }
    sql_for_rows_ = [this, write_to, key = std::move(key), placeholders, upsert](size_t rows) {
      return upsert ? dialect_.upsert_sql(write_to, columns_, key, placeholders, rows)
                    : dialect_.insert_sql(write_to, columns_, placeholders, rows);
    };
    statement_for(per_stmt_);  // a statement the server rejects fails here, not in write()
  }

  size_t index_of(const std::string& column) const {
    return static_cast<size_t>(std::find(columns_.begin(), columns_.end(), column) -
                               columns_.begin());
  }

  // The prepared statement taking `rows` rows.
  SQLHSTMT statement_for(size_t rows) {
    for (auto& [n, stmt] : statements_)
      if (n == rows) return stmt.get();
    // Odd counts come from batch tails: keep the few counts a stream uses.
    if (statements_.size() >= kMaxStatements) statements_.erase(statements_.begin() + 1);
    statements_.emplace_back(rows, prepare(sql_for_rows_(rows)));
    return statements_.back().second.get();
  }

  StmtHandle prepare(const std::string& sql) {
    return conn_.prepare(sql, fmt::format("cannot prepare the write into '{}'", as_given_));
  }

  std::vector<std::string> upsert_key(const TableDescription& target) const {
    return polydb::upsert_key(options_, target.schema, columns_, as_given_, "odbc");
  }

  void swap_in() {
    for (const auto& sql : dialect_.swap_sql(target_, aside_, replaces_)) conn_.exec(sql);
    aside_ = {};
  }

  // Each column in the target's type: a value that does not fit fails here,
  // naming its row and column.
  std::vector<const Column*> convert(const Batch& batch, std::vector<Column>& converted) const {
    return columns_as(batch, target_types_, rows_, "odbc", converted);
  }

  void write_rows(const Batch& batch) {
    std::vector<Column> converted;
    const std::vector<const Column*> cols = convert(batch, converted);
    const size_t n = batch.num_rows();
    size_t first = 0;
    while (first < n) {
      const size_t fit = ParamArrays::rows_that_fit(cols, dialect_, first, n - first);
      // Whole statements of per_stmt_ rows, then one statement of the rest;
      // row by row where a statement would meet a key twice.
      size_t per_set = std::min(per_stmt_, fit);
      if (per_set > 1 && repeats_a_key(cols, first, fit, per_set)) per_set = 1;
      const size_t count = per_set == 1 ? fit : fit - fit % per_set;
      write_sets(cols, first, count, per_set);
      first += count;
    }
    rows_ += n;
  }

  void write_sets(const std::vector<const Column*>& cols, size_t first, size_t count,
                  size_t per_set) {
    SQLHSTMT stmt = statement_for(per_set);
    try {
      params_.bind(stmt, cols, dialect_, first, count, per_set);
    } catch (const Error& e) {
      throw Error(
          e.code(),
          fmt::format("rows {}-{}: {}", rows_ + first + 1, rows_ + first + count, e.message()),
          "odbc", e.detail());
    }
    execute(stmt, first, count, per_set);
  }

  // Whether some statement of `per_set` rows from rows [first, first + count)
  // would carry one upsert key twice.
  bool repeats_a_key(const std::vector<const Column*>& cols, size_t first, size_t count,
                     size_t per_set) const {
    if (key_columns_.empty()) return false;
    std::unordered_set<std::string> seen;
    std::string key;
    for (size_t k = 0; k < count; ++k) {
      if (k % per_set == 0) seen.clear();
      key.clear();
      for (size_t c : key_columns_) append_key_bytes(*cols[c], first + k, key);
      if (!seen.insert(key).second) return true;
    }
    return false;
  }

  static void append_key_bytes(const Column& col, size_t row, std::string& out) {
    const TypeId id = col.type().id;
    std::string_view bytes;
    if (col.is_null(row))
      bytes = {};
    else if (id == TypeId::boolean)
      bytes = col.bool_at(row) ? "1" : "0";
    else if (const size_t w = fixed_width(id); w > 0)
      bytes = {reinterpret_cast<const char*>(col.fixed_at(row)), w};
    else
      bytes = col.var_at(row);
    const uint64_t len = col.is_null(row) ? UINT64_MAX : bytes.size();
    out.append(reinterpret_cast<const char*>(&len), sizeof len);
    out.append(bytes);
  }

  void execute(SQLHSTMT stmt, size_t first, size_t count, size_t per_set) {
    SQLRETURN rc;
    {
      const auto busy = conn_.busy(stmt);  // the statement a stop request cancels
      rc = SQLExecute(stmt);
    }
    if (succeeded(rc) || rc == SQL_NO_DATA) return;
    Error e = make_error(collect_diagnostics(SQL_HANDLE_STMT, stmt),
                         fmt::format("cannot write into '{}'", as_given_));
    // The failing set, when the driver says which: one row, or one statement's rows.
    const size_t sets = count / per_set;
    size_t bad = sets;
    const auto status = params_.status();
    for (size_t k = 0; k < std::min(status.size(), sets); ++k)
      if (status[k] == SQL_PARAM_ERROR) {
        bad = k;
        break;
      }
    const uint64_t from = rows_ + first + 1;
    const std::string where = bad == sets    ? fmt::format("rows {}-{}", from, from + count - 1)
                              : per_set == 1 ? fmt::format("row {}", from + bad)
                                             : fmt::format("rows {}-{}", from + bad * per_set,
                                                           from + (bad + 1) * per_set - 1);
    Error out(e.code(), where + ": " + e.message(), "odbc", e.detail());
    out.set_retryable(e.retryable());
    throw out;
  }

  OdbcConnection& conn_;
  const Dialect& dialect_;
  std::string as_given_;
  Schema source_;
  WriteOptions options_;
  TableName target_;
  TableName aside_;  // replace: the table being filled
  std::vector<std::string> columns_;
  std::vector<Type> target_types_;
  static constexpr size_t kMaxStatements = 4;
  std::function<std::string(size_t)> sql_for_rows_;        // the statement of n rows
  std::vector<std::pair<size_t, StmtHandle>> statements_;  // prepared, by rows
  size_t per_stmt_ = 1;                                    // rows per full statement
  std::vector<size_t> key_columns_;  // upsert keys to keep unique per statement
  ParamArrays params_;
  bool replaces_ = false;
  bool created_ = false;
  bool in_txn_ = false;
  bool done_ = false;
  bool failed_ = false;
  uint64_t rows_ = 0;
};

}  // namespace

std::unique_ptr<BatchWriter> make_writer(OdbcConnection& conn, std::string_view table,
                                         const Schema& schema, const WriteOptions& options) {
  return std::make_unique<OdbcWriter>(conn, table, schema, options);
}

}  // namespace polydb::odbc
