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

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "connectors/common/write_plan.hpp"
#include "connectors/sqlite/connection.hpp"
#include "connectors/sqlite/errors.hpp"
#include "connectors/sqlite/types.hpp"

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

class SqliteChangeWriter final : public ChangeWriterBase {
 public:
  SqliteChangeWriter(SqliteConnection& conn, std::string_view table, const Schema& schema,
                     const ChangeOptions& options)
      : ChangeWriterBase(table, schema, options, "sqlite", "sqlite"), conn_(conn) {
    target_ = conn_.existing(table);
    const Schema stored = conn_.describe(target_.reference());
    std::vector<std::string> names;  // as the table spells them
    for (size_t idx :
         match_columns(this->schema(), stored, table, "sqlite", Hint::describe_table)) {
      names.push_back(stored.fields[idx].name);
      types_.push_back(stored.fields[idx].type);
    }
    std::vector<std::string> key;
    for (size_t k : columns().key) key.push_back(names[k]);
    check_unique(key, stored);
    prepare(names, key);
  }

  ~SqliteChangeWriter() override { abort(); }

 private:
  void write_changes(const ChangeBatch& changes, const std::vector<size_t>& rows) override {
    send_or_roll_back([&] {
      begin();
      for (size_t r : rows) {
        if (changes.ops[r] == ChangeOp::upsert)
          step_upsert(changes.rows, r);
        else
          step_remove(changes.rows, r);
      }
    });
  }

  void commit_changes() override {
    if (!in_txn_) return;
    conn_.exec("COMMIT");
    in_txn_ = false;
  }

  void roll_back() noexcept override {
    upsert_.reset();
    remove_.reset();
    if (!in_txn_) return;
    in_txn_ = false;
    // Fails only when SQLite already rolled back (a fatal error): either way
    // nothing of this transaction stays.
    sqlite3_exec(conn_.db(), "ROLLBACK", nullptr, nullptr, nullptr);
  }

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
                            table(), names),
                "sqlite")
        .set_hint(Hint::key_columns);
  }

  void prepare(const std::vector<std::string>& names, const std::vector<std::string>& key) {
    std::string cols, params, set, where, version;
    for (size_t i = 0; i < names.size(); ++i) {
      cols += (i ? ", " : "") + quote_ident(names[i]);
      params += i ? ", ?" : "?";
      if (std::find(columns().key.begin(), columns().key.end(), i) == columns().key.end())
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
      if (columns().version) {
        // Unqualified names are the stored row's; excluded.* the incoming one.
        const std::string v = quote_ident(names[*columns().version]);
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
          fmt::format("table '{}', column '{}': {}", table(), schema().fields[c].name, e.message()),
          "sqlite", e.detail());
    }
  }

  void step(sqlite3_stmt* st, std::string_view what) {
    const int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) {
      Error e = make_error(rc, conn_.db(), fmt::format("cannot {} in table '{}'", what, table()));
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
    const size_t n = columns().key.size() + (columns().version ? 1 : 0);
    scratch_.resize(n * kMaxTemporalText);
    for (size_t k = 0; k < columns().key.size(); ++k)
      bind(st, static_cast<int>(k) + 1, rows, columns().key[k], r,
           scratch_.data() + k * kMaxTemporalText);
    if (columns().version)
      sqlite3_bind_int64(st, static_cast<int>(columns().key.size()) + 1,
                         rows.column(*columns().version).int64_at(r));
    step(st, "remove a row");
  }

  SqliteConnection& conn_;
  TableName target_;
  std::vector<Type> types_;  // per schema column: the stored column's type
  StmtHandle upsert_;
  StmtHandle remove_;
  std::vector<char> scratch_;  // bound temporal text of the current row
  bool in_txn_ = false;
};

}  // namespace

std::unique_ptr<ChangeWriter> make_change_writer(SqliteConnection& conn, std::string_view table,
                                                 const Schema& schema,
                                                 const ChangeOptions& options) {
  return std::make_unique<SqliteChangeWriter>(conn, table, schema, options);
}

}  // namespace polydb::sqlite
