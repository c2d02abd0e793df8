#include "connectors/postgres/copy_in.hpp"

#include <optional>

#include "connectors/postgres/errors.hpp"
#include "core/log.hpp"

namespace polydb::postgres {

void CopyIn::start(const std::string& copy_sql) {
  logger("pg")->debug("{}", copy_sql);
  conn_.ensure_idle();
  PgResult res = conn_.exec(copy_sql);
  if (!res || PQresultStatus(res.get()) != PGRES_COPY_IN)
    throw make_error(res.get(), conn_.pg(), what_);
  active_ = true;
  conn_.set_busy(true);
  static constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // + '\0': 11 bytes
  buf_.assign(kSignature, 11);
  wire::put32(buf_, 0);  // flags
  wire::put32(buf_, 0);  // header extension length
}

void CopyIn::flush() {
  if (buf_.empty()) return;
  if (!conn_.put_copy_data(buf_.data(), static_cast<int>(buf_.size()))) throw server_error();
  buf_.clear();
}

Error CopyIn::server_error() {
  // The server stops reading when it rejects the data: its error is the
  // result waiting on the connection.
  PgResult r = conn_.next_result();
  if (r && PQresultStatus(r.get()) == PGRES_FATAL_ERROR)
    return make_error(r.get(), conn_.pg(), what_);
  return make_error(nullptr, conn_.pg(), what_);
}

void CopyIn::finish() {
  if (!active_) return;
  wire::put16(buf_, static_cast<uint16_t>(-1));  // trailer
  flush();
  if (!conn_.put_copy_end(nullptr)) throw server_error();
  PgResult res = conn_.next_result();
  active_ = false;
  std::optional<Error> failure;
  if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK)
    failure = make_error(res.get(), conn_.pg(), what_);
  conn_.drain();
  conn_.set_busy(false);
  buf_.clear();
  if (failure) throw *failure;
}

void CopyIn::cancel() noexcept {
  if (!active_) return;
  active_ = false;
  buf_.clear();
  try {
    conn_.put_copy_end("aborted by polydb");
  } catch (...) {
    // Timed out or stopped: the connection is abandoned, the server rolls back.
  }
  conn_.drain();
  conn_.set_busy(false);
}

void encode_converted(const PgType& pg, const Type& stored, const Column& col, size_t row,
                      Column& scratch, std::string& out) {
  if (col.type().id == stored.id) {
    encode_field(pg, col, row, out);
    return;
  }
  scratch.clear();
  scratch.append(coerce_value(col.value_at(row), stored));
  encode_field(pg, scratch, 0, out);
}

}  // namespace polydb::postgres
