#include <fmt/format.h>

#include <algorithm>

#include "connectors/postgres/connection.hpp"
#include "connectors/postgres/copy_in.hpp"
#include "connectors/postgres/errors.hpp"
#include "connectors/postgres/types.hpp"
#include "core/log.hpp"
#include "connectors/common/write_plan.hpp"

namespace polydb::postgres {

namespace {

// PostgreSQL cuts identifiers at 63 bytes.
constexpr size_t kMaxIdentifier = 63;

// Bulk writer: one transaction, one binary COPY for all batches.
// - create/append: COPY straight into the table;
// - replace: COPY into `_polydb_new_<t>_<hex>`, then DROP + RENAME at commit;
// - upsert: COPY into a temporary table (ON COMMIT DROP), then one
//   INSERT ... SELECT ... ON CONFLICT (key) DO UPDATE at commit, keeping the
//   last row received for each key.
// Nothing is visible to other sessions before commit(); abort() or the
// destructor rolls back, the side and temporary tables included.
class PgWriter final : public BatchWriter {
 public:
  PgWriter(PgConnection& conn, std::string_view table, const Schema& schema,
           const WriteOptions& options)
      : conn_(conn), table_(table), source_(schema), options_(options),
        native_(options.source_backend == kBackend),
        copy_(conn, fmt::format("cannot write into '{}'", table)) {
    check_writable_source(source_, table, kBackend);
    conn_.run("BEGIN", {}, "cannot start a transaction");
    in_txn_ = true;
    try {
      open();
    } catch (...) {
      abort();
      throw;
    }
  }

  ~PgWriter() override { abort(); }

  void write(const Batch& batch) override {
    if (!in_txn_) throw finished_writer("write()", table_, false, kBackend);
    check_batch_columns(batch, source_, kBackend);
    const size_t ncols = batch.num_columns();
    std::string& buf = copy_.buffer();
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      const size_t row_start = buf.size();
      wire::put16(buf, static_cast<uint16_t>(ncols));
      for (size_t c = 0; c < ncols; ++c) {
        try {
          encode_converted(pg_types_[c], target_types_[c], batch.column(c), r, scratch_[c], buf);
        } catch (const Error& e) {
          buf.resize(row_start);  // the row is not sent
          throw Error(e.code(),
                      fmt::format("row {}, column '{}': {}", rows_ + 1, source_.fields[c].name,
                                  e.message()),
                      std::string(kBackend), e.detail());
        }
      }
      ++rows_;
      copy_.row_done();
    }
    copy_.flush();
  }

  WriteResult commit() override {
    if (!in_txn_) throw finished_writer("commit()", table_, false, kBackend);
    try {
      copy_.finish();
      if (options_.mode == WriteMode::upsert) conn_.run(upsert_sql_, {}, "upsert failed");
      if (!aside_.table.empty()) swap_in();
      conn_.run("COMMIT", {}, "commit failed");
    } catch (...) {
      abort();
      throw;
    }
    in_txn_ = false;
    logger("pg")->info("committed {} rows into {}", rows_, target_.quoted());
    return {rows_};
  }

  void abort() noexcept override {
    if (!in_txn_) return;
    in_txn_ = false;
    copy_.cancel();
    // Fails only when the connection is gone, and then the server rolled back.
    try {
      conn_.exec("ROLLBACK");
    } catch (...) {
    }
  }

 private:
  void open() {
    const auto existing = conn_.find_table(table_);
    target_ = existing ? existing->name : conn_.new_table_name(table_);
    const Schema create_schema = schema_to_create(source_, options_);
    TableName write_to = target_;
    switch (target_step(options_.mode, existing.has_value(), table_, conn_.display_url(),
                        kBackend)) {
      case TargetStep::write_existing:
        break;
      case TargetStep::create:
        conn_.run(create_table_sql(target_, create_schema, native_), {},
                  fmt::format("cannot create table '{}'", table_));
        break;
      case TargetStep::build_aside:
        if (existing && existing->relkind != 'r' && existing->relkind != 'p')
          throw Error(ErrorCode::invalid_argument,
                      fmt::format("'{}' is not a plain table: replace cannot swap it", table_),
                      std::string(kBackend));
        replaces_ = existing.has_value();
        aside_ = {target_.schema,
                  side_table_name("_polydb_new_", target_.table, random_hex(), kMaxIdentifier)};
        conn_.run(create_table_sql(aside_, create_schema, native_), {},
                  fmt::format("cannot create a table to replace '{}'", table_));
        write_to = aside_;
        break;
    }
    const TableDesc target = conn_.describe_table(write_to.quoted());
    std::vector<std::string> cols;
    for (size_t idx : match_columns(source_, target.schema, table_, kBackend)) {
      const PgType& t = target.types[idx];
      if (!can_encode(t))
        throw Error(ErrorCode::unsupported,
                    fmt::format("column '{}' of '{}' has type {}, which polydb cannot write yet "
                                "(write into a text or jsonb column and convert in SQL)",
                                target.schema.fields[idx].name, table_, t.name),
                    std::string(kBackend));
      cols.push_back(target.schema.fields[idx].name);
      pg_types_.push_back(t);
      target_types_.push_back(target.schema.fields[idx].type);
      scratch_.emplace_back(target_types_.back());
    }
    std::string copy_into = write_to.quoted();
    if (options_.mode == WriteMode::upsert) {
      const std::string tmp = quote_ident("_polydb_upsert_" + random_hex());
      // Same column types as the target, no constraints: rows are checked
      // when they reach the target. An identity column numbers the rows in
      // the order COPY receives them, for the last-row-wins rule.
      std::string seq = "_polydb_row";
      while (std::find(cols.begin(), cols.end(), seq) != cols.end()) seq += "_";
      conn_.run(fmt::format("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO "
                            "DATA",
                            tmp, join_quoted(cols), write_to.quoted()),
                {}, "cannot create a temporary table for the upsert");
      conn_.run(fmt::format("ALTER TABLE {} ADD COLUMN {} bigint GENERATED ALWAYS AS IDENTITY", tmp,
                            quote_ident(seq)),
                {}, "cannot create a temporary table for the upsert");
      copy_into = tmp;
      upsert_sql_ = upsert_sql(target, write_to, tmp, cols, seq);
    }
    copy_.start(
        fmt::format("COPY {} ({}) FROM STDIN (FORMAT binary)", copy_into, join_quoted(cols)));
  }

  // INSERT ... ON CONFLICT refuses to touch one row twice in a statement:
  // of the staged rows that share a key only the last one received goes in
  // (polydb's rule on every backend: the last row for a key wins). Rows with
  // a NULL key part never conflict (a unique index lets NULLs repeat) and
  // all go in.
  std::string upsert_sql(const TableDesc& target, const TableName& into, const std::string& tmp,
                         const std::vector<std::string>& cols, const std::string& seq) const {
    const std::vector<std::string> key = upsert_key(options_, target.schema, cols, table_, kBackend);
    std::string set;
    for (const auto& c : cols)
      if (std::find(key.begin(), key.end(), c) == key.end())
        set += (set.empty() ? "" : ", ") + quote_ident(c) + " = EXCLUDED." + quote_ident(c);
    std::string any_null;
    for (const auto& k : key)
      any_null += (any_null.empty() ? "" : " OR ") + quote_ident(k) + " IS NULL";
    return fmt::format(
        "INSERT INTO {0} ({1}) SELECT {1} FROM (SELECT {1}, row_number() OVER (PARTITION BY {3} "
        "ORDER BY {5} DESC) AS _polydb_rank, {6} AS _polydb_null_key FROM {2}) AS s WHERE "
        "_polydb_rank = 1 OR _polydb_null_key ON CONFLICT ({3}) DO {4}",
        into.quoted(), join_quoted(cols), tmp, join_quoted(key),
        set.empty() ? "NOTHING" : "UPDATE SET " + set, quote_ident(seq), any_null);
  }

  void swap_in() {
    if (replaces_) conn_.run("DROP TABLE " + target_.quoted(), {}, "replace failed");
    conn_.run(
        fmt::format("ALTER TABLE {} RENAME TO {}", aside_.quoted(), quote_ident(target_.table)), {},
        "replace failed");
    // The primary key index keeps the side table's name; give it the usual
    // <table>_pkey when that name is free.
    const std::string pkey = target_.table + "_pkey";
    if (pkey.size() > 63) return;
    const std::optional<std::string> params[] = {target_.schema, target_.table, pkey};
    PgResult res = conn_.run(
        "SELECT con.conname FROM pg_catalog.pg_constraint con"
        " JOIN pg_catalog.pg_class c ON c.oid = con.conrelid"
        " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = $1::text AND c.relname = $2::text AND con.contype = 'p'"
        " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class o"
        "   WHERE o.relnamespace = n.oid AND o.relname = $3::text)",
        params, "replace failed");
    if (PQntuples(res.get()) == 1)
      conn_.run(fmt::format("ALTER TABLE {} RENAME CONSTRAINT {} TO {}", target_.quoted(),
                            quote_ident(PQgetvalue(res.get(), 0, 0)), quote_ident(pkey)),
                {}, "replace failed");
  }

  PgConnection& conn_;
  std::string table_;
  Schema source_;
  WriteOptions options_;
  bool native_;  // the source is PostgreSQL too: new tables keep its column types
  TableName target_;
  TableName aside_;        // replace: the side table
  bool replaces_ = false;  // replace: an old table exists
  std::string upsert_sql_;
  std::vector<PgType> pg_types_;  // per source column: the target column's type
  std::vector<Type> target_types_;
  std::vector<Column> scratch_;  // per column, for converted values
  CopyIn copy_;  // the one COPY of the writer's rows, from open() to commit()
  bool in_txn_ = false;
  uint64_t rows_ = 0;
};

}  // namespace

std::unique_ptr<BatchWriter> make_writer(PgConnection& conn, std::string_view table,
                                         const Schema& schema, const WriteOptions& options) {
  return std::make_unique<PgWriter>(conn, table, schema, options);
}

}  // namespace polydb::postgres
