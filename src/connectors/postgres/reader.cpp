#include <fmt/format.h>

#include "connectors/common/batch_loop.hpp"
#include "connectors/postgres/connection.hpp"
#include "connectors/postgres/errors.hpp"
#include "connectors/postgres/types.hpp"
#include "core/log.hpp"

namespace polydb::postgres {

namespace {

// What both readers share: the batch loop (connectors/common/batch_loop)
// over the rows a subclass hands out one at a time, and the early end when
// the limit is reached before the end of the result.
class StreamReader : public BatchReader {
 public:
  StreamReader(PgConnection& conn, ReaderSetup setup) : conn_(conn), setup_(std::move(setup)) {
    if (setup_.batch_rows == 0) setup_.batch_rows = 1;
  }

  const Schema& schema() const override { return *setup_.schema; }
  ScanPlan plan() const override { return setup_.plan; }

  std::optional<Batch> next() override { return loop_.next(*this, setup_); }

  // The row source of loop_ (RowSource).

  /// Appends the next row to `batch`; false at the end of the result. Throws
  /// the command's error.
  virtual bool append_row(Batch& batch) = 0;

  /// The limit is reached before the end of the result.
  void limit_reached() {
    if (setup_.plan.limit_pushed) {
      // With the limit in the SQL only the end of the stream is left: read it.
      Batch sink(setup_.schema);
      while (append_row(sink)) sink.clear();
    } else {
      stop();  // the rest may be large
    }
  }

 protected:
  /// Abandons the running command, if any (cancel + drain). noexcept.
  virtual void stop() noexcept = 0;

  PgConnection& conn_;
  ReaderSetup setup_;

 private:
  BatchLoop loop_{"pg"};
};

// Binary COPY OUT: a header, then per tuple an int16 field count and per field
// an int32 length (-1 = NULL) and the bytes, then an int16 -1 trailer. libpq
// hands out one CopyData message at a time, which need not match tuple
// boundaries (the header shares the first message), so bytes are buffered.
class CopyReader final : public StreamReader {
 public:
  CopyReader(PgConnection& conn, const std::string& sql, ReaderSetup setup)
      : StreamReader(conn, std::move(setup)) {
    conn_.ensure_idle();
    logger("pg")->debug("{}", sql);
    PgResult res = conn_.exec(sql);
    if (!res || PQresultStatus(res.get()) != PGRES_COPY_OUT)
      throw make_error(res.get(), conn_.pg(), setup_.is_query ? "cannot run the query" : "cannot read the table");
    running_ = true;
    conn_.set_busy(true);
  }

  ~CopyReader() override { stop(); }

  bool append_row(Batch& batch) override {
    for (;;) {
      if (!running_) return false;
      if (!header_done_) {
        if (!parse_header() && !fetch()) throw truncated();
        continue;
      }
      const int r = parse_tuple(batch);
      if (r > 0) return true;
      if (r < 0) {
        // Trailer: the next read reports the end of the COPY.
        if (fetch())
          throw Error(ErrorCode::corruption, "data after the end of a binary COPY",
                      std::string(kBackend));
        return false;
      }
      if (!fetch()) throw truncated();
    }
  }

 protected:
  const char* failed() const {
    return setup_.is_query ? "the query failed" : "reading the table failed";
  }

  void stop() noexcept override {
    if (!running_) return;
    running_ = false;
    conn_.cancel_and_drain(true);
    conn_.set_busy(false);
  }

 private:
  Error truncated() const {
    return Error(ErrorCode::connection, "the binary COPY stream ended early",
                 std::string(kBackend));
  }

  // Appends the next CopyData message to the buffer; false when the COPY is
  // over (then the command's outcome is checked and thrown on failure).
  bool fetch() {
    char* raw = nullptr;
    const int n = conn_.get_copy_data(&raw);
    if (n > 0) {
      PgMemory chunk(raw);
      if (pos_ == buf_.size()) {
        buf_.clear();
        pos_ = 0;
      } else if (pos_ > buf_.size() / 2) {
        buf_.erase(0, pos_);
        pos_ = 0;
      }
      buf_.append(chunk.get(), static_cast<size_t>(n));
      return true;
    }
    if (n == -2) {
      Error e = make_error(nullptr, conn_.pg(), failed());
      running_ = false;
      conn_.drain();
      conn_.set_busy(false);
      throw e;
    }
    finish();
    return false;
  }

  // Collects the command's results after the data: an error here (a dropped
  // connection, a failing expression) must not pass for a short result.
  void finish() {
    running_ = false;
    std::optional<Error> failure;
    while (PgResult r = conn_.next_result()) {
      if (PQresultStatus(r.get()) != PGRES_COMMAND_OK && !failure)
        failure = make_error(r.get(), conn_.pg(), failed());
      if (PQstatus(conn_.pg()) == CONNECTION_BAD) break;
    }
    conn_.set_busy(false);
    if (failure) throw *failure;
  }

  bool parse_header() {
    const auto size = copy_header_size(std::string_view(buf_).substr(pos_));
    if (!size) return false;
    pos_ += *size;
    header_done_ = true;
    return true;
  }

  // 1: a row was appended; 0: the buffer holds no complete tuple; -1: trailer.
  int parse_tuple(Batch& batch) {
    const CopyTuple t = decode_copy_tuple(std::string_view(buf_).substr(pos_), setup_.types, batch);
    pos_ += t.consumed;
    switch (t.kind) {
      case CopyTuple::Kind::row:
        return 1;
      case CopyTuple::Kind::trailer:
        return -1;
      case CopyTuple::Kind::incomplete:
        break;
    }
    return 0;
  }

  std::string buf_;
  size_t pos_ = 0;
  bool header_done_ = false;
  bool running_ = false;
};

// A query in single-row mode: one PGresult per row, binary format.
class RowReader final : public StreamReader {
 public:
  RowReader(PgConnection& conn, ReaderSetup setup) : StreamReader(conn, std::move(setup)) {
    running_ = true;
    conn_.set_busy(true);
    // Wait for the first row now: statement errors surface here.
    pending_ = conn_.next_result();
    check(pending_.get());
  }

  ~RowReader() override { stop(); }

  bool append_row(Batch& batch) override {
    if (!running_) return false;
    PgResult r = pending_ ? std::move(pending_) : conn_.next_result();
    check(r.get());
    if (!r || PQresultStatus(r.get()) != PGRES_SINGLE_TUPLE) {
      // TUPLES_OK (an empty result closes single-row mode) or COMMAND_OK.
      running_ = false;
      conn_.drain();
      conn_.set_busy(false);
      return false;
    }
    const size_t ncols = setup_.types.size();
    for (size_t i = 0; i < ncols; ++i) {
      const int c = static_cast<int>(i);
      const int32_t len = PQgetisnull(r.get(), 0, c) ? -1 : PQgetlength(r.get(), 0, c);
      decode_field(setup_.types[i], PQgetvalue(r.get(), 0, c), len, batch.column(i),
                   setup_.schema->fields[i].name);
    }
    batch.commit_row();
    return true;
  }

 protected:
  void stop() noexcept override {
    pending_.reset();
    if (!running_) return;
    running_ = false;
    conn_.cancel_and_drain(false);
    conn_.set_busy(false);
  }

 private:
  void check(const PGresult* r) {
    if (!r) return;
    const ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) return;
    Error e = st == PGRES_COPY_IN || st == PGRES_COPY_OUT
                  ? Error(ErrorCode::unsupported,
                          "COPY FROM STDIN / TO STDOUT cannot run through query() (copy tables "
                          "with a reader and a writer, or COPY to a server-side file)",
                          std::string(kBackend))
                        .set_hint(Hint::copy)
                  : make_error(r, conn_.pg(), "the query failed");
    pending_.reset();
    running_ = false;
    conn_.drain();
    conn_.set_busy(false);
    throw e;
  }

  PgResult pending_;
  bool running_ = false;
};

}  // namespace

std::unique_ptr<BatchReader> make_copy_reader(PgConnection& conn, const std::string& copy_sql,
                                              ReaderSetup setup) {
  return std::make_unique<CopyReader>(conn, copy_sql, std::move(setup));
}

std::unique_ptr<BatchReader> make_row_reader(PgConnection& conn, ReaderSetup setup) {
  return std::make_unique<RowReader>(conn, std::move(setup));
}

}  // namespace polydb::postgres
