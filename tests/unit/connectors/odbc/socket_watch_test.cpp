#include "connectors/odbc/socket_watch.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stop_token>
#include <thread>

namespace polydb::odbc {
namespace {

// A listening socket on a free loopback port and connections to it: real
// sockets, no server.
struct Listener {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  uint16_t port = 0;
  Listener() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd, 8), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
  int connect() const {
    const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    EXPECT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    return c;
  }
};

TEST(OdbcSocketWatchTest, FindsTheOneNewConnectionToTheServer) {
  Listener server, other;
  const int old = server.connect();  // there before the "connect": not the driver's
  const auto before = socket_inodes();
  const int mine = server.connect();
  const int unrelated = other.connect();
  FoundSocket f = find_driver_socket(before, {"127.0.0.1", server.port});
  EXPECT_EQ(f.fd, mine) << f.why_not;
  f = find_driver_socket(before, {"localhost", server.port});  // names resolve
  EXPECT_EQ(f.fd, mine) << f.why_not;
  // Two candidates (another thread connected at the same time): neither is taken.
  const int twin = server.connect();
  f = find_driver_socket(before, {"127.0.0.1", server.port});
  EXPECT_EQ(f.fd, -1);
  EXPECT_NE(f.why_not.find("2 new TCP connections"), std::string::npos) << f.why_not;
  f = find_driver_socket(before, {"127.0.0.1", std::nullopt});  // any port: three
  EXPECT_EQ(f.fd, -1);
  f = find_driver_socket(before, {"", std::nullopt});  // a DSN
  EXPECT_EQ(f.fd, -1);
  EXPECT_NE(f.why_not.find("no server host"), std::string::npos) << f.why_not;
  for (int fd : {old, mine, unrelated, twin}) ::close(fd);
}

TEST(OdbcSocketWatchTest, ASilentCallTimesOutAndAnIdleConnectionDoesNot) {
  Listener server;
  const int fd = server.connect();
  SocketWatch watch(std::chrono::milliseconds(300), {}, {});
  watch.attach(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));  // no call in flight
  EXPECT_FALSE(watch.timed_out());
  const auto started = std::chrono::steady_clock::now();
  {
    const auto busy = watch.busy();
    char byte;
    // Blocks until the watch shuts the socket down: recv then returns 0.
    EXPECT_EQ(::recv(fd, &byte, 1, 0), 0);
  }
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(watch.timed_out());
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  watch.detach();
  ::close(fd);
}

TEST(OdbcSocketWatchTest, AStopShutsTheSocketDownOrCancelsTheCallsInFlight) {
  Listener server;
  const int fd = server.connect();
  std::stop_source stop;
  SocketWatch watch(std::chrono::milliseconds(0), stop.get_token(), {});
  watch.attach(fd);
  std::jthread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop.request_stop();
  });
  char byte;
  EXPECT_EQ(::recv(fd, &byte, 1, 0), 0);
  EXPECT_TRUE(watch.stopped());
  EXPECT_FALSE(watch.timed_out());
  watch.detach();
  ::close(fd);

  // No socket: the handles in flight are cancelled instead.
  std::stop_source stop2;
  int marker = 0;
  std::vector<void*> cancelled;
  SocketWatch blind(std::chrono::milliseconds(0), stop2.get_token(),
                    [&](void* h) { cancelled.push_back(h); });
  {
    const auto busy = blind.busy(&marker);
    stop2.request_stop();
  }
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0], &marker);
}

}  // namespace
}  // namespace polydb::odbc
