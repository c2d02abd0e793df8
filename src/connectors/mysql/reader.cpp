#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "connectors/common/batch_loop.hpp"
#include "connectors/mysql/connection.hpp"
#include "connectors/mysql/types.hpp"
#include "core/io_wait.hpp"
#include "core/log.hpp"
#include "polydb/error.hpp"

namespace polydb::mysql {

namespace {

// Output buffers start small and grow to the largest value seen in a column.
constexpr unsigned long kInitialVarBuffer = 256;
// A server cursor's first round trip fetches this many rows; later ones as
// many as fit half the batch byte cap at the average row size seen so far
// (libmariadb holds a whole round trip's rows in memory).
constexpr unsigned long kFirstPrefetch = 16;
// What a fixed-width value counts for in the byte cap.
constexpr size_t kFixedCellBytes = 8;

std::string_view wire_type_name(WireType t, bool is_unsigned) {
  switch (t) {
    case WireType::tiny:
      return is_unsigned ? "TINYINT UNSIGNED" : "TINYINT";
    case WireType::smallint:
      return is_unsigned ? "SMALLINT UNSIGNED" : "SMALLINT";
    case WireType::int24:
      return is_unsigned ? "MEDIUMINT UNSIGNED" : "MEDIUMINT";
    case WireType::int32:
      return is_unsigned ? "INT UNSIGNED" : "INT";
    case WireType::longlong:
      return is_unsigned ? "BIGINT UNSIGNED" : "BIGINT";
    case WireType::float32:
      return "FLOAT";
    case WireType::float64:
      return "DOUBLE";
    case WireType::decimal:
    case WireType::newdecimal:
      return "DECIMAL";
    case WireType::null:
      return "NULL";
    case WireType::timestamp:
      return "TIMESTAMP";
    case WireType::date:
    case WireType::newdate:
      return "DATE";
    case WireType::time:
      return "TIME";
    case WireType::datetime:
      return "DATETIME";
    case WireType::year:
      return "YEAR";
    case WireType::bit:
      return "BIT";
    case WireType::json:
      return "JSON";
    case WireType::enumeration:
      return "ENUM";
    case WireType::set:
      return "SET";
    case WireType::geometry:
      return "GEOMETRY";
    case WireType::varchar:
    case WireType::var_string:
      return "VARCHAR";
    case WireType::string:
      return "CHAR";
    case WireType::tiny_blob:
    case WireType::medium_blob:
    case WireType::long_blob:
    case WireType::blob:
      return "BLOB";
  }
  return "";
}

FieldMeta field_meta(const MYSQL_FIELD& f) {
  FieldMeta m;
  m.type = static_cast<WireType>(f.type);
  m.flags = f.flags;
  m.length = f.length;
  m.decimals = f.decimals;
  m.charsetnr = f.charsetnr;
  MARIADB_CONST_STRING attr{};
  if (mariadb_field_attr(&attr, &f, MARIADB_FIELD_ATTR_DATA_TYPE_NAME) == 0 && attr.str)
    m.data_type_name.assign(attr.str, attr.length);
  if (mariadb_field_attr(&attr, &f, MARIADB_FIELD_ATTR_FORMAT_NAME) == 0 && attr.str)
    m.format_name.assign(attr.str, attr.length);
  return m;
}

DateTimeParts parts_of(const MYSQL_TIME& t) {
  DateTimeParts p;
  p.year = t.year;
  p.month = t.month;
  p.day = t.day;
  p.hour = t.hour;
  p.minute = t.minute;
  p.second = t.second;
  p.micros = t.second_part;
  p.negative = t.neg;
  return p;
}

std::string show_time(const MYSQL_TIME& t, bool with_date, bool with_time) {
  std::string s;
  if (with_date) s += fmt::format("{:04d}-{:02d}-{:02d}", t.year, t.month, t.day);
  if (with_date && with_time) s += ' ';
  if (with_time)
    s += fmt::format("{}{:02d}:{:02d}:{:02d}", t.neg ? "-" : "", t.day * 24 + t.hour, t.minute,
                     t.second);
  return s;
}

// One result column: its MYSQL_BIND's storage and how to turn it into polydb's type.
struct Cell {
  std::string name;
  Type type;
  WireType wire = WireType::string;
  bool is_unsigned = false;
  bool var = false;  // variable-length: bound to `buf`
  int64_t i = 0;
  double d = 0;
  float f = 0;
  MYSQL_TIME t{};
  std::vector<char> buf;
  unsigned long length = 0;
  my_bool is_null = 0;
  my_bool error = 0;
};

bool is_integer_wire(WireType w) {
  return w == WireType::tiny || w == WireType::smallint || w == WireType::int24 ||
         w == WireType::int32 || w == WireType::longlong || w == WireType::year;
}

bool is_temporal_wire(WireType w) {
  return w == WireType::date || w == WireType::newdate || w == WireType::time ||
         w == WireType::datetime || w == WireType::timestamp;
}

// Streams the rows of one prepared statement into batches. A read-only server
// cursor fetches at most batch_rows rows, and about half batch_bytes, per round
// trip, so memory is bounded by the batch size whatever the result size, and
// other statements may run on the connection between batches.
class StatementReader final : public BatchReader {
 public:
  StatementReader(MysqlConnection& conn, ReaderSetup setup)
      : conn_(conn), setup_(std::move(setup)) {
    if (setup_.batch_rows == 0) setup_.batch_rows = 1;
    if (setup_.batch_bytes == 0) setup_.batch_bytes = 1;
    prefetch_ = std::min<unsigned long>(kFirstPrefetch, setup_.batch_rows);
    stmt_ = conn_.run(setup_.sql, setup_.params, setup_.cursor, prefetch_);
    MYSQL_STMT* st = stmt_.get();
    const unsigned n = mysql_stmt_field_count(st);
    if (n == 0) {  // a statement without a result set
      done_ = true;
      if (!setup_.schema) setup_.schema = std::make_shared<Schema>();
      return;
    }
    // No cursor (the server opens them for SELECT only): the rows stream
    // unbuffered and hold the connection until the end.
    if (conn_.db()->status != MYSQL_STATUS_READY) {
      streaming_ = true;
      conn_.begin_streaming(this);
    }
    meta_.reset(mysql_stmt_result_metadata(st));
    if (!meta_) throw conn_.error(st, "cannot read the result's columns");
    const MYSQL_FIELD* fields = mysql_fetch_fields(meta_.get());
    if (!setup_.schema) {
      auto schema = std::make_shared<Schema>();
      for (unsigned i = 0; i < n; ++i) {
        const FieldMeta m = field_meta(fields[i]);
        Field f;
        f.name = fields[i].name;
        f.type = type_from_field(m, conn_.type_options());
        f.nullable = (fields[i].flags & NOT_NULL_FLAG) == 0;
        f.native_type = m.data_type_name.empty()
                            ? std::string(wire_type_name(m.type, m.flags & kUnsignedFlag))
                            : m.data_type_name;
        schema->fields.push_back(std::move(f));
      }
      setup_.schema = std::move(schema);
    } else if (setup_.schema->fields.size() != n) {
      throw Error(ErrorCode::internal,
                  fmt::format("the query returned {} columns, {} were expected", n,
                              setup_.schema->fields.size()),
                  "mysql");
    }
    cells_.resize(n);
    binds_.resize(n);
    for (unsigned i = 0; i < n; ++i) bind_cell(i, fields[i]);
    if (mysql_stmt_bind_result(st, binds_.data())) throw conn_.error(st, "cannot bind the result");
  }

  ~StatementReader() override {
    // Closing a statement whose rows still stream reads them all first.
    if (streaming_ && !done_) conn_.abandon_stream();
    conn_.end_streaming(this);
  }

  const Schema& schema() const override { return *setup_.schema; }
  ScanPlan plan() const override { return setup_.plan; }

  std::optional<Batch> next() override { return loop_.next(*this, setup_); }

  // The row source of loop_ (connectors/common/batch_loop).

  /// Rows already prefetched would still come out of a shut-down connection.
  void before_batch() {
    if (!done_ && conn_.stopped()) throw stop_requested_error("mysql", conn_.display_url());
  }

  /// Fetches the next row into `batch`; false at the end.
  bool append_row(Batch& batch) {
    if (done_ || !fetch()) return false;
    for (size_t c = 0; c < cells_.size(); ++c) read_cell(c, batch.column(c));
    batch.commit_row();
    return true;
  }

  /// The bytes of the row just fetched, from the bound buffers: the byte cap
  /// counts every row (with values of a megabyte, even 64 rows would
  /// overshoot it eightfold), and the cursor's prefetch is sized from them.
  size_t row_bytes() {
    size_t n = 0;
    for (const Cell& c : cells_) n += c.var && !c.is_null ? c.length : kFixedCellBytes;
    seen_bytes_ += n;
    ++seen_rows_;
    const size_t average = std::max<size_t>(seen_bytes_ / seen_rows_, 1);
    const auto prefetch = static_cast<unsigned long>(
        std::clamp<size_t>(setup_.batch_bytes / 2 / average, 1, setup_.batch_rows));
    if (prefetch != prefetch_) {
      prefetch_ = prefetch;
      mysql_stmt_attr_set(stmt_.get(), STMT_ATTR_PREFETCH_ROWS, &prefetch_);
    }
    return n;
  }

 private:
  void bind_cell(unsigned i, const MYSQL_FIELD& field) {
    Cell& c = cells_[i];
    MYSQL_BIND& b = binds_[i];
    std::memset(&b, 0, sizeof b);
    c.name = setup_.schema->fields[i].name;
    c.type = setup_.schema->fields[i].type;
    c.wire = static_cast<WireType>(field.type);
    c.is_unsigned = (field.flags & UNSIGNED_FLAG) != 0;
    b.is_null = &c.is_null;
    b.error = &c.error;
    b.length = &c.length;
    if (is_integer_wire(c.wire)) {
      b.buffer_type = MYSQL_TYPE_LONGLONG;
      b.buffer = &c.i;
      b.is_unsigned = c.is_unsigned;
    } else if (c.wire == WireType::float32) {
      b.buffer_type = MYSQL_TYPE_FLOAT;
      b.buffer = &c.f;
    } else if (c.wire == WireType::float64) {
      b.buffer_type = MYSQL_TYPE_DOUBLE;
      b.buffer = &c.d;
    } else if (is_temporal_wire(c.wire)) {
      b.buffer_type = c.wire == WireType::newdate ? MYSQL_TYPE_DATE : field.type;
      b.buffer = &c.t;
    } else {
      c.var = true;
      c.buf.resize(kInitialVarBuffer);
      b.buffer_type = MYSQL_TYPE_BLOB;
      b.buffer = c.buf.data();
      b.buffer_length = static_cast<unsigned long>(c.buf.size());
    }
  }

  // Fetches the next row into the cells; false at the end. A failure (a
  // dropped connection, a server error) throws: never a silently short result.
  bool fetch() {
    MYSQL_STMT* st = stmt_.get();
    const auto guard = conn_.io_guard();
    if (rebind_) {
      if (mysql_stmt_bind_result(st, binds_.data()))
        throw conn_.error(st, "cannot bind the result");
      rebind_ = false;
    }
    const int rc = mysql_stmt_fetch(st);
    if (rc == MYSQL_NO_DATA) {
      done_ = true;
      conn_.end_streaming(this);
      return false;
    }
    if (rc == 1) {
      done_ = true;
      conn_.end_streaming(this);
      throw conn_.error(st, "reading the result failed");
    }
    // MYSQL_DATA_TRUNCATED: a value outgrew its buffer. Fetch it whole, and
    // grow the buffer for the rows to come.
    for (unsigned i = 0; i < cells_.size(); ++i) {
      Cell& c = cells_[i];
      if (!c.var || c.is_null || c.length <= c.buf.size()) continue;
      c.buf.resize(c.length);
      MYSQL_BIND& b = binds_[i];
      b.buffer = c.buf.data();
      b.buffer_length = c.length;
      if (mysql_stmt_fetch_column(st, &b, i, 0)) throw conn_.error(st, "reading a value failed");
      rebind_ = true;
    }
    return true;
  }

  [[noreturn]] void mismatch(const Cell& c, std::string_view held, std::string_view hint) const {
    throw Error(ErrorCode::type_mismatch,
                fmt::format("column '{}' ({}) holds {}{}", c.name, to_string(c.type), held,
                            hint.empty() ? "" : fmt::format(" ({})", hint)),
                "mysql");
  }

  void zero_date(const Cell& c, Column& out, bool with_time) const {
    if (conn_.type_options().zero_date_null) return out.append_null();
    mismatch(c, fmt::format("'{}', a zero or invalid date", show_time(c.t, true, with_time)),
             "add ?zero-date=null to the URL to read such dates as NULL, or fix the rows");
  }

  void read_cell(size_t i, Column& out) const {
    const Cell& c = cells_[i];
    if (c.is_null) return out.append_null();
    const std::string_view bytes =
        c.var ? std::string_view(c.buf.data(), c.length) : std::string_view();
    switch (c.type.id) {
      case TypeId::null:
        return out.append_null();
      case TypeId::boolean:
        if (is_integer_wire(c.wire)) {
          if (c.i == 0 || c.i == 1) return out.append_bool(c.i == 1);
          mismatch(c, std::to_string(c.i),
                   "a TINYINT(1) read as boolean holds only 0 and 1; add "
                   "?tinyint1-as-boolean=false to the URL to read it as an integer");
        }
        break;
      case TypeId::int64:
        if (is_integer_wire(c.wire)) {
          if (c.is_unsigned && static_cast<uint64_t>(c.i) > INT64_MAX)
            mismatch(c, std::to_string(static_cast<uint64_t>(c.i)), "beyond int64");
          return out.append_int64(c.i);
        }
        if (c.wire == WireType::bit) {
          const uint64_t v = bits_to_uint64(bytes);
          if (v > INT64_MAX) mismatch(c, std::to_string(v), "beyond int64");
          return out.append_int64(static_cast<int64_t>(v));
        }
        break;
      case TypeId::float64:
        if (c.wire == WireType::float32) return out.append_float64(float_to_double(c.f));
        if (c.wire == WireType::float64) return out.append_float64(c.d);
        if (is_integer_wire(c.wire)) return out.append_float64(static_cast<double>(c.i));
        break;
      case TypeId::decimal:
        if (is_integer_wire(c.wire))
          return out.append_var(c.is_unsigned ? std::to_string(static_cast<uint64_t>(c.i))
                                              : std::to_string(c.i));
        if (c.var) return out.append_var(bytes);
        break;
      case TypeId::string:
      case TypeId::bytes:
      case TypeId::json:
        if (c.var) return out.append_var(bytes);
        break;
      case TypeId::date:
        if (is_temporal_wire(c.wire)) {
          const auto days = date_from_parts(parts_of(c.t));
          if (!days) return zero_date(c, out, false);
          if (c.t.hour || c.t.minute || c.t.second || c.t.second_part)
            mismatch(c, show_time(c.t, true, true), "a time of day in a date");
          return out.append_int32_raw(*days);
        }
        break;
      case TypeId::time:
        if (c.wire == WireType::time) {
          const auto us = time_from_parts(parts_of(c.t));
          if (!us)
            mismatch(c, show_time(c.t, false, true),
                     "MySQL TIME is a duration of up to ±838 hours; polydb's time is a time of "
                     "day: read it with CAST(col AS CHAR) in a query");
          return out.append_int64(*us);
        }
        break;
      case TypeId::timestamp:
      case TypeId::timestamp_tz:
        if (is_temporal_wire(c.wire) && c.wire != WireType::time) {
          const auto us = timestamp_from_parts(parts_of(c.t));
          if (!us) return zero_date(c, out, c.wire != WireType::date);
          return out.append_int64(*us);
        }
        break;
      case TypeId::uuid:
        break;  // text, below
    }
    if (!c.var) mismatch(c, "a value of another type", "");
    // Text forms: UUIDs, and values the server sent as text for another type.
    try {
      out.append(parse_value(bytes, c.type));
    } catch (const Error&) {
      mismatch(c, fmt::format("'{}'", bytes.substr(0, 60)), "not readable as this type");
    }
  }

  MysqlConnection& conn_;
  ReaderSetup setup_;
  StmtHandle stmt_;
  ResultHandle meta_;
  std::vector<Cell> cells_;
  std::vector<MYSQL_BIND> binds_;
  bool rebind_ = false;
  bool done_ = false;
  bool streaming_ = false;  // no server cursor: the rows hold the connection
  unsigned long prefetch_ = kFirstPrefetch;
  uint64_t seen_rows_ = 0, seen_bytes_ = 0;
  BatchLoop loop_{"mysql"};
};

}  // namespace

std::unique_ptr<BatchReader> make_reader(MysqlConnection& conn, ReaderSetup setup) {
  return std::make_unique<StatementReader>(conn, std::move(setup));
}

}  // namespace polydb::mysql
