#pragma once

// Idle timeouts and stop requests for ODBC drivers, which block in their own
// socket I/O and expose neither their socket nor a way to bound a wait on it.
//
//   const auto before = socket_inodes();
//   SQLDriverConnectW(...);
//   const FoundSocket found = find_driver_socket(before, {host, port});
//   watch.attach(found.fd);
//   ...
//   { const auto busy = watch.busy(stmt); SQLFetch(stmt); }
//
// The driver's socket is the one TCP connection to the connection string's
// host:port that appeared while SQLDriverConnect ran. Both drivers polydb is
// tested with wait for the server in poll() (psqlODBC in its own socket code,
// MariaDB Connector/ODBC in libmariadb), where SO_RCVTIMEO has no effect, so
// the watch measures progress itself: while a driver call is in flight it
// reads the socket's TCP counters (bytes received, bytes the server
// acknowledged) every 100 ms, and when neither moved for the idle limit it
// shuts the socket down. The blocked call then returns with a communication
// error, which the connection reports as Error(timeout) (timed_out()). A stop
// request shuts the socket down the same way (SocketStopper); without a known
// socket it calls SQLCancel on the statements in flight instead.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/io_wait.hpp"

namespace polydb::odbc {

/// The inode numbers of the sockets this process has open (/proc/self/fd).
std::set<ino_t> socket_inodes();

/// Where a connection string says the driver connects.
struct SocketTarget {
  std::string host;              ///< "" when unknown (a DSN, a Unix socket)
  std::optional<uint16_t> port;  ///< nullopt: any port on `host`
};

/// The driver's socket, or why it could not be told apart.
struct FoundSocket {
  int fd = -1;
  std::string why_not;  ///< set when fd < 0
};

/// The one TCP socket, not among `before`, whose peer is `target` (any of the
/// addresses the host resolves to). No socket when there are none or several
/// (another thread connected to the same server at the same moment).
FoundSocket find_driver_socket(const std::set<ino_t>& before, const SocketTarget& target);

/// Watches one connection's socket (see the top of this file). attach/detach
/// and busy() run on the connection's threads (its reader's prefetch thread
/// included); the stop callback on whichever thread requests the stop; the
/// idle timer on a thread of its own, started by attach() when there is an
/// idle limit.
class SocketWatch {
 public:
  /// `idle_limit` zero = no limit. On a stop request without an attached
  /// socket, `cancel` is called for each handle in flight (SQLCancel); it may
  /// block until the driver lets it run.
  SocketWatch(std::chrono::milliseconds idle_limit, std::stop_token stop,
              std::function<void(void*)> cancel);
  ~SocketWatch();
  SocketWatch(const SocketWatch&) = delete;
  SocketWatch& operator=(const SocketWatch&) = delete;

  /// Watches `fd` from now on (TCP keepalives on). detach() before the driver
  /// closes it: the number may be reused.
  void attach(int fd);
  void detach();
  /// Detaches when `fd` no longer is the socket attached (the driver closed
  /// it after an error and the number went to another file).
  void forget_if_closed();

  /// A driver call in flight on `handle` (may be null): the idle timer runs
  /// while at least one is alive. Move-only.
  class Busy {
   public:
    Busy(Busy&& other) noexcept
        : watch_(std::exchange(other.watch_, nullptr)), handle_(other.handle_) {}
    Busy(const Busy&) = delete;
    Busy& operator=(const Busy&) = delete;
    Busy& operator=(Busy&&) = delete;
    ~Busy();

   private:
    friend class SocketWatch;
    Busy(SocketWatch* watch, void* handle) : watch_(watch), handle_(handle) {}
    SocketWatch* watch_;
    void* handle_;
  };
  [[nodiscard]] Busy busy(void* handle = nullptr);

  bool stopped() const noexcept { return stopper_.stopped(); }
  /// True once the idle limit ended a call (the socket is shut down).
  bool timed_out() const noexcept { return timed_out_.load(); }
  std::chrono::milliseconds idle_limit() const noexcept { return idle_limit_; }
  /// Whether a socket is attached (idle limit and stop act on it).
  bool has_socket() const;

 private:
  struct Progress {
    uint64_t received = 0, acked = 0;
    bool operator==(const Progress&) const = default;
  };
  static Progress progress(int fd) noexcept;
  void watch(std::stop_token own);
  void on_stop() noexcept;
  void leave(void* handle) noexcept;

  const std::chrono::milliseconds idle_limit_;
  std::function<void(void*)> cancel_;
  SocketStopper stopper_;
  mutable std::mutex mu_;
  std::condition_variable_any wake_;
  int fd_ = -1;
  ino_t inode_ = 0;
  int busy_ = 0;
  std::vector<void*> in_flight_;
  std::chrono::steady_clock::time_point since_;  // last progress, or the first call's start
  Progress last_;
  std::atomic<bool> timed_out_{false};
  std::jthread timer_;
  struct OnStop {
    SocketWatch* self;
    void operator()() const noexcept { self->on_stop(); }
  };
  // Last: unregistered (and a running call waited for) before the rest dies.
  std::optional<std::stop_callback<OnStop>> stop_callback_;
};

}  // namespace polydb::odbc
