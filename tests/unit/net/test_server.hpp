#pragma once

// A minimal HTTP/1.1 server on 127.0.0.1 for HttpClient unit tests: one
// connection at a time, Content-Length and chunked request bodies,
// "Expect: 100-continue", keep-alive, and handlers that can stall.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "net/headers.hpp"

namespace polydb::net::testing {

/// A request as the server received it.
struct ReceivedRequest {
  std::string method;
  std::string target;
  Headers headers;
  std::string body;
  bool chunked = false;
};

/// Raw response bytes, or nullopt to stall: never answer and wait until the
/// client hangs up.
using TestHandler = std::function<std::optional<std::string>(const ReceivedRequest&)>;

/// "HTTP/1.1 <status> X" with the fields and a Content-Length body.
inline std::string http_response(int status, const std::string& body,
                                 const std::vector<std::string>& fields = {}) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " Status\r\n";
  for (const auto& f : fields) out += f + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return out;
}

/// A loopback port on which nothing listens (bound then closed).
inline std::uint16_t closed_loopback_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

class TestServer {
 public:
  explicit TestServer(TestHandler handler) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listen_fd_, 8) != 0)
      throw std::runtime_error("test server: cannot listen on 127.0.0.1");
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::jthread([this](std::stop_token stop) { serve(stop); });
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;
  ~TestServer() {
    thread_.request_stop();
    thread_.join();
    ::close(listen_fd_);
  }

  std::uint16_t port() const { return port_; }
  std::string url(const std::string& target = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + target;
  }
  int connections() const { return connections_.load(); }
  std::vector<ReceivedRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  // Waits until `fd` is readable; false on stop.
  static bool wait_readable(int fd, const std::stop_token& stop) {
    while (!stop.stop_requested()) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }

  // Reads until `buffer` holds `needle`, or EOF/stop (false).
  static bool read_until(int fd, std::string& buffer, const std::string& needle,
                         const std::stop_token& stop) {
    while (buffer.find(needle) == std::string::npos) {
      if (!wait_readable(fd, stop)) return false;
      char chunk[8192];
      const ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    return true;
  }

  static bool read_exactly(int fd, std::string& buffer, std::size_t size,
                           const std::stop_token& stop) {
    while (buffer.size() < size) {
      if (!wait_readable(fd, stop)) return false;
      char chunk[8192];
      const ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    return true;
  }

  static void write_all(int fd, const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }

  // One request from `buffer` (refilled from fd); nullopt at EOF/stop.
  static std::optional<ReceivedRequest> read_request(int fd, std::string& buffer,
                                                     const std::stop_token& stop) {
    if (!read_until(fd, buffer, "\r\n\r\n", stop)) return std::nullopt;
    const auto head_end = buffer.find("\r\n\r\n");
    const std::string head = buffer.substr(0, head_end);
    buffer.erase(0, head_end + 4);
    ReceivedRequest r;
    std::size_t line_start = 0;
    bool first = true;
    while (line_start <= head.size()) {
      auto line_end = head.find("\r\n", line_start);
      if (line_end == std::string::npos) line_end = head.size();
      const std::string line = head.substr(line_start, line_end - line_start);
      line_start = line_end + 2;
      if (first) {
        first = false;
        const auto s1 = line.find(' '), s2 = line.rfind(' ');
        r.method = line.substr(0, s1);
        r.target = line.substr(s1 + 1, s2 - s1 - 1);
        continue;
      }
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      r.headers.add(line.substr(0, colon), std::string(trim_http_space(line.substr(colon + 1))));
    }
    if (iequals(r.headers.get("Expect").value_or(""), "100-continue"))
      write_all(fd, "HTTP/1.1 100 Continue\r\n\r\n");
    if (auto length = r.headers.get("Content-Length")) {
      const std::size_t size = std::stoul(std::string(*length));
      if (!read_exactly(fd, buffer, size, stop)) return std::nullopt;
      r.body = buffer.substr(0, size);
      buffer.erase(0, size);
    } else if (iequals(r.headers.get("Transfer-Encoding").value_or(""), "chunked")) {
      r.chunked = true;
      for (;;) {
        if (!read_until(fd, buffer, "\r\n", stop)) return std::nullopt;
        const auto eol = buffer.find("\r\n");
        const std::size_t size = std::stoul(buffer.substr(0, eol), nullptr, 16);
        buffer.erase(0, eol + 2);
        if (!read_exactly(fd, buffer, size + 2, stop)) return std::nullopt;
        r.body += buffer.substr(0, size);
        buffer.erase(0, size + 2);
        if (size == 0) break;
      }
    }
    return r;
  }

  void serve(std::stop_token stop) {
    while (wait_readable(listen_fd_, stop)) {
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++connections_;
      std::string buffer;
      while (auto request = read_request(fd, buffer, stop)) {
        {
          std::lock_guard lock(mutex_);
          requests_.push_back(*request);
        }
        const std::optional<std::string> response = handler_(*request);
        if (!response) {
          // Stall: swallow input until the client gives up.
          std::string ignored;
          while (read_exactly(fd, ignored, ignored.size() + 1, stop)) {
          }
          break;
        }
        write_all(fd, *response);
      }
      ::close(fd);
    }
  }

  TestHandler handler_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::vector<ReceivedRequest> requests_;
  std::jthread thread_;
};

}  // namespace polydb::net::testing
