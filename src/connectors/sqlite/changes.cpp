// Change batches into SQLite (Connection::change_writer): two prepared
// statements, reused for every change inside one transaction,
//
//   INSERT INTO t (cols) VALUES (?...) ON CONFLICT (key) DO UPDATE SET ...
//     [WHERE v IS NULL OR v < excluded.v]
//   DELETE FROM t WHERE k = ?... [AND (v IS NULL OR v <= ?)]
//
// SQLite runs in-process: a statement per row costs no round trip, so the
// rows of a batch are stepped one by one (only the changes that decide the
// outcome: effective_changes()).

#include "connectors/common/changes.hpp"
#include "connectors/common/write_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "connectors/sqlite/connection.hpp"
#include "connectors/sqlite/errors.hpp"
#include "connectors/sqlite/types.hpp"
#include "core/log.hpp"

namespace polydb::sqlite {

namespace {

bool same_name(std::string_view a, std::string_view b) {
  // SQLite compares identifiers ignoring ASCII case.
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// True when every name of `a` is in `b` and the other way round.
bool same_columns(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  const auto in = [](const std::vector<std::string>& names, const std::string& n) {
    return std::any_of(names.begin(), names.end(),
                       [&](const std::string& m) { return same_name(m, n); });
  };
  return a.size() == b.size() &&
         std::all_of(a.begin(), a.end(), [&](auto& n) { return in(b, n); }) &&
         std::all_of(b.begin(), b.end(), [&](auto& n) { return in(a, n); });
}

class SqliteChangeWriter final : public ChangeWriter {
 public:
  SqliteChangeWriter(SqliteConnection& conn, std::string_view table, const Schema& schema,
                     const ChangeOptions& options)
      : conn_(conn), table_(table), schema_(schema) {
    target_ = conn_.existing(table);
    columns_ = change_columns(schema_, options, table, "sqlite");
    const Schema stored = conn_.describe(target_.reference());
    std::vector<std::string> names;  // as the table spells them
    for (size_t idx : match_columns(schema_, stored, table, "sqlite", Hint::describe_table)) {
      names.push_back(stored.fields[idx].name);
      types_.push_back(stored.fields[idx].type);
    }
    std::vector<std::string> key;
    for (size_t k : columns_.key) key.push_back(names[k]);
    check_unique(key, stored);
    prepare(names, key);
  }

  ~SqliteChangeWriter() override { abort(); }

  void apply(const ChangeBatch& changes) override {
    if (aborted_) throw unusable_change_writer("apply()", table_, failed_, "sqlite");
    check_change_columns(changes, schema_, table_, "sqlite");
    const std::vector<size_t> rows = effective_changes(changes, columns_, "sqlite");
    try {
      begin();
      for (size_t r : rows) {
        if (changes.ops[r] == ChangeOp::upsert)
          step_upsert(changes.rows, r);
        else
          step_remove(changes.rows, r);
      }
    } catch (...) {
      // A half-applied batch must not be committed by a later commit().
      failed_ = true;
      abort();
      throw;
    }
    for (ChangeOp op : changes.ops) ++(op == ChangeOp::upsert ? result_.upserts : result_.removes);
    logger("sqlite")->trace("applied {} changes ({} deciding) to {}", changes.ops.size(),
                            rows.size(), target_.table);
  }

  ChangeResult commit() override {
    if (aborted_) throw unusable_change_writer("commit()", table_, failed_, "sqlite");
    if (in_txn_) {
      try {
        conn_.exec("COMMIT");
      } catch (...) {
        failed_ = true;
        abort();
        throw;
      }
      in_txn_ = false;
    }
    logger("sqlite")->debug("committed changes to {}: {} upserts, {} removes so far", target_.table,
                            result_.upserts, result_.removes);
    return result_;
  }

  void abort() noexcept override {
    if (aborted_) return;
    aborted_ = true;
    upsert_.reset();
    remove_.reset();
    if (!in_txn_) return;
    in_txn_ = false;
    // Fails only when SQLite already rolled back (a fatal error): either way
    // nothing of this transaction stays.
    sqlite3_exec(conn_.db(), "ROLLBACK", nullptr, nullptr, nullptr);
  }

 private:
  // ON CONFLICT (key) needs a primary key or a unique index over exactly the
  // key columns: say so before the first change rather than at prepare time.
  void check_unique(const std::vector<std::string>& key, const Schema& stored) {
    if (same_columns(key, stored.primary_key)) return;
    const std::string schema = target_.schema.empty() ? "main" : target_.schema;
    StmtHandle list = conn_.prepare(
        "SELECT name FROM pragma_index_list(?1, ?2) WHERE \"unique\" AND NOT partial");
    sqlite3_bind_text(list.get(), 1, target_.table.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(list.get(), 2, schema.c_str(), -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(list.get())) == SQLITE_ROW) {
      const std::string index = reinterpret_cast<const char*>(sqlite3_column_text(list.get(), 0));
      StmtHandle info = conn_.prepare("SELECT name FROM pragma_index_info(?1, ?2)");
      sqlite3_bind_text(info.get(), 1, index.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(info.get(), 2, schema.c_str(), -1, SQLITE_TRANSIENT);
      std::vector<std::string> cols;
      bool expression = false;
      int irc;
      while ((irc = sqlite3_step(info.get())) == SQLITE_ROW) {
        const auto* name = sqlite3_column_text(info.get(), 0);
        if (!name)
          expression = true;  // an expression, not a column
        else
          cols.emplace_back(reinterpret_cast<const char*>(name));
      }
      check(irc, conn_.db(), "cannot read the table's indexes");
      if (!expression && same_columns(key, cols)) return;
    }
    check(rc, conn_.db(), "cannot read the table's indexes");
    std::string names;
    for (const auto& k : key) names += (names.empty() ? "" : ", ") + k;
    throw Error(ErrorCode::invalid_argument,
                fmt::format("changes to table '{}' need a primary key or a unique index on their "
                            "key ({}): the table has neither (create a unique index on those "
                            "columns, or use the table's primary key as the key)",
                            table_, names),
                "sqlite")
        .set_hint(Hint::key_columns);
  }

  void prepare(const std::vector<std::string>& names, const std::vector<std::string>& key) {
    std::string cols, params, set, where, version;
    for (size_t i = 0; i < names.size(); ++i) {
      cols += (i ? ", " : "") + quote_ident(names[i]);
      params += i ? ", ?" : "?";
      if (std::find(columns_.key.begin(), columns_.key.end(), i) == columns_.key.end())
        set += (set.empty() ? "" : ", ") + quote_ident(names[i]) + " = excluded." +
               quote_ident(names[i]);
    }
    std::string key_list;
    for (size_t k = 0; k < key.size(); ++k) {
      key_list += (k ? ", " : "") + quote_ident(key[k]);
      where += fmt::format("{}{} = ?{}", k ? " AND " : "", quote_ident(key[k]), k + 1);
    }
    std::string upsert = fmt::format("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO ",
                                     target_.quoted(), cols, params, key_list);
    if (set.empty()) {
      upsert += "NOTHING";
    } else {
      upsert += "UPDATE SET " + set;
      if (columns_.version) {
        // Unqualified names are the stored row's; excluded.* the incoming one.
        const std::string v = quote_ident(names[*columns_.version]);
        upsert += fmt::format(" WHERE {0} IS NULL OR {0} < excluded.{0}", v);
        where += fmt::format(" AND ({0} IS NULL OR {0} <= ?{1})", v, key.size() + 1);
      }
    }
    upsert_ = conn_.prepare(upsert);
    remove_ = conn_.prepare(fmt::format("DELETE FROM {} WHERE {}", target_.quoted(), where));
  }

  void begin() {
    if (in_txn_) return;
    // IMMEDIATE: take the write lock now, so that a busy database fails here
    // (after busy_timeout) rather than halfway through the batch.
    conn_.exec("BEGIN IMMEDIATE");
    in_txn_ = true;
  }

  void bind(sqlite3_stmt* st, int idx, const Batch& rows, size_t c, size_t r, char* scratch) {
    const Column& col = rows.column(c);
    try {
      if (col.type().id == types_[c].id)
        bind_cell(st, idx, col, r, scratch);
      else
        bind_value(st, idx, coerce_value(col.value_at(r), types_[c]));
    } catch (const Error& e) {
      throw Error(
          e.code(),
          fmt::format("table '{}', column '{}': {}", table_, schema_.fields[c].name, e.message()),
          "sqlite", e.detail());
    }
  }

  void step(sqlite3_stmt* st, std::string_view what) {
    const int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) {
      Error e = make_error(rc, conn_.db(), fmt::format("cannot {} in table '{}'", what, table_));
      sqlite3_reset(st);
      throw e;
    }
    sqlite3_reset(st);
  }

  void step_upsert(const Batch& rows, size_t r) {
    sqlite3_stmt* st = upsert_.get();
    scratch_.resize(rows.num_columns() * kMaxTemporalText);
    for (size_t c = 0; c < rows.num_columns(); ++c)
      bind(st, static_cast<int>(c) + 1, rows, c, r, scratch_.data() + c * kMaxTemporalText);
    step(st, "upsert a row");
  }

  void step_remove(const Batch& rows, size_t r) {
    sqlite3_stmt* st = remove_.get();
    const size_t n = columns_.key.size() + (columns_.version ? 1 : 0);
    scratch_.resize(n * kMaxTemporalText);
    for (size_t k = 0; k < columns_.key.size(); ++k)
      bind(st, static_cast<int>(k) + 1, rows, columns_.key[k], r,
           scratch_.data() + k * kMaxTemporalText);
    if (columns_.version)
      sqlite3_bind_int64(st, static_cast<int>(columns_.key.size()) + 1,
                         rows.column(*columns_.version).int64_at(r));
    step(st, "remove a row");
  }

  SqliteConnection& conn_;
  std::string table_;  // as the caller named it, for messages
  Schema schema_;
  TableName target_;
  ChangeColumns columns_;
  std::vector<Type> types_;  // per schema column: the stored column's type
  StmtHandle upsert_;
  StmtHandle remove_;
  std::vector<char> scratch_;  // bound temporal text of the current row
  ChangeResult result_;
  bool in_txn_ = false;
  bool aborted_ = false;
  bool failed_ = false;  // aborted by a failed statement, not by the caller
};

}  // namespace

std::unique_ptr<ChangeWriter> make_change_writer(SqliteConnection& conn, std::string_view table,
                                                 const Schema& schema,
                                                 const ChangeOptions& options) {
  return std::make_unique<SqliteChangeWriter>(conn, table, schema, options);
}

}  // namespace polydb::sqlite
