// The ODBC change writer (Connection::change_writer): change batches applied
// in one transaction per commit (autocommit off), per dialect:
//  - upserts: Dialect::change_upsert_sql (MERGE ... WHEN MATCHED AND <newer>
//    on SQL Server and ANSI, INSERT ... ON CONFLICT DO UPDATE ... WHERE
//    <newer> on PostgreSQL, ON DUPLICATE KEY UPDATE with IF(<newer>, ...) on
//    MySQL), several rows per statement where the dialect allows it;
//  - removes: DELETE by key (and version), one parameter set per change.
// Both go as parameter arrays (one SQLExecute per array). effective_changes()
// leaves one change per key in a batch, so upserts and removes touch
// different keys and no statement meets a key twice. A statement that fails
// rolls the transaction back: the writer is unusable afterwards.

#include "connectors/common/changes.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

#include "connectors/common/local_rows.hpp"
#include "connectors/common/write_plan.hpp"
#include "connectors/odbc/connection.hpp"
#include "connectors/odbc/errors.hpp"
#include "connectors/odbc/params.hpp"
#include "connectors/odbc/text.hpp"

namespace polydb::odbc {

namespace {

// Prepared statements kept per kind (one per rows-per-statement count met).
constexpr size_t kMaxCachedStatements = 4;

// Rows `rows` of `col`, in that order.
Column gather(const Column& col, const std::vector<size_t>& rows) {
  Column out(col.type());
  out.reserve(rows.size());
  for (size_t r : rows) out.append(col.value_at(r));
  return out;
}

class OdbcChangeWriter final : public ChangeWriterBase {
 public:
  OdbcChangeWriter(OdbcConnection& conn, std::string_view table, const Schema& schema,
                   const ChangeOptions& options)
      : ChangeWriterBase(table, schema, options, "odbc", "odbc"),
        conn_(conn),
        dialect_(conn.dialect()) {
    conn_.io(nullptr, [&] { open(); });
  }

  ~OdbcChangeWriter() override { abort(); }

 private:
  void write_changes(const ChangeBatch& changes, const std::vector<size_t>& rows) override {
    // Values that do not convert fail the batch before anything is sent: the
    // writer stays as it was.
    std::vector<Column> storage;
    const std::vector<const Column*> cols =
        columns_as(changes.rows, target_types_, applied_rows(), "odbc", storage);
    std::vector<size_t> upserts, removes;
    for (size_t r : rows) (changes.ops[r] == ChangeOp::upsert ? upserts : removes).push_back(r);
    send_or_roll_back([&] {
      conn_.io(nullptr, [&] {
        if (!removes.empty()) write_removes(cols, removes);
        if (!upserts.empty()) write_upserts(cols, upserts);
      });
    });
  }

  void commit_changes() override {
    // Autocommit stays off: the next transaction starts with the next statement.
    conn_.io(nullptr, [&] { conn_.end_transaction(true); });
  }

  void roll_back() noexcept override {
    const auto busy = conn_.busy();
    upserts_.clear();
    removes_.clear();
    if (in_txn_) conn_.rollback_quietly();
    in_txn_ = false;
  }

  void open() {
    const TableDescription target = conn_.describe_table(conn_.resolve(table()), table());
    target_ = target.name;
    for (size_t idx :
         match_columns(schema(), target.schema, table(), "odbc", Hint::describe_table)) {
      const Field& tf = target.schema.fields[idx];
      names_.push_back(tf.name);
      target_types_.push_back(tf.type);
      placeholders_.push_back(dialect_.placeholder(tf.type.id, target.columns[idx].type_name));
    }
    for (size_t k : columns().key) key_names_.push_back(names_[k]);
    if (columns().version) version_name_ = names_[*columns().version];
    check_unique_key(target);
    per_stmt_ = dialect_.max_rows_per_statement(names_.size(), true);
    for (size_t k : columns().key)
      if (!bytewise_equality(target_types_[k].id)) per_stmt_ = 1;
    conn_.set_autocommit(false);
    in_txn_ = true;
  }

  // Upserts find the stored row by the key: the DBMS must know it as unique
  // (MySQL's ON DUPLICATE KEY matches only unique keys, PostgreSQL's ON
  // CONFLICT needs a unique index on exactly those columns).
  void check_unique_key(const TableDescription& target) {
    const auto sorted = [](std::vector<std::string> v) {
      std::sort(v.begin(), v.end());
      return v;
    };
    const std::vector<std::string> want = sorted(key_names_);
    if (sorted(target.schema.primary_key) == want) return;
    StmtHandle stmt = conn_.new_statement();
    std::optional<std::u16string> catalog, owner;
    if (!target.name.schema.empty())
      (dialect_.schema_is_catalog() ? catalog : owner) = to_utf16(target.name.schema);
    std::u16string name = to_utf16(target.name.table);
    const auto arg = [](std::optional<std::u16string>& s) {
      return s ? reinterpret_cast<SQLWCHAR*>(s->data()) : nullptr;
    };
    const auto len = [](const std::optional<std::u16string>& s) {
      return s ? static_cast<SQLSMALLINT>(s->size()) : SQLSMALLINT{0};
    };
    conn_.check(SQLStatisticsW(stmt.get(), arg(catalog), len(catalog), arg(owner), len(owner),
                               reinterpret_cast<SQLWCHAR*>(name.data()),
                               static_cast<SQLSMALLINT>(name.size()), SQL_INDEX_UNIQUE, SQL_QUICK),
                stmt.get(), fmt::format("cannot read the unique indexes of '{}'", table()));
    // TABLE_NAME, NON_UNIQUE, INDEX_NAME, TYPE, COLUMN_NAME (columns 3, 4, 6, 7, 9).
    std::map<std::string, std::vector<std::string>> unique;
    for (const auto& row : fetch_text_rows(conn_, stmt.get())) {
      if (row.size() < 9 || row[2] != target.name.table || !row[5] || !row[8]) continue;
      if (row[3] && *row[3] != "0") continue;
      if (row[6] && *row[6] == std::to_string(SQL_TABLE_STAT)) continue;
      unique[*row[5]].push_back(*row[8]);
    }
    for (const auto& [name, cols] : unique)
      if (sorted(cols) == want) return;
    throw Error(ErrorCode::invalid_argument,
                fmt::format("changes to '{}' by ({}) need a primary key or a unique index on "
                            "exactly those columns: the database finds the stored row by a "
                            "unique key (add such an index, or use the primary key as the key)",
                            table(), fmt::join(key_names_, ", ")),
                "odbc");
  }

  StmtHandle prepare(const std::string& sql) {
    return conn_.prepare(sql, fmt::format("cannot prepare the changes to '{}'", table()));
  }

  SQLHSTMT upsert_statement(size_t rows) {
    auto it = upserts_.find(rows);
    if (it != upserts_.end()) return it->second.get();
    if (upserts_.size() >= kMaxCachedStatements) upserts_.erase(std::prev(upserts_.end()));
    return upserts_
        .emplace(rows, prepare(dialect_.change_upsert_sql(target_, names_, key_names_,
                                                          version_name_, placeholders_, rows)))
        .first->second.get();
  }

  void execute(SQLHSTMT stmt, std::string_view what) {
    SQLRETURN rc;
    {
      const auto busy = conn_.busy(stmt);  // the statement a stop request cancels
      rc = SQLExecute(stmt);
    }
    if (succeeded(rc) || rc == SQL_NO_DATA) return;
    throw make_error(collect_diagnostics(SQL_HANDLE_STMT, stmt),
                     fmt::format("cannot apply {} to '{}'", what, table()));
  }

  void bind(SQLHSTMT stmt, const std::vector<const Column*>& cols, size_t first, size_t count,
            size_t per_set) {
    try {
      params_.bind(stmt, cols, dialect_, first, count, per_set);
    } catch (const Error& e) {
      throw Error(e.code(), fmt::format("changes to '{}': {}", table(), e.message()), "odbc",
                  e.detail());
    }
  }

  void write_upserts(const std::vector<const Column*>& all, const std::vector<size_t>& rows) {
    std::vector<Column> picked;
    picked.reserve(all.size());
    for (const Column* c : all) picked.push_back(gather(*c, rows));
    std::vector<const Column*> cols;
    for (const auto& c : picked) cols.push_back(&c);
    const size_t n = rows.size();
    for (size_t first = 0; first < n;) {
      const size_t fit = ParamArrays::rows_that_fit(cols, dialect_, first, n - first);
      // Whole statements of per_stmt_ rows, then one statement of the rest.
      const size_t per_set = std::min(per_stmt_, fit);
      const size_t count = per_set == 1 ? fit : fit - fit % per_set;
      SQLHSTMT stmt = upsert_statement(per_set);
      bind(stmt, cols, first, count, per_set);
      execute(stmt, "upserts");
      first += count;
    }
  }

  void write_removes(const std::vector<const Column*>& all, const std::vector<size_t>& rows) {
    std::vector<Column> picked;
    std::vector<std::string> key_placeholders;
    for (size_t k : columns().key) {
      picked.push_back(gather(*all[k], rows));
      key_placeholders.push_back(placeholders_[k]);
    }
    if (columns().version) picked.push_back(gather(*all[*columns().version], rows));
    std::vector<const Column*> cols;
    for (const auto& c : picked) cols.push_back(&c);
    auto it = removes_.find(1);
    if (it == removes_.end())
      it = removes_
               .emplace(1, prepare(dialect_.change_remove_sql(target_, key_names_, key_placeholders,
                                                              version_name_)))
               .first;
    const size_t n = rows.size();
    for (size_t first = 0; first < n;) {
      const size_t count = ParamArrays::rows_that_fit(cols, dialect_, first, n - first);
      bind(it->second.get(), cols, first, count, 1);
      execute(it->second.get(), "removes");
      first += count;
    }
  }

  OdbcConnection& conn_;
  const Dialect& dialect_;
  TableName target_;                       // as the catalog spells it
  std::vector<std::string> names_;         // schema()'s columns as the table spells them
  std::vector<std::string> key_names_;     // the key columns, likewise
  std::string version_name_;               // "" without a version column
  std::vector<Type> target_types_;         // the table's type of each of schema()'s columns
  std::vector<std::string> placeholders_;  // per column ("?" or a cast)
  size_t per_stmt_ = 1;                    // upsert rows per full statement
  std::map<size_t, StmtHandle> upserts_;   // prepared, by rows per statement
  std::map<size_t, StmtHandle> removes_;
  ParamArrays params_;
  bool in_txn_ = false;
};

}  // namespace

std::unique_ptr<ChangeWriter> make_change_writer(OdbcConnection& conn, std::string_view table,
                                                 const Schema& schema,
                                                 const ChangeOptions& options) {
  return std::make_unique<OdbcChangeWriter>(conn, table, schema, options);
}

}  // namespace polydb::odbc
