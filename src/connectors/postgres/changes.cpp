// Change batches into PostgreSQL (Connection::change_writer). Per batch, in
// the writer's transaction:
//
//   COPY staging (cols, op) FROM STDIN (FORMAT binary)   -- the deciding changes
//   INSERT INTO t AS o (cols) SELECT cols FROM staging WHERE op
//     ON CONFLICT (key) DO UPDATE SET c = EXCLUDED.c ...
//     [WHERE o.v IS NULL OR o.v < EXCLUDED.v]
//   DELETE FROM t AS o USING staging AS s WHERE NOT s.op AND o.k = s.k ...
//     [AND (o.v IS NULL OR o.v <= s.v)]
//
// Three round trips per batch whatever its size, where a statement per row
// would cost one each. ON CONFLICT needs a primary key or a unique index over
// exactly the key columns (checked when the writer opens). The staging table
// is a temporary table made like the target's columns (ON COMMIT DROP: one per
// transaction), emptied before each batch; effective_changes() leaves one
// change per key in it, so that no statement touches a row twice (which
// ON CONFLICT DO UPDATE refuses).

#include "connectors/common/changes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <random>

#include "connectors/common/write_plan.hpp"
#include "connectors/postgres/connection.hpp"
#include "connectors/postgres/copy_in.hpp"
#include "connectors/postgres/errors.hpp"
#include "connectors/postgres/types.hpp"

namespace polydb::postgres {

namespace {

bool same_columns(std::vector<std::string> a, std::vector<std::string> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

class PgChangeWriter final : public ChangeWriterBase {
 public:
  PgChangeWriter(PgConnection& conn, std::string_view table, const Schema& schema,
                 const ChangeOptions& options)
      : ChangeWriterBase(table, schema, options, kBackend, "pg"),
        conn_(conn),
        copy_(conn, fmt::format("cannot stage changes to '{}'", table)) {
    const TableDesc desc = conn_.describe_table(table);
    if (desc.relkind != 'r' && desc.relkind != 'p')
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("'{}' is not a table (a view or a foreign table): changes go into "
                              "tables",
                              table),
                  std::string(kBackend));
    target_ = desc.name;
    for (size_t idx :
         match_columns(this->schema(), desc.schema, table, kBackend, Hint::describe_table)) {
      const PgType& t = desc.types[idx];
      if (!can_encode(t))
        throw Error(ErrorCode::unsupported,
                    fmt::format("column '{}' of '{}' has type {}, which polydb cannot write yet",
                                desc.schema.fields[idx].name, table, t.name),
                    std::string(kBackend));
      names_.push_back(desc.schema.fields[idx].name);
      pg_types_.push_back(t);
      target_types_.push_back(desc.schema.fields[idx].type);
      scratch_.emplace_back(target_types_.back());
    }
    std::vector<std::string> key;
    for (size_t k : columns().key) key.push_back(names_[k]);
    check_unique(desc, key);
    build_sql(key);
  }

  ~PgChangeWriter() override { abort(); }

 private:
  void write_changes(const ChangeBatch& changes, const std::vector<size_t>& rows) override {
    if (rows.empty()) return;
    size_t upserts = 0;
    for (size_t r : rows) upserts += changes.ops[r] == ChangeOp::upsert;
    // A failed statement fails the transaction (PostgreSQL refuses anything
    // but ROLLBACK then): what was applied since the last commit is lost.
    send_or_roll_back([&] {
      begin();
      if (staged_) conn_.run("TRUNCATE " + staging_, {}, "cannot empty the staging table");
      staged_ = true;
      stage(changes, rows);
      if (upserts > 0)
        conn_.run(upsert_sql_, {}, fmt::format("cannot upsert rows into '{}'", table()));
      if (upserts < rows.size())
        conn_.run(delete_sql_, {}, fmt::format("cannot remove rows from '{}'", table()));
    });
  }

  void commit_changes() override {
    if (!in_txn_) return;
    conn_.run("COMMIT", {}, fmt::format("cannot commit the changes to '{}'", table()));
    in_txn_ = false;
    staged_ = false;
  }

  void roll_back() noexcept override {
    copy_.cancel();
    if (!in_txn_) return;
    in_txn_ = false;
    // Fails only when the connection is gone, and then the server rolled back.
    try {
      conn_.exec("ROLLBACK");
    } catch (...) {
    }
  }

  // ON CONFLICT (key) infers a unique index over exactly the key columns: a
  // valid, non-partial, non-deferrable one on columns (not expressions).
  void check_unique(const TableDesc& desc, const std::vector<std::string>& key) {
    if (same_columns(key, desc.schema.primary_key)) return;
    const std::optional<std::string> params[] = {std::to_string(desc.oid)};
    PgResult res = conn_.run(
        "SELECT i.indexrelid, a.attname FROM pg_catalog.pg_index i"
        " CROSS JOIN LATERAL unnest(i.indkey::pg_catalog.int2[]) WITH ORDINALITY AS k(attnum, ord)"
        " LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
        " WHERE i.indrelid = $1::pg_catalog.oid AND i.indisunique AND i.indimmediate"
        " AND i.indisvalid AND i.indpred IS NULL AND k.ord <= i.indnkeyatts"
        " ORDER BY i.indexrelid, k.ord",
        params, fmt::format("cannot read the indexes of '{}'", table()));
    std::map<std::string, std::vector<std::string>> indexes;
    std::map<std::string, bool> expression;
    for (int r = 0; r < PQntuples(res.get()); ++r) {
      const std::string index = PQgetvalue(res.get(), r, 0);
      if (PQgetisnull(res.get(), r, 1))
        expression[index] = true;
      else
        indexes[index].push_back(PQgetvalue(res.get(), r, 1));
    }
    for (const auto& [index, cols] : indexes)
      if (!expression[index] && same_columns(cols, key)) return;
    throw Error(ErrorCode::invalid_argument,
                fmt::format("changes to table '{}' need a primary key or a unique index on their "
                            "key ({}): PostgreSQL finds the stored row of a key through one (add "
                            "a primary key or a unique index on exactly those columns, e.g. "
                            "CREATE UNIQUE INDEX ON {} ({}))",
                            table(), join_quoted(key), target_.quoted(), join_quoted(key)),
                std::string(kBackend))
        .set_hint(Hint::key_columns);
  }

  void build_sql(const std::vector<std::string>& key) {
    std::random_device rd;
    staging_ = quote_ident(fmt::format("_polydb_changes_{:08x}", rd()));
    std::string op = "_polydb_op";
    while (std::find(names_.begin(), names_.end(), op) != names_.end()) op += "_";
    op_ = quote_ident(op);
    const std::string cols = join_quoted(names_);
    // Same column types as the target, no constraints: rows are checked when
    // they reach the target.
    create_staging_sql_ = fmt::format(
        "CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {}, true AS {} FROM {} WITH NO DATA",
        staging_, cols, op_, target_.quoted());
    copy_sql_ = fmt::format("COPY {} ({}, {}) FROM STDIN (FORMAT binary)", staging_, cols, op_);

    std::string set;
    for (size_t i = 0; i < names_.size(); ++i)
      if (std::find(columns().key.begin(), columns().key.end(), i) == columns().key.end())
        set += (set.empty() ? "" : ", ") + quote_ident(names_[i]) + " = EXCLUDED." +
               quote_ident(names_[i]);
    upsert_sql_ = fmt::format(
        "INSERT INTO {} AS _polydb_o ({}) SELECT {} FROM {} WHERE {} "
        "ON CONFLICT ({}) DO ",
        target_.quoted(), cols, cols, staging_, op_, join_quoted(key));
    std::string match;
    for (const auto& k : key)
      match += fmt::format(" AND _polydb_o.{0} = _polydb_s.{0}", quote_ident(k));
    delete_sql_ = fmt::format(
        "DELETE FROM {} AS _polydb_o USING {} AS _polydb_s WHERE NOT "
        "_polydb_s.{}{}",
        target_.quoted(), staging_, op_, match);
    if (set.empty()) {
      upsert_sql_ += "NOTHING";
      return;
    }
    upsert_sql_ += "UPDATE SET " + set;
    if (columns().version) {
      const std::string v = quote_ident(names_[*columns().version]);
      upsert_sql_ += fmt::format(" WHERE _polydb_o.{0} IS NULL OR _polydb_o.{0} < EXCLUDED.{0}", v);
      delete_sql_ +=
          fmt::format(" AND (_polydb_o.{0} IS NULL OR _polydb_o.{0} <= _polydb_s.{0})", v);
    }
  }

  void begin() {
    if (in_txn_) return;
    conn_.run("BEGIN", {}, "cannot start a transaction");
    in_txn_ = true;
    conn_.run(create_staging_sql_, {},
              fmt::format("cannot create a staging table for the changes to '{}'", table()));
  }

  // A remove sends its key and version only: its other cells may hold
  // anything (they are not read), even values the columns cannot take.
  bool sent(size_t c, ChangeOp op) const {
    return op == ChangeOp::upsert || columns().version == c ||
           std::find(columns().key.begin(), columns().key.end(), c) != columns().key.end();
  }

  void stage(const ChangeBatch& changes, const std::vector<size_t>& rows) {
    copy_.start(copy_sql_);
    const Batch& batch = changes.rows;
    const size_t ncols = batch.num_columns();
    for (size_t r : rows) {
      std::string& buf = copy_.buffer();
      wire::put16(buf, static_cast<uint16_t>(ncols + 1));
      const ChangeOp op = changes.ops[r];
      for (size_t c = 0; c < ncols; ++c) {
        const Column& col = batch.column(c);
        if (!sent(c, op)) {
          wire::put32(buf, static_cast<uint32_t>(-1));
          continue;
        }
        try {
          encode_converted(pg_types_[c], target_types_[c], col, r, scratch_[c], buf);
        } catch (const Error& e) {
          throw Error(e.code(),
                      fmt::format("table '{}', column '{}': {}", table(), schema().fields[c].name,
                                  e.message()),
                      std::string(kBackend), e.detail());
        }
      }
      wire::put32(buf, 1);
      buf += static_cast<char>(op == ChangeOp::upsert ? 1 : 0);
      copy_.row_done();
    }
    copy_.finish();
  }

  PgConnection& conn_;
  TableName target_;
  std::vector<std::string> names_;  // per schema column: as the table spells it
  std::vector<PgType> pg_types_;    // per schema column: the stored column's type
  std::vector<Type> target_types_;
  std::vector<Column> scratch_;  // per column, for converted values
  std::string staging_;          // quoted
  std::string op_;               // the staging table's op column, quoted: true = upsert
  std::string create_staging_sql_, copy_sql_, upsert_sql_, delete_sql_;
  CopyIn copy_;
  bool in_txn_ = false;
  bool staged_ = false;  // the staging table holds an earlier batch
};

}  // namespace

std::unique_ptr<ChangeWriter> make_change_writer(PgConnection& conn, std::string_view table,
                                                 const Schema& schema,
                                                 const ChangeOptions& options) {
  return std::make_unique<PgChangeWriter>(conn, table, schema, options);
}

}  // namespace polydb::postgres
