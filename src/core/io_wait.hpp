#pragma once

// Waiting on sockets without hanging: idle-read timeouts, stop requests and
// TCP keepalives for the network connectors (private header of polydb_core).
//
//   const auto timeout = read_timeout_option(uri, options.read_timeout);
//   switch (wait_fd(fd, FdEvent::read, timeout, options.stop)) { ... }
//
// Two ways to bound a wait, for two kinds of client library:
//  - libraries with a non-blocking API (libpq) poll their socket through
//    wait_fd(), which ends on readiness, on the idle timeout or on a stop
//    request, whichever comes first;
//  - libraries that only block (libmariadb, ODBC drivers) keep a
//    SocketStopper: a stop request shuts their socket down from the
//    requesting thread, and the blocked call returns with an error that the
//    connector then reports as Error(cancelled).

#include <chrono>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "polydb/error.hpp"
#include "polydb/uri.hpp"

namespace polydb {

/// The idle read/write timeout of one connection: the URL's `read-timeout`
/// option (seconds, fractions allowed, 0 = no limit) when given, else
/// `fallback` (ConnectOptions::read_timeout). Throws Error(invalid_argument)
/// for a value that is not a non-negative number of seconds.
std::chrono::milliseconds read_timeout_option(const Uri& uri, std::chrono::milliseconds fallback);

/// What to wait for; `any` = readable or writable (libpq's PQflush asks for either).
enum class FdEvent { read, write, any };
enum class FdWait { ready, timed_out, stopped };

/// Waits until `fd` is ready for `event`, at most `timeout` (zero = no limit),
/// polling in slices of at most 100 ms so that a stop request on `stop` ends
/// the wait within that. Error conditions on the socket (POLLERR, POLLHUP)
/// count as ready: the next read or write reports them. Throws Error(io) only
/// when poll() itself fails.
FdWait wait_fd(int fd, FdEvent event, std::chrono::milliseconds timeout, std::stop_token stop);

/// Sleeps `delay`, or less when a stop is requested on `stop`; false when it was.
bool sleep_unless_stopped(std::chrono::milliseconds delay, std::stop_token stop);

/// Error(timeout) for a read or write that received or sent nothing for
/// `timeout`: names the backend, the connection (`where`, redacted) and the
/// URL option that sets the limit. Retryable.
Error idle_timeout_error(std::string_view backend, std::string_view where,
                         std::chrono::milliseconds timeout, std::string_view doing = "a read");

/// Error(cancelled) for an operation that a stop request ended.
Error stop_requested_error(std::string_view backend, std::string_view where);

/// Turns TCP keepalives on for a connected socket: the first probe after 60 s
/// of silence, then every 10 s, and the connection is declared dead after 6
/// unanswered probes (about 2 minutes), so a half-open connection to a vanished
/// host fails instead of waiting forever. Best effort: errors are ignored
/// (a Unix socket has no keepalives).
void enable_tcp_keepalive(int fd) noexcept;

/// Keepalive settings in the form libpq's connection keywords take.
inline constexpr int kKeepaliveIdleSeconds = 60;
inline constexpr int kKeepaliveIntervalSeconds = 10;
inline constexpr int kKeepaliveCount = 6;

/// Shuts a socket down when a stop is requested, so that a client library
/// blocked in a read or write on it returns at once (with a "lost connection"
/// error, which the connector turns into Error(cancelled) by asking
/// stopped()). The socket must stay open while it is attached: detach() (or
/// destroy the stopper) before the library closes it.
///
/// Thread-safe: attach/detach run on the connection's thread, the stop
/// callback on whichever thread requests the stop.
class SocketStopper {
 public:
  explicit SocketStopper(std::stop_token stop);
  ~SocketStopper();
  SocketStopper(const SocketStopper&) = delete;
  SocketStopper& operator=(const SocketStopper&) = delete;

  /// The socket to shut down on a stop request; shut down at once when the
  /// stop was already requested. -1 detaches.
  void attach(int fd);
  void detach() { attach(-1); }
  /// True once a stop was requested (the socket, if any, is shut down).
  bool stopped() const noexcept { return stop_.stop_requested(); }
  const std::stop_token& token() const noexcept { return stop_; }

 private:
  void on_stop() noexcept;

  std::stop_token stop_;
  std::mutex mu_;
  int fd_ = -1;
  struct Callback {
    SocketStopper* self;
    void operator()() const noexcept { self->on_stop(); }
  };
  // Last: unregistered (and any running call waited for) before the rest dies.
  std::optional<std::stop_callback<Callback>> callback_;
};

}  // namespace polydb
