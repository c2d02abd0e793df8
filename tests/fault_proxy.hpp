#pragma once

// A TCP proxy on 127.0.0.1 that breaks the connections it forwards, for the
// fault-injection tests: in front of PostgreSQL, MariaDB or an HTTP emulator it
// adds latency, resets a connection, cuts it off cleanly (truncation mid-message)
// or stops forwarding while keeping it open (a stall), once a chosen number of
// bytes has passed in a chosen direction.
//
//   FaultProxy proxy("127.0.0.1", 55432, {.kind = Fault::Kind::stall,
//                                          .direction = Fault::Direction::to_client,
//                                          .at_byte = 100'000});
//   ... connect to 127.0.0.1:proxy.port() ...
//
// Each accepted connection gets a thread that forwards both directions with
// poll(); everything stops and closes when the proxy is destroyed. Only
// loopback addresses are used.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>

namespace polydb::test {

/// What the proxy does to a connection.
struct Fault {
  enum class Kind {
    none,      ///< forward faithfully
    latency,   ///< wait `delay` before forwarding each chunk (both directions)
    reset,     ///< at the offset, close both sides with a TCP reset
    truncate,  ///< at the offset, close both sides cleanly (FIN), mid-message
    stall,     ///< at the offset, stop forwarding but keep both sides open
  };
  enum class Direction { to_server, to_client };
  Kind kind = Kind::none;
  Direction direction = Direction::to_client;
  /// Bytes forwarded in `direction` (per connection) before the fault fires.
  uint64_t at_byte = 0;
  std::chrono::milliseconds delay{0};  ///< for latency
  /// Only the n-th accepted connection (0-based) is broken; -1 = every one.
  int connection = -1;
};

inline const char* to_string(Fault::Kind k) {
  switch (k) {
    case Fault::Kind::none: return "none";
    case Fault::Kind::latency: return "latency";
    case Fault::Kind::reset: return "reset";
    case Fault::Kind::truncate: return "truncate";
    case Fault::Kind::stall: return "stall";
  }
  return "?";
}

class FaultProxy {
 public:
  FaultProxy(std::string target_host, uint16_t target_port, Fault fault)
      : host_(std::move(target_host)), target_port_(target_port), fault_(fault) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw std::runtime_error("fault proxy: socket");
    int on = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 64) != 0)
      throw std::runtime_error("fault proxy: bind/listen");
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::jthread([this](std::stop_token stop) { accept_loop(stop); });
  }

  ~FaultProxy() {
    acceptor_.request_stop();
    if (acceptor_.joinable()) acceptor_.join();
    std::lock_guard lock(mu_);
    for (auto& t : pipes_) t.request_stop();
    pipes_.clear();  // joins
    ::close(listen_fd_);
  }

  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  uint16_t port() const { return port_; }
  /// Connections accepted so far.
  int accepted() const { return accepted_.load(); }
  /// True once the fault has fired on some connection.
  bool fired() const { return fired_.load(); }
  /// When the fault first fired (steady clock); meaningful once fired().
  std::chrono::steady_clock::time_point fired_at() const {
    return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(fired_at_.load()));
  }

 private:
  void accept_loop(std::stop_token stop) {
    while (!stop.stop_requested()) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      const int index = accepted_.fetch_add(1);
      const int server = connect_target();
      if (server < 0) {
        ::close(client);
        continue;
      }
      const bool broken = fault_.connection < 0 || fault_.connection == index;
      std::lock_guard lock(mu_);
      pipes_.emplace_back([this, client, server, broken](std::stop_token s) {
        forward(s, client, server, broken ? fault_ : Fault{});
      });
    }
  }

  int connect_target() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(target_port_);
    ::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      return -1;
    }
    int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    return fd;
  }

  static void close_with_reset(int fd) {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd);
  }

  static bool sleep_for(std::chrono::milliseconds d, const std::stop_token& stop) {
    const auto end = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < end) {
      if (stop.stop_requested()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  // Forwards both ways until one side closes, the fault ends it, or the proxy stops.
  void forward(std::stop_token stop, int client, int server, Fault fault) {
    int on = 1;
    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    const int from_fd[2] = {client, server};  // [0] to_server, [1] to_client
    const int to_fd[2] = {server, client};
    uint64_t passed[2] = {0, 0};
    const int faulty = fault.direction == Fault::Direction::to_server ? 0 : 1;
    bool stalled = false;
    char buf[16384];
    while (!stop.stop_requested()) {
      if (stalled) {  // keep both sockets open, move nothing
        sleep_for(std::chrono::milliseconds(50), stop);
        continue;
      }
      pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (::poll(p, 2, 50) <= 0) continue;
      bool closed = false;
      for (int d = 0; d < 2 && !closed && !stalled; ++d) {
        if (!(p[d].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        size_t want = sizeof buf;
        const bool armed = d == faulty && (fault.kind == Fault::Kind::reset ||
                                           fault.kind == Fault::Kind::truncate ||
                                           fault.kind == Fault::Kind::stall);
        if (armed && passed[d] < fault.at_byte)
          want = std::min<uint64_t>(want, fault.at_byte - passed[d]);
        if (armed && passed[d] >= fault.at_byte) {
          int64_t never = 0;
          fired_at_.compare_exchange_strong(
              never, std::chrono::steady_clock::now().time_since_epoch().count());
          fired_ = true;
          if (fault.kind == Fault::Kind::stall) {
            stalled = true;
            break;
          }
          if (fault.kind == Fault::Kind::reset) {
            close_with_reset(client);
            close_with_reset(server);
          } else {
            ::close(client);
            ::close(server);
          }
          return;
        }
        const ssize_t n = ::read(from_fd[d], buf, want);
        if (n <= 0) {
          closed = true;
          break;
        }
        if (fault.kind == Fault::Kind::latency && !sleep_for(fault.delay, stop)) break;
        if (!write_all(to_fd[d], buf, static_cast<size_t>(n), stop)) {
          closed = true;
          break;
        }
        passed[d] += static_cast<uint64_t>(n);
      }
      if (closed) break;
    }
    ::close(client);
    ::close(server);
  }

  static bool write_all(int fd, const char* data, size_t size, const std::stop_token& stop) {
    while (size > 0) {
      const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) {
          pollfd p{fd, POLLOUT, 0};
          ::poll(&p, 1, 50);
          if (stop.stop_requested()) return false;
          continue;
        }
        return false;
      }
      data += n;
      size -= static_cast<size_t>(n);
    }
    return true;
  }

  std::string host_;
  uint16_t target_port_;
  Fault fault_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::atomic<bool> fired_{false};
  std::atomic<int64_t> fired_at_{0};
  std::mutex mu_;
  std::list<std::jthread> pipes_;
  std::jthread acceptor_;
};

}  // namespace polydb::test
