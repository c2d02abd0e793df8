// Streaming reads: columns bound to arrays (column-wise, SQL_ATTR_ROW_ARRAY_SIZE
// rows per SQLFetch, SQL_ATTR_ROWS_FETCHED_PTR), and large objects read with
// SQLGetData in chunks. Drivers with SQL_GD_ANY_COLUMN | SQL_GD_BOUND |
// SQL_GD_BLOCK (psqlODBC, MariaDB Connector/ODBC) get every column bound,
// unbounded ones (NVARCHAR(MAX), text, bytea, ...) with a first-guess
// buffer: a value longer than its cell is read again whole with SQLSetPos
// to its row and SQLGetData. Elsewhere ODBC allows SQLGetData only after the
// last bound column and only with one row per fetch: a result with an
// unbounded column binds the columns before it and fetches one row at a time.

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "connectors/odbc/connection.hpp"
#include "connectors/odbc/params.hpp"
#include "connectors/odbc/text.hpp"
#include "core/json_text.hpp"
#include "core/log.hpp"

namespace polydb::odbc {

namespace {

constexpr int64_t kMicrosPerDay = 86'400'000'000;

int32_t days_of(const SQL_DATE_STRUCT& d) { return days_from_civil(d.year, d.month, d.day); }

int64_t micros_of(const SQL_TIMESTAMP_STRUCT& t) {
  return int64_t{days_from_civil(t.year, t.month, t.day)} * kMicrosPerDay +
         (int64_t{t.hour} * 3600 + int64_t{t.minute} * 60 + t.second) * 1'000'000 +
         t.fraction / 1000;
}

class OdbcReader final : public BatchReader {
 public:
  OdbcReader(OdbcConnection& conn, ReaderSetup setup)
      : conn_(conn), setup_(std::move(setup)), stmt_(conn.new_statement()) {
    logger("odbc")->debug("query: {}", setup_.sql);
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
    if (setup_.limit && *setup_.limit == 0) finish();
  }

  const Schema& schema() const override { return *schema_; }
  ScanPlan plan() const override { return setup_.plan; }

  std::optional<Batch> next() override {
    while (!done_) {
      Batch batch(schema_);
      batch.reserve(rowset_);
      if (first_long_ < columns_.size())
        fetch_rows_one_by_one(batch);
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

 private:
  struct Bound {
    FetchPlan plan;
    std::vector<char> data;
    std::vector<SQLLEN> ind;
  };

  void finish() {
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
      schema->fields.push_back({m.name, type, m.nullable, native_type_text(m)});
      Bound& b = columns_.emplace_back();
      b.plan = fetch_plan(type, m);
      if (b.plan.long_data && !refetch_ && first_long_ == static_cast<size_t>(n))
        first_long_ = static_cast<size_t>(i);
      row_width += b.plan.width + sizeof(SQLLEN);
    }
    schema_ = setup_.schema ? setup_.schema : std::move(schema);
    rowset_ = first_long_ < columns_.size()
                  ? 1
                  : std::clamp<size_t>(setup_.batch_bytes / std::max<size_t>(row_width, 1), 1,
                                       std::max<size_t>(setup_.batch_rows, 1));
    status_.resize(rowset_);
    conn_.check(SQLSetStmtAttr(st, SQL_ATTR_ROW_BIND_TYPE,
                               reinterpret_cast<SQLPOINTER>(SQL_BIND_BY_COLUMN), 0),
                st, "cannot bind the result column-wise");
    conn_.check(SQLSetStmtAttr(st, SQL_ATTR_ROW_ARRAY_SIZE, reinterpret_cast<SQLPOINTER>(rowset_),
                               0),
                st, "cannot set the row array size");
    conn_.check(SQLSetStmtAttr(st, SQL_ATTR_ROWS_FETCHED_PTR, &fetched_, 0), st,
                "cannot set the rows-fetched counter");
    conn_.check(SQLSetStmtAttr(st, SQL_ATTR_ROW_STATUS_PTR, status_.data(), 0), st,
                "cannot set the row status array");
    for (size_t i = 0; i < first_long_; ++i) {
      Bound& b = columns_[i];
      b.data.resize(b.plan.width * rowset_);
      b.ind.resize(rowset_);
      conn_.check(SQLBindCol(st, static_cast<SQLUSMALLINT>(i + 1), b.plan.c_type, b.data.data(),
                             static_cast<SQLLEN>(b.plan.width), b.ind.data()),
                  st, fmt::format("cannot bind result column {}", i + 1));
    }
  }

  // One SQLFetch: up to rowset_ rows into the bound arrays.
  void fetch_rowset(Batch& batch) {
    const SQLRETURN rc = SQLFetch(stmt_.get());
    if (rc == SQL_NO_DATA) {
      finish();
      return;
    }
    conn_.check(rc, stmt_.get(), "cannot read the result");
    for (SQLULEN r = 0; r < fetched_; ++r) {
      if (status_[r] == SQL_ROW_NOROW || status_[r] == SQL_ROW_ERROR) continue;
      for (size_t c = 0; c < columns_.size(); ++c) append_bound(batch.column(c), c, r);
      batch.commit_row();
    }
  }

  void fetch_rows_one_by_one(Batch& batch) {
    size_t bytes = 0;
    while (batch.num_rows() < setup_.batch_rows && bytes < setup_.batch_bytes) {
      const SQLRETURN rc = SQLFetch(stmt_.get());
      if (rc == SQL_NO_DATA) {
        finish();
        return;
      }
      conn_.check(rc, stmt_.get(), "cannot read the result");
      for (size_t c = 0; c < first_long_; ++c) append_bound(batch.column(c), c, 0);
      for (size_t c = first_long_; c < columns_.size(); ++c) append_unbound(batch.column(c), c);
      batch.commit_row();
      bytes = batch.byte_size();
    }
  }

  // Whether a text or binary cell of column `c` lost its tail to the buffer
  // (text leaves room for its terminator).
  bool overflows(size_t c, SQLLEN ind) const {
    const FetchPlan& p = columns_[c].plan;
    const size_t room = p.kind == FetchKind::binary ? p.width : p.width - 1;
    return ind == SQL_NO_TOTAL || static_cast<size_t>(ind) > room;
  }

  // A value longer than its bound cell: read whole with SQLGetData from its
  // row of the row array, where the driver allows it.
  void append_refetched(Column& col, size_t c, SQLULEN r, SQLLEN ind) {
    if (!refetch_) truncated(c, ind);
    SQLHSTMT st = stmt_.get();
    conn_.check(SQLSetPos(st, static_cast<SQLSETPOSIROW>(r + 1), SQL_POSITION, SQL_LOCK_NO_CHANGE),
                st, "cannot position on a row to read a large value");
    const FetchKind kind = columns_[c].plan.kind;
    if (!get_long_data(conn_, st, static_cast<SQLUSMALLINT>(c + 1), kind, lob_))
      return col.append_null();
    if (kind == FetchKind::binary) return col.append_var(lob_);
    append_text(col, c, lob_);
  }

  [[noreturn]] void truncated(size_t c, SQLLEN got) const {
    throw Error(ErrorCode::internal,
                fmt::format("column '{}': the driver returned {} bytes where it declared at most "
                            "{} (driver {}; cast the column to text in a query to read it)",
                            schema_->fields[c].name, got, columns_[c].plan.width,
                            conn_.driver_name()),
                "odbc");
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

  void append_bound(Column& col, size_t c, SQLULEN r) {
    const Bound& b = columns_[c];
    const SQLLEN ind = b.ind[r];
    if (ind == SQL_NULL_DATA) return col.append_null();
    const char* cell = b.data.data() + r * b.plan.width;
    switch (b.plan.kind) {
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
        if (overflows(c, ind)) return append_refetched(col, c, r, ind);
        return append_text(col, c, std::string_view(cell, static_cast<size_t>(ind)));
      case FetchKind::wtext:
        if (overflows(c, ind)) return append_refetched(col, c, r, ind);
        scratch_.clear();
        append_utf8(reinterpret_cast<const char16_t*>(cell), static_cast<size_t>(ind) / 2,
                    scratch_);
        return append_text(col, c, scratch_);
      case FetchKind::binary:
        if (overflows(c, ind)) return append_refetched(col, c, r, ind);
        return col.append_var(std::string_view(cell, static_cast<size_t>(ind)));
    }
  }

  // A column after the first unbounded one: SQLGetData, in chunks for LOBs.
  void append_unbound(Column& col, size_t c) {
    const FetchPlan& p = columns_[c].plan;
    SQLHSTMT st = stmt_.get();
    const auto col_no = static_cast<SQLUSMALLINT>(c + 1);
    if (p.kind == FetchKind::wtext || p.kind == FetchKind::binary || p.kind == FetchKind::ascii) {
      if (!get_long_data(conn_, st, col_no, p.kind, lob_)) return col.append_null();
      if (p.kind == FetchKind::binary) return col.append_var(lob_);
      return append_text(col, c, lob_);
    }
    alignas(8) char cell[sizeof(SQL_TIMESTAMP_STRUCT) + 8];
    SQLLEN ind = 0;
    conn_.check(SQLGetData(st, col_no, p.c_type, cell, sizeof cell, &ind), st,
                "cannot read the result");
    if (ind == SQL_NULL_DATA) return col.append_null();
    Bound& b = columns_[c];
    b.data.assign(cell, cell + p.width);
    b.ind.assign(1, ind);
    append_bound(col, c, 0);
  }

  OdbcConnection& conn_;
  ReaderSetup setup_;
  StmtHandle stmt_;
  ValueParams params_;
  std::shared_ptr<const Schema> schema_;
  std::vector<Bound> columns_;
  size_t first_long_ = 0;
  bool refetch_ = false;  // every column bound; long values re-read with SQLGetData
  size_t rowset_ = 1;
  SQLULEN fetched_ = 0;
  std::vector<SQLUSMALLINT> status_;
  std::string scratch_, lob_;
  uint64_t returned_ = 0;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<BatchReader> make_reader(OdbcConnection& conn, ReaderSetup setup) {
  return std::make_unique<OdbcReader>(conn, std::move(setup));
}

}  // namespace polydb::odbc
