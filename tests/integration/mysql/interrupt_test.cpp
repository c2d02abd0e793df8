// Stalls, stop requests and connect timeouts against the real server: a small
// TCP proxy in a thread (127.0.0.1 only) forwards to the test server until
// told to stall, then keeps both sockets open and forwards nothing, as a
// hung network or server would.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <stop_token>
#include <thread>

#include "fixture.hpp"

namespace polydb::mytest {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A listening socket on 127.0.0.1 (an ephemeral port) that accepts nothing.
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd_); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  int fd() const { return fd_; }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// Forwards one client connection to the server at `server_port` until
// stall() is called; from then on it moves no byte but keeps both sockets open.
class StallingProxy {
 public:
  explicit StallingProxy(uint16_t server_port)
      : thread_([this, server_port](std::stop_token stop) { run(stop, server_port); }) {}
  ~StallingProxy() {
    thread_.request_stop();
    thread_.join();
  }
  uint16_t port() const { return listener_.port(); }
  void stall() { stalled_ = true; }

 private:
  void run(std::stop_token stop, uint16_t server_port) {
    pollfd l{listener_.fd(), POLLIN, 0};
    while (!stop.stop_requested() && ::poll(&l, 1, 50) <= 0) {
    }
    if (stop.stop_requested()) return;
    const int client = ::accept(listener_.fd(), nullptr, nullptr);
    const int server = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(server_port);
    if (client < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ADD_FAILURE() << "the proxy cannot reach the server";
      return;
    }
    char buf[65536];
    bool open = true;
    while (!stop.stop_requested()) {
      if (stalled_ || !open) {
        std::this_thread::sleep_for(20ms);
        continue;
      }
      pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (::poll(fds, 2, 50) <= 0) continue;
      for (int k = 0; k < 2 && open && !stalled_; ++k) {
        if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const ssize_t n = ::read(fds[k].fd, buf, sizeof buf);
        if (n <= 0) {
          open = false;
          break;
        }
        const int to = k == 0 ? server : client;
        for (ssize_t done = 0; done < n;) {
          const ssize_t w = ::write(to, buf + done, static_cast<size_t>(n - done));
          if (w <= 0) {
            open = false;
            break;
          }
          done += w;
        }
      }
    }
    ::close(client);
    ::close(server);
  }

  Listener listener_;
  std::atomic<bool> stalled_{false};
  std::jthread thread_;  // last: joined before the rest dies
};

class MysqlInterrupt : public MysqlTest {
 protected:
  // The test database's URL through `proxy`, with extra options.
  std::string via(const StallingProxy& proxy, const std::string& options) const {
    Uri u = Uri::parse(url_);
    u.port = proxy.port();
    return u.to_string_with_secrets() + "?" + options;
  }
  uint16_t server_port() const { return Uri::parse(server_).port.value_or(3306); }
};

TEST_F(MysqlInterrupt, AStalledReadEndsWithATimeoutNamingTheOption) {
  conn_->execute("CREATE TABLE big (id INT PRIMARY KEY, s VARCHAR(200))");
  conn_->execute("INSERT INTO big SELECT seq, REPEAT('x', 200) FROM seq_1_to_100000");  // ~20 MB
  StallingProxy proxy(server_port());
  auto c = connect(via(proxy, "read-timeout=1"));
  QueryOptions o;
  o.batch_rows = 1000;
  o.exclusive = true;  // streamed: the rest of the rows are still on the wire
  auto r = c->query("SELECT id, s FROM big ORDER BY id", {}, o);
  ASSERT_TRUE(r->next().has_value());
  proxy.stall();
  const auto start = Clock::now();
  const Error e = error_of([&] {
    while (r->next()) {
    }
  });
  const auto took = Clock::now() - start;
  EXPECT_EQ(e.code(), ErrorCode::timeout) << e.what();
  EXPECT_TRUE(e.retryable());
  EXPECT_NE(e.message().find("timeout"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("read-timeout"), std::string::npos) << e.what();
  EXPECT_LT(took, 3s) << "read-timeout=1 plus 2 s at most";
}

TEST_F(MysqlInterrupt, AStopRequestEndsAStalledRead) {
  StallingProxy proxy(server_port());
  std::stop_source stop;
  ConnectOptions options;
  options.stop = stop.get_token();
  auto c = connect(via(proxy, "read-timeout=60"), options);
  EXPECT_EQ(c->execute("SELECT 1", {}), 0u);
  proxy.stall();
  Clock::time_point stopped_at;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(500ms);
    stopped_at = Clock::now();
    stop.request_stop();
  });
  const Error e = error_of([&] { c->execute("SELECT 2", {}); });
  const auto took = Clock::now() - stopped_at;
  stopper.join();
  EXPECT_EQ(e.code(), ErrorCode::cancelled) << e.what();
  EXPECT_LT(took, 1s) << "a stop request ends a blocked read at once";
  // A connection stopped before it connects does not try.
  const Error again = error_of([&] { connect(url_, options); });
  EXPECT_EQ(again.code(), ErrorCode::cancelled) << again.what();
}

TEST_F(MysqlInterrupt, AStopRequestEndsAServerSideWaitAndSnapshotReaders) {
  std::stop_source stop;
  ConnectOptions options;
  options.stop = stop.get_token();
  auto c = connect(url_, options);
  auto readers = c->open_snapshot_readers(1);
  std::jthread stopper([&] {
    std::this_thread::sleep_for(500ms);
    stop.request_stop();
  });
  const auto start = Clock::now();
  // The snapshot connection inherits the stop token.
  const Error e = error_of([&] {
    auto r = readers[0]->query("SELECT SLEEP(30)", {}, {});
    r->next();
  });
  EXPECT_EQ(e.code(), ErrorCode::cancelled) << e.what();
  EXPECT_LT(Clock::now() - start, 1500ms);
}

TEST_F(MysqlInterrupt, ASlowServerStatementTimesOutToo) {
  auto c = connect(url_ + "?read-timeout=1");
  const auto start = Clock::now();
  const Error e = error_of([&] { c->execute("SELECT SLEEP(10)", {}); });
  EXPECT_EQ(e.code(), ErrorCode::timeout) << e.what();
  EXPECT_NE(e.message().find("read-timeout=1"), std::string::npos) << e.what();
  EXPECT_LT(Clock::now() - start, 3s);
}

TEST_F(MysqlInterrupt, AStreamedResultLeftEarlyIsNotReadToTheEnd) {
  QueryOptions o;
  o.exclusive = true;  // streamed, no server cursor
  auto r = conn_->query("SELECT seq, REPEAT('x', 200) AS s FROM seq_1_to_20000000", {}, o);
  ASSERT_TRUE(r->next().has_value());
  const auto start = Clock::now();
  r.reset();  // 4 GB still to come: draining them would take minutes
  EXPECT_LT(Clock::now() - start, 2s);
  // The connection stays usable.
  auto again = conn_->query("SELECT 42", {}, {});
  EXPECT_EQ(collect_rows(*again).at(0).at(0).to_text(), "42");
}

TEST(MysqlConnectTimeout, AServerThatNeverAnswersTimesOutOnceNamingTheOption) {
  Listener silent;  // the handshake never starts
  Uri u = Uri::parse(server_url());
  u.port = silent.port();
  const auto start = Clock::now();
  const Error e = error_of([&] { connect(u.to_string_with_secrets() + "?connect-timeout=2"); });
  const auto took = Clock::now() - start;
  EXPECT_EQ(e.code(), ErrorCode::timeout) << e.what();
  EXPECT_NE(e.message().find("timeout"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("connect-timeout=2"), std::string::npos) << e.what();
  EXPECT_GE(took, 1900ms);
  EXPECT_LT(took, 3s) << "one attempt within the timeout, not three";
}

}  // namespace
}  // namespace polydb::mytest
