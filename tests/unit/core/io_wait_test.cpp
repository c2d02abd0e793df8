// wait_fd() and SocketStopper across threads: a stop requested on one thread
// ends a wait or a blocked read on another. On a socket pair, so no server is
// needed; also run under ThreadSanitizer (tests/tsan/).

#include "core/io_wait.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <latch>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <thread>

namespace polydb {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Two connected stream sockets, closed at the end of the test.
class SocketPair {
 public:
  SocketPair() {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_) != 0)
      throw std::runtime_error("socketpair failed");
  }
  ~SocketPair() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  SocketPair(const SocketPair&) = delete;
  SocketPair& operator=(const SocketPair&) = delete;
  int ours() const { return fds_[0]; }
  int theirs() const { return fds_[1]; }

 private:
  int fds_[2] = {-1, -1};
};

// A blocking read of one byte: 1, 0 at the end of the stream, -1 on an error.
ssize_t read_byte(int fd) {
  char c;
  return ::recv(fd, &c, 1, 0);
}

TEST(WaitFd, ReportsReadinessAndTimesOut) {
  SocketPair s;
  EXPECT_EQ(wait_fd(s.ours(), FdEvent::read, 30ms, {}), FdWait::timed_out);
  EXPECT_EQ(wait_fd(s.ours(), FdEvent::write, 30ms, {}), FdWait::ready);
  ASSERT_EQ(::send(s.theirs(), "x", 1, 0), 1);
  EXPECT_EQ(wait_fd(s.ours(), FdEvent::read, 30ms, {}), FdWait::ready);
}

TEST(WaitFd, AStopFromAnotherThreadEndsAnUnlimitedWaitWithinASlice) {
  SocketPair s;
  std::stop_source stop;
  std::latch waiting(1);
  std::optional<FdWait> result;
  Clock::duration waited{};
  std::jthread waiter([&] {
    waiting.count_down();
    const auto start = Clock::now();
    result = wait_fd(s.ours(), FdEvent::read, 0ms, stop.get_token());  // 0 = no limit
    waited = Clock::now() - start;
  });
  waiting.wait();
  std::this_thread::sleep_for(20ms);
  stop.request_stop();
  waiter.join();
  EXPECT_EQ(result, FdWait::stopped);
  EXPECT_LT(waited, 2s);  // one 100 ms slice after the request, with room for a loaded machine
}

// The connector's thread attaches its socket and blocks in a read; the stop
// arrives from another thread, before or during the read: either way the
// read returns (end of stream) instead of waiting for data that never comes.
TEST(SocketStopper, AStopFromAnotherThreadEndsABlockedRead) {
  SocketPair s;
  std::stop_source stop;
  std::latch attached(1);
  ssize_t got = 1;
  bool stopped = false;
  std::jthread connection([&] {
    SocketStopper stopper(stop.get_token());
    stopper.attach(s.ours());
    attached.count_down();
    got = read_byte(s.ours());
    stopped = stopper.stopped();
    stopper.detach();
  });
  attached.wait();
  stop.request_stop();
  connection.join();
  EXPECT_LE(got, 0);
  EXPECT_TRUE(stopped);
}

TEST(SocketStopper, ASocketAttachedAfterTheStopIsShutAtOnce) {
  SocketPair s;
  std::stop_source stop;
  stop.request_stop();
  SocketStopper stopper(stop.get_token());
  EXPECT_TRUE(stopper.stopped());
  stopper.attach(s.ours());
  EXPECT_LE(read_byte(s.ours()), 0);
}

TEST(SocketStopper, ADetachedSocketIsLeftAlone) {
  SocketPair s;
  std::stop_source stop;
  SocketStopper stopper(stop.get_token());
  stopper.attach(s.ours());
  stopper.detach();
  stop.request_stop();
  ASSERT_EQ(::send(s.theirs(), "x", 1, 0), 1);
  EXPECT_EQ(read_byte(s.ours()), 1);
}

// A stopper dies (its connection closes) while another thread requests the
// stop: the callback either ran to its end before or never runs, and never
// touches a dead stopper (ThreadSanitizer and ASan check the rest).
TEST(SocketStopper, DiesSafelyWhileAnotherThreadRequestsTheStop) {
  for (int i = 0; i < 200; ++i) {
    SocketPair s;
    std::stop_source stop;
    std::optional<SocketStopper> stopper;
    stopper.emplace(stop.get_token());
    stopper->attach(s.ours());
    std::jthread requester([&] { stop.request_stop(); });
    stopper.reset();
  }
}

}  // namespace
}  // namespace polydb
