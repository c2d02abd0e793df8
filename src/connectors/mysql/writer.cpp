#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>

#include "connectors/mysql/connection.hpp"
#include "connectors/mysql/errors.hpp"
#include "connectors/mysql/types.hpp"
#include "connectors/mysql/unique_key.hpp"
#include "connectors/common/local_rows.hpp"
#include "core/log.hpp"
#include "connectors/common/table_errors.hpp"
#include "connectors/common/write_plan.hpp"
#include "polydb/error.hpp"

namespace polydb::mysql {

namespace {

// Identifiers hold at most 64 characters: "_polydb_new_" + table + "_" + the
// writer's id (16 hex digits).
constexpr size_t kMaxIdentifier = 64;
constexpr std::string_view kNewPrefix = "_polydb_new_";
constexpr std::string_view kOldPrefix = "_polydb_old_";
// The server lock a writer holds for as long as its side tables may exist;
// the session's end (a killed process included) releases it.
constexpr std::string_view kWriterLockPrefix = "polydb:w:";
// The INSERT fallback sends at most this many parameters / bytes per statement.
constexpr size_t kMaxParams = 65535;
constexpr size_t kMaxInsertBytes = 4u << 20;
constexpr size_t kMaxInsertRows = 1000;

// A writer's id, unique across processes and hosts for all practical purposes.
std::string writer_id() { return random_hex(16); }

// The id in the name of a side table (`_polydb_new_<t>_<id>`, or an older
// polydb's 8 hex digits); empty for any other name.
std::string_view side_table_id(std::string_view name) {
  if (!name.starts_with(kNewPrefix) && !name.starts_with(kOldPrefix)) return {};
  const size_t cut = name.rfind('_');
  if (cut < kNewPrefix.size()) return {};
  const std::string_view id = name.substr(cut + 1);
  if ((id.size() != 16 && id.size() != 8) ||
      id.find_first_not_of("0123456789abcdef") != std::string_view::npos)
    return {};
  return id;
}

std::string aside_name(std::string_view prefix, std::string_view table, std::string_view hex) {
  return side_table_name(prefix, table, hex, kMaxIdentifier);
}

std::string like_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '%' || c == '_') out += '\\';
    out += c;
  }
  return out;
}

// Streams the rows of one batch in LOAD DATA's text format, a row at a time:
// memory stays bounded by one row plus the library's read buffer.
class BatchSource final : public LoadSource {
 public:
  BatchSource(std::string file, const std::vector<const Column*>& columns, size_t rows,
              uint64_t first_row, const std::vector<std::string>& names)
      : file_(std::move(file)),
        columns_(columns),
        rows_(rows),
        first_row_(first_row),
        names_(names) {}

  std::string_view file_name() const override { return file_; }

  size_t read(char* buf, size_t len) override {
    size_t n = 0;
    while (n < len) {
      if (pos_ == pending_.size()) {
        if (row_ == rows_) break;
        pending_.clear();
        pos_ = 0;
        encode(row_++);
      }
      const size_t take = std::min(len - n, pending_.size() - pos_);
      std::memcpy(buf + n, pending_.data() + pos_, take);
      pos_ += take;
      n += take;
    }
    return n;
  }

 private:
  void encode(size_t r) {
    for (size_t c = 0; c < columns_.size(); ++c) {
      if (c) pending_ += '\t';
      try {
        append_load_data_cell(pending_, *columns_[c], r);
      } catch (const Error& e) {
        throw Error(
            e.code(),
            fmt::format("row {}, column '{}': {}", first_row_ + r + 1, names_[c], e.message()),
            "mysql", e.detail());
      }
    }
    pending_ += '\n';
  }

  std::string file_;
  const std::vector<const Column*>& columns_;
  size_t rows_;
  uint64_t first_row_;
  const std::vector<std::string>& names_;
  size_t row_ = 0;
  std::string pending_;
  size_t pos_ = 0;
};

// Bulk writer. LOAD DATA LOCAL INFILE streams each batch from memory; a
// server with local_infile=0 gets multi-row prepared INSERTs instead. The
// rows go in one InnoDB transaction, so nothing is visible before commit().
// DDL is not transactional in MySQL (it commits implicitly): a table the
// writer creates is built aside, under a name of its own, and appears under
// the target's name only at commit, by one atomic RENAME TABLE. So a process
// killed at any moment leaves the target as it was:
//  - create, and append / upsert into a missing table: the rows go into
//    `_polydb_new_<t>_<id>`, renamed to the target after the load committed;
//  - append / upsert into an existing table: into the table itself, in the
//    transaction (a killed session's transaction is rolled back);
//  - replace: into `_polydb_new_<t>_<id>`, swapped in by one RENAME of both
//    tables after the load committed;
//  - upsert: batches pass through a temporary staging table (it dies with the
//    session), merged by INSERT ... SELECT ... ON DUPLICATE KEY UPDATE
//    (LOAD DATA ... REPLACE would delete and reinsert).
// A killed process can leave a side table behind. Each writer holds the
// server lock `polydb:w:<id>` while its side tables exist, and every writer
// drops the side tables in its database whose lock is free: those of dead
// writers, never those of a writer still running in another process.
// LOAD DATA LOCAL turns bad values into warnings even in strict mode: every
// statement's warnings and row count are checked, and any warning fails the write.
class MysqlWriter final : public BatchWriter {
 public:
  MysqlWriter(MysqlConnection& conn, std::string_view table, const Schema& schema,
              const WriteOptions& options)
      : conn_(conn),
        as_given_(table),
        source_(schema),
        options_(options),
        native_(options.source_backend == "mysql") {
    check_writable_source(source_, table, "mysql");
    try {
      open();
    } catch (...) {
      abort();
      throw;
    }
  }

  ~MysqlWriter() override { abort(); }

  void write(const Batch& batch) override {
    if (done_) throw finished_writer("write()", as_given_, failed_, "mysql");
    check_batch_columns(batch, source_, "mysql");
    if (batch.num_rows() == 0) return;
    try {
      write_rows(batch);
    } catch (...) {
      // A failed statement may have stored part of the batch: nothing of this
      // writer may survive.
      failed_ = true;
      abort();
      throw;
    }
  }

  WriteResult commit() override {
    if (done_) throw finished_writer("commit()", as_given_, failed_, "mysql");
    try {
      inserts_.clear();
      conn_.exec("COMMIT");
      in_txn_ = false;
      if (!aside_.table.empty()) swap_in();
      drop_staging();
      release_lock();
      release_writer_lock();
    } catch (...) {
      abort();
      throw;
    }
    done_ = true;
    logger("mysql")->info("committed {} rows into {}", rows_, target_.display());
    return {rows_};
  }

  void abort() noexcept override {
    if (done_) return;
    done_ = true;
    inserts_.clear();
    MYSQL* m = conn_.db();
    const auto guard = conn_.io_guard();
    const auto quietly = [&](const std::string& sql) {
      // Cleanup after a failure: its own errors would hide the first one.
      if (mysql_real_query(m, sql.data(), sql.size()))
        logger("mysql")->warn("cleanup failed: {}: {}", sql, mysql_error(m));
      else if (mysql_field_count(m) > 0)
        mysql_free_result(mysql_store_result(m));  // SELECT RELEASE_LOCK(...)
    };
    try {
      if (in_txn_) quietly("ROLLBACK");
      in_txn_ = false;
      if (!aside_.table.empty()) quietly("DROP TABLE IF EXISTS " + aside_.quoted());
      if (!staging_.empty()) quietly("DROP TEMPORARY TABLE IF EXISTS " + quote_ident(staging_));
      if (locked_) quietly(lock_sql("RELEASE_LOCK", false));
      if (writer_locked_)
        quietly(fmt::format("SELECT RELEASE_LOCK({})", quote_string(writer_lock_name())));
    } catch (...) {
      // Out of memory building a statement: nothing more can be done here.
    }
  }

 private:
  void open() {
    target_ = conn_.resolve(as_given_);
    if (options_.mode == WriteMode::replace) lock();
    drop_orphans();
    // DDL commits implicitly in MySQL: a table to create is built aside too,
    // and renamed into place at commit.
    const TargetStep step = target_step(options_.mode, conn_.exists(target_), as_given_,
                                        conn_.display_url(), "mysql");
    const Schema create_schema = schema_to_create(source_, options_);
    TableName write_to = target_;
    if (step != TargetStep::write_existing) {
      check_schema_creatable(as_given_, create_schema);
      take_writer_lock();
      aside_ = TableName{target_.schema, aside_name(kNewPrefix, target_.table, id_)};
      conn_.exec(create_table_sql(aside_, create_schema, conn_.text_collation(), native_));
      write_to = aside_;
    }
    const TableDescription target = conn_.describe_table(write_to, as_given_);
    write_to = target.name;
    if (aside_.table.empty())
      target_ = target.name;  // as the server spells it
    else
      aside_ = target.name;
    std::vector<ColumnInfo> infos;
    for (size_t idx : match_columns(source_, target.schema, as_given_, "mysql")) {
      const ColumnInfo& info = target.columns[idx];
      infos.push_back(info);
      columns_.push_back(info.name);
      target_types_.push_back(target.schema.fields[idx].type);
      load_columns_.push_back(
          {info.name, info.data_type == "bit" && target_types_.back().id == TypeId::int64});
    }
    load_into_ = merge_into_ = write_to;
    if (options_.mode == WriteMode::upsert) {
      key_ = upsert_key(target);
      staging_ = "_polydb_up_" + random_hex();
      conn_.exec(create_staging_sql(staging_, infos));
      load_into_ = TableName{"", staging_};
    }
    file_ = "polydb-rows-" + random_hex();
    conn_.exec("START TRANSACTION");
    in_txn_ = true;
  }

  // The upsert key: the given one, which must be the primary key or a unique
  // index (ON DUPLICATE KEY matches those), or the primary key.
  std::vector<std::string> upsert_key(const TableDescription& target) {
    std::vector<std::string> key = polydb::upsert_key(options_, target.schema, columns_, as_given_,
                                                      "mysql",
                                                      "key columns that form a unique index");
    if (!options_.key.empty())
      require_unique_key(conn_, target, key, fmt::format("upsert into '{}'", as_given_));
    return key;
  }

  std::string lock_sql(std::string_view fn, bool wait) const {
    // One replace of a table at a time, per server: the lock makes dropping
    // orphans of killed processes safe. The name is hashed to fit 64 characters.
    const std::string name =
        fmt::format("CONCAT('polydb:', SHA1(CONCAT(COALESCE({}, DATABASE()), '.', {})))",
                    target_.schema.empty() ? "NULL" : quote_string(target_.schema),
                    quote_string(target_.table));
    return wait ? fmt::format("SELECT {}({}, 30)", fn, name)
                : fmt::format("SELECT {}({})", fn, name);
  }

  void lock() {
    const auto rows = conn_.collect_text(lock_sql("GET_LOCK", true));
    if (rows.empty() || rows[0][0] != "1")
      throw Error(
          ErrorCode::conflict,
          fmt::format("another replace of '{}' has been running for 30 s; retry later", as_given_),
          "mysql");
    locked_ = true;
  }

  void release_lock() {
    if (!locked_) return;
    conn_.collect_text(lock_sql("RELEASE_LOCK", false));
    locked_ = false;
  }

  std::string writer_lock_name() const { return std::string(kWriterLockPrefix) + id_; }

  // Held from before the first side table is created until the last is gone.
  void take_writer_lock() {
    const std::vector<Value> params{Value(writer_lock_name())};
    const auto rows = conn_.collect_text("SELECT GET_LOCK(?, 0)", params);
    if (rows.empty() || rows[0][0] != "1")
      throw Error(
          ErrorCode::internal,
          fmt::format("cannot take the server lock {} (an id clash: retry)", writer_lock_name()),
          "mysql");
    writer_locked_ = true;
  }

  void release_writer_lock() {
    if (!writer_locked_) return;
    const std::vector<Value> params{Value(writer_lock_name())};
    conn_.collect_text("SELECT RELEASE_LOCK(?)", params);
    writer_locked_ = false;
  }

  // Drops the side tables of dead writers in the target's database: those
  // whose writer lock this session can take. A writer still running holds
  // its lock, so its tables stay. Side tables named by older polydb versions
  // (8 hex digits, no writer lock) are dropped only for the target of a
  // replace, under the table's replace lock, as those versions did.
  void drop_orphans() {
    const std::vector<Value> params{target_.schema.empty() ? Value() : Value(target_.schema),
                                    Value(like_escape("_polydb_") + "%")};
    for (const auto& row : conn_.collect_text(
             "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = COALESCE(?, "
             "DATABASE()) AND TABLE_NAME LIKE ?",
             params)) {
      const std::string name = row[0].value_or("");
      const std::string_view id = side_table_id(name);
      if (id.empty()) continue;
      const TableName table{target_.schema, name};
      if (id.size() == 8) {
        const bool ours = name == aside_name(kNewPrefix, target_.table, id) ||
                          name == aside_name(kOldPrefix, target_.table, id);
        if (!locked_ || !ours) continue;
        logger("mysql")->warn("dropping {}, left over by an interrupted replace", name);
        conn_.exec("DROP TABLE IF EXISTS " + table.quoted());
        continue;
      }
      const std::vector<Value> lock{Value(std::string(kWriterLockPrefix) + std::string(id))};
      const auto got = conn_.collect_text("SELECT GET_LOCK(?, 0)", lock);
      if (got.empty() || got[0][0] != "1") continue;  // its writer is alive
      logger("mysql")->warn("dropping {}, left over by an interrupted write", name);
      try {
        conn_.exec("DROP TABLE IF EXISTS " + table.quoted());
      } catch (...) {
        conn_.collect_text("SELECT RELEASE_LOCK(?)", lock);
        throw;
      }
      conn_.collect_text("SELECT RELEASE_LOCK(?)", lock);
    }
  }

  void swap_in() {
    // DDL commits implicitly: the rows are committed in the aside table, and
    // one RENAME swaps both names atomically.
    if (options_.mode == WriteMode::replace && conn_.exists(target_)) {
      const TableName old{target_.schema, aside_name(kOldPrefix, target_.table, id_)};
      conn_.exec(fmt::format("RENAME TABLE {} TO {}, {} TO {}", target_.quoted(), old.quoted(),
                             aside_.quoted(), target_.quoted()));
      aside_ = {};
      conn_.exec("DROP TABLE " + old.quoted());
      return;
    }
    try {
      conn_.exec(fmt::format("RENAME TABLE {} TO {}", aside_.quoted(), target_.quoted()));
    } catch (const Error& e) {
      // Another session created the table while this one was loading.
      if (e.code() != ErrorCode::conflict || options_.mode == WriteMode::replace) throw;
      if (options_.mode == WriteMode::create)
        throw table_exists_error(as_given_, conn_.display_url(), "mysql", e.detail());
      throw Error(ErrorCode::conflict,
                  fmt::format("table '{}' was created by someone else while this write was "
                              "loading; nothing was written (retry to write into it)",
                              as_given_),
                  "mysql", e.detail());
    }
    aside_ = {};
  }

  void drop_staging() {
    if (staging_.empty()) return;
    conn_.exec("DROP TEMPORARY TABLE IF EXISTS " + quote_ident(staging_));
    staging_.clear();
  }

  void write_rows(const Batch& batch) {
    const size_t n = batch.num_rows();
    // Convert each column to the target's type first: a value that does not
    // fit fails here, naming its row and column.
    std::vector<Column> converted;
    const std::vector<const Column*> cols =
        columns_as(batch, target_types_, rows_, "mysql", converted);
    bool loaded = false;
    if (conn_.local_infile_allowed()) {
      BatchSource source(file_, cols, n, rows_, columns_);
      const auto affected =
          conn_.load_data(load_data_sql(load_into_, load_columns_, file_, conn_.charset()), source);
      if (affected) {
        check_statement(*affected, n, rows_);
        loaded = true;
      } else {
        conn_.forbid_local_infile();
        logger("mysql")->warn(
            "the server refuses LOAD DATA LOCAL INFILE (local_infile=0): writing with INSERT, "
            "which is slower");
      }
    }
    if (!loaded) insert_rows(cols, n);
    if (!staging_.empty()) {
      conn_.exec(upsert_sql(merge_into_, staging_, columns_, key_));
      check_statement(std::nullopt, n, rows_);
      conn_.exec("DELETE FROM " + quote_ident(staging_));
    }
    rows_ += n;
  }

  // Multi-row prepared INSERTs, a few thousand parameters / MB each.
  void insert_rows(const std::vector<const Column*>& cols, size_t n) {
    const size_t ncols = cols.size();
    const size_t max_rows = std::max<size_t>(1, std::min(kMaxInsertRows, kMaxParams / ncols));
    Params params;
    size_t r = 0;
    while (r < n) {
      params.clear();
      size_t rows = 0, bytes = 0;
      const size_t first = r;
      while (r < n && rows < max_rows && (rows == 0 || bytes < kMaxInsertBytes)) {
        for (size_t c = 0; c < ncols; ++c) {
          const Value v = cols[c]->value_at(r);
          try {
            params.add(v);
          } catch (const Error& e) {
            throw Error(
                e.code(),
                fmt::format("row {}, column '{}': {}", rows_ + r + 1, columns_[c], e.message()),
                "mysql", e.detail());
          }
          if (is_variable_width(cols[c]->type().id) && !cols[c]->is_null(r))
            bytes += cols[c]->var_at(r).size();
        }
        ++rows;
        ++r;
      }
      MYSQL_STMT* st = insert_statement(rows);
      if (mysql_stmt_bind_param(st, params.binds()))
        throw conn_.error(st, "cannot bind parameters");
      const auto guard = conn_.io_guard();
      if (mysql_stmt_execute(st)) {
        const Error e = conn_.error(st, "cannot write rows");
        throw e.with_message(fmt::format("rows {}-{}: {}", rows_ + first + 1, rows_ + r, e.message()));
      }
      check_statement(mysql_stmt_affected_rows(st), rows, rows_ + first);
    }
  }

  MYSQL_STMT* insert_statement(size_t rows) {
    auto it = inserts_.find(rows);
    if (it == inserts_.end()) {
      conn_.check_idle();
      it = inserts_.emplace(rows, conn_.prepare(insert_sql(load_into_, columns_, rows))).first;
    }
    return it->second.get();
  }

  // A statement stored every row it was sent and said nothing: otherwise the
  // first warning (a bad value, a duplicate key) fails the write.
  void check_statement(std::optional<uint64_t> affected, size_t sent, uint64_t first_row) {
    const unsigned warnings = mysql_warning_count(conn_.db());
    if (warnings == 0 && (!affected || *affected == sent)) return;
    const auto rows = conn_.collect_text("SHOW WARNINGS LIMIT 20");
    const std::vector<std::optional<std::string>>* pick = nullptr;
    for (std::string_view level : {"Error", "Warning", "Note"}) {
      for (const auto& row : rows)
        if (row.size() >= 3 && row[0] == level) {
          pick = &row;
          break;
        }
      if (pick) break;
    }
    if (!pick)
      throw Error(ErrorCode::internal,
                  fmt::format("the server stored {} of {} rows without saying why",
                              affected.value_or(0), sent),
                  "mysql");
    const std::string message = pick->at(2).value_or("");
    unsigned code = 0;
    const std::string code_text = pick->at(1).value_or("0");
    std::from_chars(code_text.data(), code_text.data() + code_text.size(), code);
    const WarningLocation where = parse_warning_location(message);
    std::string what = "cannot write into '" + as_given_ + "'";
    if (where.row) what = fmt::format("row {}", first_row + where.row);
    if (!where.column.empty()) what += fmt::format(", column '{}'", where.column);
    throw make_error(code, "", message, what);
  }

  MysqlConnection& conn_;
  std::string as_given_;
  Schema source_;
  WriteOptions options_;
  bool native_;  // the source is MySQL too: new tables keep its column types
  TableName target_;
  TableName aside_;               // replace: the table being filled
  TableName load_into_;           // where rows are loaded (the target, aside or staging table)
  TableName merge_into_;          // upsert: where the staging table is merged (target or aside)
  std::string id_ = writer_id();  // names the side tables and the writer lock
  std::string staging_;           // upsert: temporary staging table
  std::string file_;              // the name LOAD DATA asks for
  std::vector<std::string> columns_;
  std::vector<std::string> key_;
  std::vector<Type> target_types_;
  std::vector<LoadColumn> load_columns_;
  std::map<size_t, StmtHandle> inserts_;
  bool locked_ = false;         // the replace lock of the target
  bool writer_locked_ = false;  // the writer lock (polydb:w:<id>)
  bool in_txn_ = false;
  bool done_ = false;
  bool failed_ = false;
  uint64_t rows_ = 0;
};

}  // namespace

std::unique_ptr<BatchWriter> make_writer(MysqlConnection& conn, std::string_view table,
                                         const Schema& schema, const WriteOptions& options) {
  return std::make_unique<MysqlWriter>(conn, table, schema, options);
}

}  // namespace polydb::mysql
