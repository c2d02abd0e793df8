// PostgreSQL I/O that never hangs: libpq in non-blocking mode, every wait on
// the socket bounded by the connection's idle timeout and its stop token
// (ConnectOptions::read_timeout, ::stop). libpq's own blocking calls (PQexec,
// PQgetResult on a busy connection, PQgetCopyData(async = 0)) wait in poll()
// without a limit, so a stalled server or proxy would hold them forever and a
// Ctrl-C could not reach them.

#include <sys/socket.h>

#include "connectors/postgres/connection.hpp"
#include "connectors/postgres/errors.hpp"
#include "core/io_wait.hpp"
#include "core/log.hpp"

namespace polydb::postgres {

void PgConnection::wait_for(FdEvent event, std::string_view doing) {
  if (abandoned_)
    throw Error(ErrorCode::connection,
                fmt::format("the connection to {} was given up after a timeout or an "
                            "interruption (open a new one)",
                            display_),
                std::string(kBackend));
  switch (wait_fd(PQsocket(conn_.get()), event, read_timeout_, options_.stop)) {
    case FdWait::ready:
      return;
    case FdWait::timed_out:
      abandon();
      throw idle_timeout_error(kBackend, display_, read_timeout_, doing);
    case FdWait::stopped:
      abandon();
      throw stop_requested_error(kBackend, display_);
  }
}

void PgConnection::abandon() noexcept {
  if (abandoned_ || !conn_) return;
  abandoned_ = true;
  // Later libpq calls fail at once instead of waiting; the server sees the
  // connection end and rolls back whatever transaction was open.
  if (const int fd = PQsocket(conn_.get()); fd >= 0) ::shutdown(fd, SHUT_RDWR);
  logger("pg")->debug("abandoned the connection to {}", display_);
}

void PgConnection::flush_output() {
  while (true) {
    const int r = PQflush(conn_.get());
    if (r <= 0) return;  // sent, or failed: the next result reports why
    // libpq's docs: wait until readable or writable; a readable socket must
    // be consumed (the server may be sending an error instead of reading).
    wait_for(FdEvent::any, "a write");
    if (!PQconsumeInput(conn_.get())) return;
  }
}

PgResult PgConnection::next_result() {
  flush_output();
  while (PQisBusy(conn_.get())) {
    wait_for(FdEvent::read, "a read");
    if (!PQconsumeInput(conn_.get())) break;  // PQgetResult reports the failure
  }
  return PgResult(PQgetResult(conn_.get()));
}

PgResult PgConnection::finish_command() {
  PgResult last, failure;
  while (PgResult r = next_result()) {
    const ExecStatusType st = PQresultStatus(r.get());
    const bool copy = st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH;
    if (st == PGRES_FATAL_ERROR) {
      if (!failure) failure = std::move(r);
    } else {
      last = std::move(r);
    }
    // Like PQexec: a COPY hands the connection over to the caller.
    if (copy && !failure) return last;
    if (PQstatus(conn_.get()) == CONNECTION_BAD) break;
  }
  return failure ? std::move(failure) : std::move(last);
}

PgResult PgConnection::exec(const std::string& sql) {
  if (!PQsendQuery(conn_.get(), sql.c_str())) return PgResult();
  return finish_command();
}

int PgConnection::get_copy_data(char** buffer) {
  while (true) {
    const int n = PQgetCopyData(conn_.get(), buffer, 1);
    if (n != 0) return n;
    wait_for(FdEvent::read, "a read");
    if (!PQconsumeInput(conn_.get())) return -2;
  }
}

bool PgConnection::put_copy_data(const char* data, int size) {
  while (true) {
    const int r = PQputCopyData(conn_.get(), data, size);
    if (r < 0) return false;
    if (r == 1) break;
    wait_for(FdEvent::any, "a write");  // libpq's buffer is full
    if (!PQconsumeInput(conn_.get())) return false;
    if (PQflush(conn_.get()) < 0) return false;
  }
  flush_output();
  return PQstatus(conn_.get()) != CONNECTION_BAD;
}

bool PgConnection::put_copy_end(const char* error_message) {
  while (true) {
    const int r = PQputCopyEnd(conn_.get(), error_message);
    if (r < 0) return false;
    if (r == 1) break;
    wait_for(FdEvent::any, "a write");
    if (!PQconsumeInput(conn_.get())) return false;
    if (PQflush(conn_.get()) < 0) return false;
  }
  flush_output();
  return true;
}

void PgConnection::drain() noexcept {
  if (abandoned_) return;
  try {
    while (PgResult r = next_result()) {
      const ExecStatusType st = PQresultStatus(r.get());
      if (st == PGRES_COPY_OUT) {
        char* buf = nullptr;
        while (get_copy_data(&buf) > 0) PQfreemem(buf);
      } else if (st == PGRES_COPY_IN) {
        put_copy_end("abandoned by polydb");
      }
      if (PQstatus(conn_.get()) == CONNECTION_BAD) return;
    }
  } catch (const Error& e) {
    // A stalled or stopped connection cannot be drained: give it up.
    logger("pg")->debug("cannot drain the connection to {}: {}", display_, e.message());
    abandon();
  } catch (...) {
    abandon();
  }
}

void PgConnection::cancel_and_drain(bool copy_out) noexcept {
  if (abandoned_) return;
  if (options_.stop.stop_requested()) {
    abandon();
    return;
  }
  // Asks the server to stop the running command (on a separate connection,
  // as the protocol wants), then drains what was already on its way.
  if (PgCancel cancel{PQgetCancel(conn_.get())}) {
    char err[256];
    if (!PQcancel(cancel.get(), err, sizeof err))
      logger("pg")->warn("cannot cancel the running command: {}", err);
  }
  if (copy_out) {
    try {
      char* buf = nullptr;
      while (get_copy_data(&buf) > 0) PQfreemem(buf);
    } catch (...) {
      abandon();
      return;
    }
  }
  drain();
}

}  // namespace polydb::postgres
