#include "connectors/mysql/tls_probe.hpp"

#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "connectors/common/handles.hpp"
#include "polydb/error.hpp"

namespace polydb::mysql {

namespace {

constexpr uint16_t kClientSsl = 0x0800;  // capability flag, lower 16 bits

// Owns a socket descriptor.
struct Socket {
  int fd;
  explicit Socket(int f) : fd(f) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() { ::close(fd); }
};

[[noreturn]] void unreachable(const std::string& host, uint16_t port, std::string_view why) {
  throw Error(ErrorCode::connection,
              fmt::format("cannot read the greeting of {}:{} ({}; is the server running?)", host,
                          port, why),
              "mysql");
}

int connect_tcp(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found))
    unreachable(host, port, ::gai_strerror(rc));
  std::unique_ptr<addrinfo, Free<&::freeaddrinfo>> list(found);
  int err = 0;
  for (const addrinfo* a = found; a; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) return fd;
    err = errno;
    ::close(fd);
  }
  unreachable(host, port, std::strerror(err));
}

}  // namespace

bool server_offers_tls(const std::string& host, uint16_t port, std::chrono::milliseconds timeout) {
  const Socket socket(connect_tcp(host, port));
  // Greeting: 3-byte length, sequence id, protocol version 10, server version
  // (NUL-terminated), thread id (4), scramble (8), filler (1), capabilities (2).
  std::vector<unsigned char> packet;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto complete = [&] {
    return packet.size() >= 4 &&
           packet.size() >= 4 + static_cast<size_t>(packet[0] | packet[1] << 8 | packet[2] << 16);
  };
  while (!complete()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{.fd = socket.fd, .events = POLLIN, .revents = 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      unreachable(host, port, "no greeting in time");
    unsigned char buf[512];
    const ssize_t n = ::read(socket.fd, buf, sizeof buf);
    if (n <= 0) unreachable(host, port, "the server closed the connection");
    packet.insert(packet.end(), buf, buf + n);
  }
  if (packet[4] != 10) unreachable(host, port, "not a MySQL protocol 10 greeting");
  const auto nul = std::find(packet.begin() + 5, packet.end(), 0);
  const size_t caps = static_cast<size_t>(nul - packet.begin()) + 1 + 4 + 8 + 1;
  if (nul == packet.end() || caps + 2 > packet.size())
    unreachable(host, port, "a greeting too short to hold the capabilities");
  return ((packet[caps] | packet[caps + 1] << 8) & kClientSsl) != 0;
}

}  // namespace polydb::mysql
