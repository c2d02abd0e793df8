#include "core/io_wait.hpp"

#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <charconv>
#include <cmath>
#include <cstring>

namespace polydb {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kSlice{100};

std::string seconds_text(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000);
  return fmt::format("{:.3g}", static_cast<double>(d.count()) / 1000);
}

}  // namespace

std::chrono::milliseconds read_timeout_option(const Uri& uri, std::chrono::milliseconds fallback) {
  const auto text = uri.option("read-timeout");
  if (!text) return fallback;
  double seconds = -1;
  const char* end = text->data() + text->size();
  const auto [p, ec] = std::from_chars(text->data(), end, seconds);
  if (text->empty() || ec != std::errc() || p != end || !std::isfinite(seconds) || seconds < 0 ||
      seconds > 30 * 24 * 3600.0)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("read-timeout={} is not a number of seconds between 0 (no limit) and "
                            "2592000",
                            *text));
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(seconds * 1000)));
}

FdWait wait_fd(int fd, FdEvent event, std::chrono::milliseconds timeout, std::stop_token stop) {
  const bool limited = timeout.count() > 0;
  const auto deadline = Clock::now() + timeout;
  pollfd p{};
  p.fd = fd;
  p.events = event == FdEvent::read    ? POLLIN
             : event == FdEvent::write ? POLLOUT
                                       : static_cast<short>(POLLIN | POLLOUT);
  while (true) {
    if (stop.stop_requested()) return FdWait::stopped;
    auto slice = kSlice;
    if (limited) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return FdWait::timed_out;
      slice = std::min(slice, left);
    }
    p.revents = 0;
    const int n = ::poll(&p, 1, static_cast<int>(slice.count()));
    if (n > 0) return FdWait::ready;
    if (n < 0 && errno != EINTR)
      throw Error(ErrorCode::io, fmt::format("cannot wait on a socket: {}", std::strerror(errno)));
  }
}

bool sleep_unless_stopped(std::chrono::milliseconds delay, std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  return !cv.wait_for(lock, stop, delay, [] { return false; }) && !stop.stop_requested();
}

Error idle_timeout_error(std::string_view backend, std::string_view where,
                         std::chrono::milliseconds timeout, std::string_view doing) {
  const std::string s = seconds_text(timeout);
  return Error(ErrorCode::timeout,
               fmt::format("timeout: {} on {} got nothing for {} s; the server or the network "
                           "has stalled (read-timeout={}; set ?read-timeout=SECONDS on the URL "
                           "to wait longer, 0 to wait forever)",
                           doing, where, s, s),
               std::string(backend))
      .set_retryable(true);
}

Error stop_requested_error(std::string_view backend, std::string_view where) {
  return Error(ErrorCode::cancelled, fmt::format("interrupted while talking to {}", where),
               std::string(backend));
}

void enable_tcp_keepalive(int fd) noexcept {
  if (fd < 0) return;
  int on = 1, idle = kKeepaliveIdleSeconds, interval = kKeepaliveIntervalSeconds,
      count = kKeepaliveCount;
  if (::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0) return;
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

SocketStopper::SocketStopper(std::stop_token stop) : stop_(std::move(stop)) {
  if (stop_.stop_possible()) callback_.emplace(stop_, Callback{this});
}

SocketStopper::~SocketStopper() { callback_.reset(); }

void SocketStopper::attach(int fd) {
  std::lock_guard lock(mu_);
  fd_ = fd;
  if (fd_ >= 0 && stop_.stop_requested()) ::shutdown(fd_, SHUT_RDWR);
}

void SocketStopper::on_stop() noexcept {
  std::lock_guard lock(mu_);
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

}  // namespace polydb
