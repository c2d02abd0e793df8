// The MySQL / MariaDB change writer (Connection::change_writer): change
// batches applied in one InnoDB transaction per commit.
//
// Per batch, effective_changes() leaves one change per key, so the upserts and
// the removes of a batch touch different keys and may go in any order:
//  - upserts: multi-row INSERT ... ON DUPLICATE KEY UPDATE (ON DUPLICATE KEY
//    matches the primary key and unique indexes: the change key must be one);
//    with a version column each column is set to IF(<stored version is NULL
//    or lower>, <incoming>, <stored>), the version column last, because
//    MySQL evaluates the assignments left to right and later ones see the
//    values earlier ones set;
//  - removes: DELETE ... WHERE (k = ? AND ...) OR ..., with the version
//    condition inside each term.
// A statement that fails rolls the transaction back: the writer is unusable
// afterwards (what it had applied since the last commit is gone).

#include "connectors/common/changes.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

#include "connectors/common/local_rows.hpp"
#include "connectors/common/write_plan.hpp"
#include "connectors/mysql/connection.hpp"
#include "connectors/mysql/sql.hpp"
#include "connectors/mysql/unique_key.hpp"
#include "core/log.hpp"
#include "polydb/error.hpp"

namespace polydb::mysql {

namespace {

// Parameters per statement stay well under the protocol's 65,535, and rows
// per statement bounded so that one statement's packet stays small.
constexpr size_t kMaxParams = 65535;
constexpr size_t kMaxRowsPerStatement = 1000;
// Removes: an OR of key terms; more terms would only slow the optimizer down.
constexpr size_t kMaxRemovesPerStatement = 500;
// Prepared statements kept per kind (one per row count met).
constexpr size_t kMaxCachedStatements = 8;
// The row alias of INSERT ... AS (MySQL 8.0.19+, where VALUES() is deprecated).
constexpr std::string_view kRowAlias = "_polydb_new";

class MysqlChangeWriter final : public ChangeWriterBase {
 public:
  MysqlChangeWriter(MysqlConnection& conn, std::string_view table, const Schema& schema,
                    const ChangeOptions& options)
      : ChangeWriterBase(table, schema, options, "mysql", "mysql"), conn_(conn) {
    const TableDescription target = conn_.describe_table(conn_.resolve(table), table);
    target_ = target.name;
    for (size_t idx :
         match_columns(this->schema(), target.schema, table, "mysql", Hint::describe_table)) {
      names_.push_back(target.columns[idx].name);  // as the server spells it
      target_types_.push_back(target.schema.fields[idx].type);
    }
    std::vector<std::string> key;
    for (size_t k : columns().key) key.push_back(names_[k]);
    require_unique_key(conn_, target, key, fmt::format("changes to '{}'", table));
    // The row alias where the server has it and VALUES() is deprecated
    // (MySQL 8.0.20 warns); MariaDB has only VALUES().
    row_alias_ = !conn_.is_mariadb() && mysql_get_server_version(conn_.db()) >= 80019;
    conn_.check_idle();
    conn_.exec("START TRANSACTION");
    in_txn_ = true;
  }

  ~MysqlChangeWriter() override { abort(); }

 private:
  void write_changes(const ChangeBatch& changes, const std::vector<size_t>& rows) override {
    // Values that do not convert fail the batch before anything is sent: the
    // writer stays as it was.
    std::vector<Column> storage;
    const std::vector<const Column*> cols =
        columns_as(changes.rows, target_types_, applied_rows(), "mysql", storage);
    std::vector<size_t> upserts, removes;
    for (size_t r : rows) (changes.ops[r] == ChangeOp::upsert ? upserts : removes).push_back(r);
    send_or_roll_back([&] {
      conn_.check_idle();
      write_removes(cols, removes);
      write_upserts(cols, upserts);
    });
  }

  void commit_changes() override {
    conn_.check_idle();
    conn_.exec("COMMIT");
    in_txn_ = false;
    conn_.exec("START TRANSACTION");
    in_txn_ = true;
  }

  void roll_back() noexcept override {
    upsert_stmts_.clear();
    remove_stmts_.clear();
    if (!in_txn_) return;
    in_txn_ = false;
    MYSQL* m = conn_.db();
    const auto guard = conn_.io_guard();
    // Cleanup after a failure: its own error would hide the first one.
    if (mysql_real_query(m, "ROLLBACK", 8))
      logger("mysql")->warn("cannot roll back the changes to {}: {}", target_.display(),
                            mysql_error(m));
  }

  std::string ident(size_t column) const { return quote_ident(names_[column]); }

  // The incoming value of `column` in ON DUPLICATE KEY UPDATE.
  std::string incoming(size_t column) const {
    return row_alias_ ? fmt::format("{}.{}", kRowAlias, ident(column))
                      : fmt::format("VALUES({})", ident(column));
  }

  std::string upsert_sql(size_t rows) const {
    const size_t n = names_.size();
    std::string row = "(";
    for (size_t c = 0; c < n; ++c) row += c ? ", ?" : "?";
    row += ")";
    std::string values;
    for (size_t r = 0; r < rows; ++r) values += (r ? ", " : "") + row;
    std::vector<std::string> set;
    const auto is_key = [&](size_t c) {
      return std::find(columns().key.begin(), columns().key.end(), c) != columns().key.end();
    };
    if (columns().version) {
      const std::string v = ident(*columns().version);
      const std::string newer =
          fmt::format("{} IS NULL OR {} < {}", v, v, incoming(*columns().version));
      for (size_t c = 0; c < n; ++c)
        if (!is_key(c) && c != *columns().version)
          set.push_back(fmt::format("{} = IF({}, {}, {})", ident(c), newer, incoming(c), ident(c)));
      // Last: the conditions above read the stored version, not the new one.
      set.push_back(fmt::format("{} = IF({}, {}, {})", v, newer, incoming(*columns().version), v));
    } else {
      for (size_t c = 0; c < n; ++c)
        if (!is_key(c)) set.push_back(fmt::format("{} = {}", ident(c), incoming(c)));
      if (set.empty()) set.push_back(fmt::format("{0} = {0}", ident(columns().key.at(0))));
    }
    std::vector<std::string> cols;
    for (size_t c = 0; c < n; ++c) cols.push_back(ident(c));
    return fmt::format("INSERT INTO {} ({}) VALUES {}{} ON DUPLICATE KEY UPDATE {}",
                       target_.quoted(), fmt::join(cols, ", "), values,
                       row_alias_ ? fmt::format(" AS {}", kRowAlias) : "", fmt::join(set, ", "));
  }

  std::string remove_sql(size_t rows) const {
    std::string term = "(";
    for (size_t i = 0; i < columns().key.size(); ++i)
      term += fmt::format("{}{} = ?", i ? " AND " : "", ident(columns().key[i]));
    if (columns().version)
      term += fmt::format(" AND ({0} IS NULL OR {0} <= ?)", ident(*columns().version));
    term += ")";
    std::string where;
    for (size_t r = 0; r < rows; ++r) where += (r ? " OR " : "") + term;
    return fmt::format("DELETE FROM {} WHERE {}", target_.quoted(), where);
  }

  MYSQL_STMT* statement(std::map<size_t, StmtHandle>& cache, size_t rows, bool upsert) {
    auto it = cache.find(rows);
    if (it != cache.end()) return it->second.get();
    if (cache.size() >= kMaxCachedStatements) cache.erase(std::prev(cache.end()));
    const std::string sql = upsert ? upsert_sql(rows) : remove_sql(rows);
    logger("mysql")->debug("prepare: {}", sql.size() > 300 ? sql.substr(0, 300) + " ..." : sql);
    return cache.emplace(rows, conn_.prepare(sql)).first->second.get();
  }

  void execute(MYSQL_STMT* st, Params& params, std::string_view what) {
    if (mysql_stmt_bind_param(st, params.binds()))
      throw conn_.error(st, "cannot bind the change parameters");
    const auto guard = conn_.io_guard();
    if (mysql_stmt_execute(st)) throw conn_.error(st, what);
  }

  void add_param(Params& params, const Column& col, size_t row, size_t column) {
    try {
      params.add(col.value_at(row));
    } catch (const Error& e) {
      throw Error(e.code(),
                  fmt::format("change {}, column '{}': {}", applied_rows() + row + 1,
                              schema().fields[column].name, e.message()),
                  "mysql", e.detail());
    }
  }

  void write_upserts(const std::vector<const Column*>& cols, const std::vector<size_t>& rows) {
    const size_t ncols = cols.size();
    const size_t per = std::clamp<size_t>(kMaxParams / ncols, 1, kMaxRowsPerStatement);
    Params params;
    for (size_t first = 0; first < rows.size(); first += per) {
      const size_t count = std::min(per, rows.size() - first);
      params.clear();
      for (size_t i = first; i < first + count; ++i)
        for (size_t c = 0; c < ncols; ++c) add_param(params, *cols[c], rows[i], c);
      execute(statement(upsert_stmts_, count, true), params,
              fmt::format("cannot apply upserts to '{}'", table()));
    }
  }

  void write_removes(const std::vector<const Column*>& cols, const std::vector<size_t>& rows) {
    const size_t width = columns().key.size() + (columns().version ? 1 : 0);
    const size_t per = std::clamp<size_t>(kMaxParams / width, 1, kMaxRemovesPerStatement);
    Params params;
    for (size_t first = 0; first < rows.size(); first += per) {
      const size_t count = std::min(per, rows.size() - first);
      params.clear();
      for (size_t i = first; i < first + count; ++i) {
        for (size_t k : columns().key) add_param(params, *cols[k], rows[i], k);
        if (columns().version)
          add_param(params, *cols[*columns().version], rows[i], *columns().version);
      }
      execute(statement(remove_stmts_, count, false), params,
              fmt::format("cannot apply removes to '{}'", table()));
    }
  }

  MysqlConnection& conn_;
  TableName target_;                // as the server spells it
  std::vector<std::string> names_;  // schema()'s columns as the table spells them
  std::vector<Type> target_types_;  // the table's type of each of schema()'s columns
  bool row_alias_ = false;
  std::map<size_t, StmtHandle> upsert_stmts_;  // by rows per statement
  std::map<size_t, StmtHandle> remove_stmts_;
  bool in_txn_ = false;
};

}  // namespace

std::unique_ptr<ChangeWriter> make_change_writer(MysqlConnection& conn, std::string_view table,
                                                 const Schema& schema,
                                                 const ChangeOptions& options) {
  return std::make_unique<MysqlChangeWriter>(conn, table, schema, options);
}

}  // namespace polydb::mysql
