#include "connectors/odbc/socket_watch.hpp"

// <linux/tcp.h> rather than <netinet/tcp.h>: glibc's struct tcp_info stops
// before the byte counters (Linux 4.2 and later fill them).
#include <arpa/inet.h>
#include <dirent.h>
#include <fmt/format.h>
#include <linux/tcp.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <string_view>
#include <utility>

#include "core/log.hpp"

namespace polydb::odbc {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kSlice{100};

// The inode of "socket:[12345]", the link text of a socket in /proc/self/fd.
std::optional<ino_t> socket_inode_of_link(std::string_view link) {
  constexpr std::string_view kPrefix = "socket:[";
  if (!link.starts_with(kPrefix) || !link.ends_with(']')) return std::nullopt;
  const std::string_view digits = link.substr(kPrefix.size(), link.size() - kPrefix.size() - 1);
  ino_t inode = 0;
  const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), inode);
  if (ec != std::errc() || p != digits.data() + digits.size()) return std::nullopt;
  return inode;
}

// Calls fn(fd, inode) for each socket in /proc/self/fd.
template <class Fn>
void for_each_socket(Fn&& fn) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return;
  const int own = ::dirfd(dir);
  while (const dirent* e = ::readdir(dir)) {
    int fd = -1;
    const std::string_view name = e->d_name;
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc() || fd == own)
      continue;
    char link[64];
    const std::string path = fmt::format("/proc/self/fd/{}", fd);
    const ssize_t n = ::readlink(path.c_str(), link, sizeof link);
    if (n <= 0 || static_cast<size_t>(n) >= sizeof link) continue;
    if (const auto inode = socket_inode_of_link({link, static_cast<size_t>(n)})) fn(fd, *inode);
  }
  ::closedir(dir);
}

bool same_address(const sockaddr_storage& a, const sockaddr* b) {
  // IPv4 addresses compare equal to their IPv4-mapped IPv6 form.
  const auto v4 = [](const sockaddr* s, in_addr& out) {
    if (s->sa_family == AF_INET) {
      out = reinterpret_cast<const sockaddr_in*>(s)->sin_addr;
      return true;
    }
    const auto* s6 = reinterpret_cast<const sockaddr_in6*>(s);
    if (s->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
      std::memcpy(&out, s6->sin6_addr.s6_addr + 12, sizeof out);
      return true;
    }
    return false;
  };
  const auto* sa = reinterpret_cast<const sockaddr*>(&a);
  in_addr x{}, y{};
  if (v4(sa, x) && v4(b, y)) return x.s_addr == y.s_addr;
  if (sa->sa_family == AF_INET6 && b->sa_family == AF_INET6)
    return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr,
                       &reinterpret_cast<const sockaddr_in6*>(b)->sin6_addr, sizeof(in6_addr)) == 0;
  return false;
}

uint16_t port_of(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&a)->sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&a)->sin6_port);
  return 0;
}

ino_t inode_of(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) ? st.st_ino : 0;
}

}  // namespace

std::set<ino_t> socket_inodes() {
  std::set<ino_t> out;
  for_each_socket([&](int, ino_t inode) { out.insert(inode); });
  return out;
}

FoundSocket find_driver_socket(const std::set<ino_t>& before, const SocketTarget& target) {
  if (target.host.empty())
    return {-1, "the connection string names no server host (a DSN or a Unix socket)"};
  std::string host = target.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* resolved = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &resolved); rc != 0)
    return {-1, fmt::format("cannot resolve {}: {}", host, ::gai_strerror(rc))};
  const std::string where =
      target.port ? fmt::format("{}:{}", target.host, *target.port) : target.host;
  std::vector<int> found;
  for_each_socket([&](int fd, ino_t inode) {
    if (before.contains(inode)) return;
    int type = 0;
    socklen_t len = sizeof type;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) return;
    sockaddr_storage peer{};
    len = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) return;
    if (peer.ss_family != AF_INET && peer.ss_family != AF_INET6) return;
    if (target.port && port_of(peer) != *target.port) return;
    for (const addrinfo* a = resolved; a; a = a->ai_next)
      if (same_address(peer, a->ai_addr)) {
        found.push_back(fd);
        return;
      }
  });
  ::freeaddrinfo(resolved);
  if (found.size() == 1) return {found[0], {}};
  if (found.empty())
    return {-1, fmt::format("no new TCP connection to {} appeared during the connect", where)};
  return {-1, fmt::format("{} new TCP connections to {} appeared during the connect (another "
                          "thread connected there at the same time)",
                          found.size(), where)};
}

SocketWatch::SocketWatch(std::chrono::milliseconds idle_limit, std::stop_token stop,
                         std::function<void(void*)> cancel)
    : idle_limit_(idle_limit), cancel_(std::move(cancel)), stopper_(stop) {
  if (stop.stop_possible()) stop_callback_.emplace(stop, OnStop{this});
}

SocketWatch::~SocketWatch() {
  stop_callback_.reset();
  if (timer_.joinable()) {
    timer_.request_stop();
    timer_.join();
  }
  stopper_.detach();
}

void SocketWatch::attach(int fd) {
  enable_tcp_keepalive(fd);
  {
    std::lock_guard lock(mu_);
    fd_ = fd;
    inode_ = inode_of(fd);
  }
  stopper_.attach(fd);
  if (idle_limit_.count() > 0 && !timer_.joinable())
    timer_ = std::jthread([this](std::stop_token own) { watch(own); });
}

void SocketWatch::detach() {
  stopper_.detach();
  std::lock_guard lock(mu_);
  fd_ = -1;
  inode_ = 0;
}

void SocketWatch::forget_if_closed() {
  bool closed = false;
  {
    std::lock_guard lock(mu_);
    closed = fd_ >= 0 && inode_of(fd_) != inode_;
  }
  if (closed) {
    logger("odbc")->debug("the driver closed its socket: no longer watching it");
    detach();
  }
}

bool SocketWatch::has_socket() const {
  std::lock_guard lock(mu_);
  return fd_ >= 0;
}

SocketWatch::Busy SocketWatch::busy(void* handle) {
  std::lock_guard lock(mu_);
  if (busy_++ == 0) {
    since_ = Clock::now();
    if (fd_ >= 0) last_ = progress(fd_);
    wake_.notify_all();
  }
  in_flight_.push_back(handle);
  return Busy(this, handle);
}

SocketWatch::Busy::~Busy() {
  if (watch_) watch_->leave(handle_);
}

void SocketWatch::leave(void* handle) noexcept {
  std::lock_guard lock(mu_);
  --busy_;
  const auto it = std::find(in_flight_.begin(), in_flight_.end(), handle);
  if (it != in_flight_.end()) in_flight_.erase(it);
}

SocketWatch::Progress SocketWatch::progress(int fd) noexcept {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0 ||
      len < offsetof(tcp_info, tcpi_bytes_received) + sizeof info.tcpi_bytes_received)
    return {};
  return {info.tcpi_bytes_received, info.tcpi_bytes_acked};
}

void SocketWatch::watch(std::stop_token own) {
  const auto slice = std::clamp(idle_limit_ / 4, std::chrono::milliseconds(10), kSlice);
  std::unique_lock lock(mu_);
  while (!own.stop_requested()) {
    if (busy_ == 0 || fd_ < 0 || timed_out_) {
      wake_.wait(lock, own, [&] { return busy_ > 0 && fd_ >= 0 && !timed_out_; });
      continue;
    }
    wake_.wait_for(lock, own, slice, [] { return false; });
    if (busy_ == 0 || fd_ < 0) continue;
    if (inode_of(fd_) != inode_) {  // the driver closed it: nothing left to watch
      stopper_.detach();
      fd_ = -1;
      continue;
    }
    const Progress now = progress(fd_);
    if (now != last_) {
      last_ = now;
      since_ = Clock::now();
      continue;
    }
    if (Clock::now() - since_ < idle_limit_) continue;
    logger("odbc")->debug("nothing received or sent for {} ms: shutting the driver's socket down",
                          idle_limit_.count());
    timed_out_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    // Shut down already: a later stop request has nothing left to do on it,
    // and the driver may close it (and the number be reused) at any time.
    stopper_.detach();
    fd_ = -1;
  }
}

void SocketWatch::on_stop() noexcept {
  // The stopper shuts the socket down; without one, ask the driver.
  std::lock_guard lock(mu_);
  if (fd_ >= 0 || !cancel_) return;
  for (void* handle : in_flight_)
    if (handle) cancel_(handle);
}

}  // namespace polydb::odbc
