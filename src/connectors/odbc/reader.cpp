// Streaming reads: columns bound to arrays (column-wise, SQL_ATTR_ROW_ARRAY_SIZE
// rows per SQLFetch, SQL_ATTR_ROWS_FETCHED_PTR), and large objects read with
// SQLGetData in chunks. Drivers with SQL_GD_ANY_COLUMN | SQL_GD_BOUND |
// SQL_GD_BLOCK (psqlODBC, MariaDB Connector/ODBC) get every column bound,
// unbounded ones (NVARCHAR(MAX), text, bytea, ...) with a first-guess
// buffer: a value longer than its cell is read again whole with SQLSetPos
// to its row and SQLGetData. Elsewhere ODBC allows SQLGetData only after the
// last bound column and only with one row per fetch: a result with an
// unbounded column binds the columns before it and fetches one row at a time.
//
// A row array is filled (SQLFetch, then the long values re-read whole) apart
// from its conversion into a batch. When the caller promised the connection
// to the reader (QueryOptions::exclusive), a producer thread that owns the
// statement fills the next row array while the caller converts and consumes
// the previous one: psqlODBC fetches its cursor chunk by chunk synchronously,
// so without it the client idles while the server formats the next chunk and
// the server idles while the client converts (docs/odbc.md has the numbers).

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <utility>

#include "connectors/odbc/connection.hpp"
#include "connectors/odbc/params.hpp"
#include "connectors/odbc/text.hpp"
#include "core/json_text.hpp"
#include "core/log.hpp"
#include "core/prefetch.hpp"

namespace polydb::odbc {

namespace {

constexpr int64_t kMicrosPerDay = 86'400'000'000;

int32_t days_of(const SQL_DATE_STRUCT& d) { return days_from_civil(d.year, d.month, d.day); }

int64_t micros_of(const SQL_TIMESTAMP_STRUCT& t) {
  return int64_t{days_from_civil(t.year, t.month, t.day)} * kMicrosPerDay +
         (int64_t{t.hour} * 3600 + int64_t{t.minute} * 60 + t.second) * 1'000'000 +
         t.fraction / 1000;
}

// Row arrays filled ahead while the previous one is converted: memory is
// this many row arrays plus the batch being built.
constexpr size_t kPrefetchBlocks = 2;

// One row array: each bound column's cells and indicators, and the values too
// long for their cells, read whole when the array was filled.
struct RowBlock {
  std::vector<std::vector<char>> data;   // per column, rowset cells
  std::vector<std::vector<SQLLEN>> ind;  // per column
  std::vector<SQLUSMALLINT> status;
  SQLULEN fetched = 0;
  std::map<std::pair<SQLULEN, size_t>, std::optional<std::string>> long_values;  // (row, column)
};

class OdbcReader final : public BatchReader {
 public:
  OdbcReader(OdbcConnection& conn, ReaderSetup setup)
      : conn_(conn), setup_(std::move(setup)), stmt_(conn.new_statement()) {
    logger("odbc")->debug("query: {}", setup_.sql);
    conn_.io(stmt_.get(), [&] { execute(); });
  }

  ~OdbcReader() override {
    if (prefetch_) prefetch_->stop();
    // Freeing a statement with an open cursor closes it on the server.
    const auto busy = conn_.busy();
    stmt_.reset();
  }
  OdbcReader(const OdbcReader&) = delete;
  OdbcReader& operator=(const OdbcReader&) = delete;

  const Schema& schema() const override { return *schema_; }
  ScanPlan plan() const override { return setup_.plan; }

  std::optional<Batch> next() override {
    return conn_.io(stmt_.get(), [&] { return next_batch(); });
  }

 private:
  void execute() {
    SQLHSTMT st = stmt_.get();
    std::u16string text = to_utf16(setup_.sql);
    conn_.check(SQLPrepareW(st, reinterpret_cast<SQLWCHAR*>(text.data()),
                            static_cast<SQLINTEGER>(text.size())),
                st, "cannot prepare SQL");
    if (!setup_.params.empty()) params_.bind(st, setup_.params, conn_.dialect());
    const SQLRETURN rc = SQLExecute(st);
    if (rc == SQL_NO_DATA) {
      done_ = true;
      schema_ = std::make_shared<Schema>();
      return;
    }
    conn_.check(rc, st, "query failed");
    describe_result();
    if (setup_.limit && *setup_.limit == 0)
      finish();
    else if (setup_.prefetch && first_long_ == columns_)
      start_prefetch();
  }

  std::optional<Batch> next_batch() {
    while (!done_) {
      Batch batch(schema_);
      batch.reserve(rowset_);
      if (first_long_ < columns_)
        fetch_rows_one_by_one(batch);
      else if (prefetch_)
        take_prefetched(batch);
      else
        fetch_rowset(batch);
      if (setup_.residual && batch.num_rows() > 0) batch = apply_filter(*setup_.residual, batch);
      if (setup_.limit) {
        const uint64_t left = *setup_.limit - returned_;
        if (batch.num_rows() >= left) {
          batch.truncate(static_cast<size_t>(left));
          finish();
        }
      }
      returned_ += batch.num_rows();
      logger("odbc")->trace("batch of {} rows", batch.num_rows());
      if (batch.num_rows() > 0) return batch;
    }
    return std::nullopt;
  }

  // The producer thread owns the statement from here until finish() or the
  // destructor stops it.
  void start_prefetch() {
    std::vector<RowBlock> blocks;
    for (size_t i = 0; i < kPrefetchBlocks; ++i) blocks.push_back(make_block());
    prefetch_ = std::make_unique<Prefetcher<RowBlock>>(
        std::move(blocks), [this](RowBlock& b) { return fill(b); });
  }

  void finish() {
    if (prefetch_) prefetch_->stop();
    done_ = true;
    SQLFreeStmt(stmt_.get(), SQL_CLOSE);
  }

  ColumnMeta column_meta(SQLUSMALLINT i) {
    SQLHSTMT st = stmt_.get();
    SQLWCHAR name[512];
    SQLSMALLINT name_len = 0, type = 0, digits = 0, nullable = 0;
    SQLULEN size = 0;
    conn_.check(SQLDescribeColW(st, i, name, 512, &name_len, &type, &size, &digits, &nullable), st,
                "cannot describe the result");
    ColumnMeta m;
    m.name = to_utf8(std::u16string_view(reinterpret_cast<const char16_t*>(name),
                                         std::min<SQLSMALLINT>(name_len, 511)));
    m.sql_type = type;
    m.column_size = static_cast<int64_t>(std::min<SQLULEN>(size, INT64_MAX));
    m.decimal_digits = digits;
    m.nullable = nullable != SQL_NO_NULLS;
    SQLWCHAR tname[256];
    SQLSMALLINT tlen = 0;
    if (succeeded(SQLColAttributeW(st, i, SQL_DESC_TYPE_NAME, tname, sizeof tname, &tlen, nullptr)))
      for (char c : to_utf8(std::u16string_view(reinterpret_cast<const char16_t*>(tname),
                                                std::min<size_t>(static_cast<size_t>(tlen) / 2, 255))))
        m.type_name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return m;
  }

  void describe_result() {
    SQLHSTMT st = stmt_.get();
    SQLSMALLINT n = 0;
    conn_.check(SQLNumResultCols(st, &n), st, "cannot read the result");
    auto schema = std::make_shared<Schema>();
    size_t row_width = 0;
    first_long_ = static_cast<size_t>(std::max<SQLSMALLINT>(n, 0));
    refetch_ = conn_.getdata_in_blocks();
    for (SQLSMALLINT i = 0; i < n; ++i) {
      const ColumnMeta m = column_meta(static_cast<SQLUSMALLINT>(i + 1));
      Type type = type_from_column(m, conn_.dialect().kind());
      if (setup_.schema) type = setup_.schema->fields.at(static_cast<size_t>(i)).type;
      Field f{m.name, type, m.nullable, native_type_text(m)};
      if (setup_.schema) {
        f.collation = setup_.schema->fields.at(static_cast<size_t>(i)).collation;
      } else if (type.id == TypeId::string) {
        f.collation = conn_.dialect().collation({m.sql_type, m.type_name});
      }
      schema->fields.push_back(std::move(f));
      FetchPlan& p = plans_.emplace_back(fetch_plan(type, m));
      if (conn_.raw_utf8_text()) p = raw_utf8_plan(p, type, m);
      if (p.long_data && !refetch_ && first_long_ == static_cast<size_t>(n))
        first_long_ = static_cast<size_t>(i);
      row_width += p.width + sizeof(SQLLEN);
    }
    schema_ = setup_.schema ? setup_.schema : std::move(schema);
    rowset_ = first_long_ < plans_.size()
                  ? 1
                  : std::clamp<size_t>(setup_.batch_bytes / std::max<size_t>(row_width, 1), 1,
                                       std::max<size_t>(setup_.batch_rows, 1));
    conn_.check(SQLSetStmtAttr(st, SQL_ATTR_ROW_BIND_TYPE,
                               reinterpret_cast<SQLPOINTER>(SQL_BIND_BY_COLUMN), 0),
                st, "cannot bind the result column-wise");
    conn_.check(SQLSetStmtAttr(st, SQL_ATTR_ROW_ARRAY_SIZE, reinterpret_cast<SQLPOINTER>(rowset_),
                               0),
                st, "cannot set the row array size");
    columns_ = plans_.size();
    if (setup_.prefetch && first_long_ == columns_) return;  // each block bound when filled
    block_ = make_block();
    bind(block_);
  }

  RowBlock make_block() const {
    RowBlock b;
    b.data.resize(columns_);
    b.ind.resize(columns_);
    for (size_t i = 0; i < first_long_; ++i) {
      b.data[i].resize(plans_[i].width * rowset_);
      b.ind[i].resize(rowset_);
    }
    b.status.resize(rowset_);
    return b;
  }

  // Points the statement's bound columns, row count and row statuses at `b`.
  void bind(RowBlock& b) {
    SQLHSTMT st = stmt_.get();
    conn_.check(SQLSetStmtAttr(st, SQL_ATTR_ROWS_FETCHED_PTR, &b.fetched, 0), st,
                "cannot set the rows-fetched counter");
    conn_.check(SQLSetStmtAttr(st, SQL_ATTR_ROW_STATUS_PTR, b.status.data(), 0), st,
                "cannot set the row status array");
    for (size_t i = 0; i < first_long_; ++i)
      conn_.check(SQLBindCol(st, static_cast<SQLUSMALLINT>(i + 1), plans_[i].c_type,
                             b.data[i].data(), static_cast<SQLLEN>(plans_[i].width),
                             b.ind[i].data()),
                  st, fmt::format("cannot bind result column {}", i + 1));
    bound_ = &b;
  }

  // One SQLFetch of up to rowset_ rows into `b`, with the values too long for
  // their cells read whole; false at the end of the result. Touches the
  // statement: on the producer thread when prefetching.
  bool fill(RowBlock& b) {
    return conn_.io(stmt_.get(), [&] { return fill_now(b); });
  }

  bool fill_now(RowBlock& b) {
    if (bound_ != &b) bind(b);
    b.long_values.clear();
    const SQLRETURN rc = SQLFetch(stmt_.get());
    if (rc == SQL_NO_DATA) {
      b.fetched = 0;
      return false;
    }
    conn_.check(rc, stmt_.get(), "cannot read the result");
    read_long_values(b);
    return true;
  }

  void fetch_rowset(Batch& batch) {
    if (!fill(block_)) return finish();
    convert(block_, batch);
  }

  void take_prefetched(Batch& batch) {
    RowBlock* b = prefetch_->next();
    if (!b) return finish();
    convert(*b, batch);
    prefetch_->recycle(b);
  }

  static bool has_row(const RowBlock& b, SQLULEN r) {
    return b.status[r] != SQL_ROW_NOROW && b.status[r] != SQL_ROW_ERROR;
  }

  void convert(const RowBlock& b, Batch& batch) {
    for (SQLULEN r = 0; r < b.fetched; ++r) {
      if (!has_row(b, r)) continue;
      for (size_t c = 0; c < columns_; ++c) append_bound(batch.column(c), b, c, r);
      batch.commit_row();
    }
  }

  void fetch_rows_one_by_one(Batch& batch) {
    size_t bytes = 0;
    while (batch.num_rows() < setup_.batch_rows && bytes < setup_.batch_bytes) {
      if (!fill(block_)) return finish();
      for (size_t c = 0; c < first_long_; ++c) append_bound(batch.column(c), block_, c, 0);
      for (size_t c = first_long_; c < columns_; ++c) append_unbound(batch.column(c), c);
      batch.commit_row();
      bytes = batch.byte_size();
    }
  }

  // Text or bytes whose length varies: they may outgrow their cell.
  static bool is_variable(FetchKind k) {
    return k == FetchKind::ascii || k == FetchKind::wtext || k == FetchKind::binary ||
           k == FetchKind::utf8;
  }

  // Whether a text or binary cell of column `c` lost its tail to the buffer
  // (text leaves room for its terminator).
  bool overflows(size_t c, SQLLEN ind) const {
    const FetchPlan& p = plans_[c];
    const bool bytes = p.kind == FetchKind::binary || p.kind == FetchKind::utf8;
    const size_t room = bytes ? p.width : p.width - 1;
    return ind == SQL_NO_TOTAL || static_cast<size_t>(ind) > room;
  }

  // Values longer than their bound cell: read whole with SQLGetData from their
  // row of the row array, where the driver allows it.
  void read_long_values(RowBlock& b) {
    SQLHSTMT st = stmt_.get();
    for (size_t c = 0; c < first_long_; ++c) {
      if (!is_variable(plans_[c].kind)) continue;
      for (SQLULEN r = 0; r < b.fetched; ++r) {
        const SQLLEN ind = b.ind[c][r];
        if (!has_row(b, r) || ind == SQL_NULL_DATA || !overflows(c, ind)) continue;
        if (!refetch_) truncated(c, ind);
        conn_.check(
            SQLSetPos(st, static_cast<SQLSETPOSIROW>(r + 1), SQL_POSITION, SQL_LOCK_NO_CHANGE), st,
            "cannot position on a row to read a large value");
        std::optional<std::string>& v = b.long_values[{r, c}];
        v.emplace();
        if (!get_long_data(conn_, st, static_cast<SQLUSMALLINT>(c + 1), long_kind(c), *v))
          v.reset();
      }
    }
  }

  // How a long value of column `c` is read in chunks: psqlODBC hands out text
  // as SQL_C_BINARY whole but repeats its start on each SQLGetData call, so
  // long utf8 values are read as wide text.
  FetchKind long_kind(size_t c) const {
    return plans_[c].kind == FetchKind::utf8 ? FetchKind::wtext : plans_[c].kind;
  }

  [[noreturn]] void truncated(size_t c, SQLLEN got) const {
    throw Error(ErrorCode::internal,
                fmt::format("column '{}': the driver returned {} bytes where it declared at most "
                            "{} (driver {}; cast the column to text in a query to read it)",
                            schema_->fields[c].name, got, plans_[c].width, conn_.driver_name()),
                "odbc");
  }

  void append_long(Column& col, size_t c, const std::optional<std::string>& v) {
    if (!v) return col.append_null();
    if (plans_[c].kind == FetchKind::binary) return col.append_var(*v);
    append_text(col, c, *v);
  }

  void append_text(Column& col, size_t c, std::string_view text) {
    const Type type = schema_->fields[c].type;
    if (type.id == TypeId::decimal) {
      scratch_ = normalize_decimal(text);
      col.append_var(scratch_);
    } else if (type.id == TypeId::json) {
      // jsonb and MySQL's JSON print spaces of their own, as the native connectors strip.
      col.append_var(compact_json(text));
    } else if (type.id == TypeId::string) {
      col.append_var(text);
    } else {
      col.append(value_from_text(text, type));
    }
  }

  void append_bound(Column& col, const RowBlock& b, size_t c, SQLULEN r) {
    const SQLLEN ind = b.ind[c][r];
    if (ind == SQL_NULL_DATA) return col.append_null();
    const FetchPlan& p = plans_[c];
    const char* cell = b.data[c].data() + r * p.width;
    if (is_variable(p.kind) && overflows(c, ind))
      return append_long(col, c, b.long_values.at({r, c}));
    switch (p.kind) {
      case FetchKind::bit:
        return col.append_bool(cell[0] != 0);
      case FetchKind::int64:
      case FetchKind::float64:
        return col.append_fixed(cell, 8);
      case FetchKind::date: {
        SQL_DATE_STRUCT d;
        std::memcpy(&d, cell, sizeof d);
        return col.append_int32_raw(days_of(d));
      }
      case FetchKind::timestamp: {
        SQL_TIMESTAMP_STRUCT t;
        std::memcpy(&t, cell, sizeof t);
        return col.append_int64(micros_of(t));
      }
      case FetchKind::ascii:
      case FetchKind::utf8:
        return append_text(col, c, std::string_view(cell, static_cast<size_t>(ind)));
      case FetchKind::wtext:
        scratch_.clear();
        append_utf8(reinterpret_cast<const char16_t*>(cell), static_cast<size_t>(ind) / 2,
                    scratch_);
        return append_text(col, c, scratch_);
      case FetchKind::binary:
        return col.append_var(std::string_view(cell, static_cast<size_t>(ind)));
    }
  }

  // A column after the first unbounded one: SQLGetData, in chunks for LOBs.
  void append_unbound(Column& col, size_t c) {
    const FetchPlan& p = plans_[c];
    SQLHSTMT st = stmt_.get();
    const auto col_no = static_cast<SQLUSMALLINT>(c + 1);
    if (is_variable(p.kind)) {
      if (!get_long_data(conn_, st, col_no, long_kind(c), lob_)) return col.append_null();
      if (p.kind == FetchKind::binary) return col.append_var(lob_);
      return append_text(col, c, lob_);
    }
    alignas(8) char cell[sizeof(SQL_TIMESTAMP_STRUCT) + 8];  // bit, numbers, timestamp structs
    SQLLEN ind = 0;
    conn_.check(SQLGetData(st, col_no, p.c_type, cell, sizeof cell, &ind), st,
                "cannot read the result");
    if (ind == SQL_NULL_DATA) return col.append_null();
    block_.data[c].assign(cell, cell + p.width);
    block_.ind[c].assign(1, ind);
    append_bound(col, block_, c, 0);
  }

  OdbcConnection& conn_;
  ReaderSetup setup_;
  StmtHandle stmt_;
  ValueParams params_;
  std::shared_ptr<const Schema> schema_;
  std::vector<FetchPlan> plans_;
  size_t columns_ = 0;
  size_t first_long_ = 0;
  bool refetch_ = false;  // every column bound; long values re-read with SQLGetData
  size_t rowset_ = 1;
  RowBlock block_;             // without prefetching: the one row array
  const RowBlock* bound_ = nullptr;  // the row array the statement's columns point at
  std::string scratch_, lob_;
  uint64_t returned_ = 0;
  bool done_ = false;
  // Last: stopped (joined) before the statement and the members it fills go.
  std::unique_ptr<Prefetcher<RowBlock>> prefetch_;
};

}  // namespace

std::unique_ptr<BatchReader> make_reader(OdbcConnection& conn, ReaderSetup setup) {
  return std::make_unique<OdbcReader>(conn, std::move(setup));
}

}  // namespace polydb::odbc
