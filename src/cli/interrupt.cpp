#include "cli/interrupt.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>

#include "core/io_wait.hpp"
#include "polydb/error.hpp"

namespace polydb::cli {

namespace {

// A signal handler may only touch lock-free atomics and call async-signal-safe
// functions (write, _exit): stop_source::request_stop() takes locks and runs
// callbacks, so the handler writes a byte to a pipe and a watcher thread makes
// the stop request.
std::atomic<bool> g_interrupted{false};
std::atomic<int> g_pipe_write{-1};
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free);

void on_signal(int) {
  const int saved = errno;
  if (g_interrupted.exchange(true)) {
    static constexpr char kMessage[] = "polydb: error: interrupted again: stopping at once\n";
    ssize_t n = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    (void)n;
    ::_exit(1);
  }
  if (const int fd = g_pipe_write.load(); fd >= 0) {
    const char byte = 1;
    ssize_t n = ::write(fd, &byte, 1);
    (void)n;
  }
  errno = saved;
}

struct sigaction g_old_int {};
struct sigaction g_old_term {};

// No SA_RESTART: a blocking system call returns EINTR at once instead of
// resuming (the stop request still does the real work).
void install(int signo, struct sigaction& old) {
  sigaction(signo, nullptr, &old);
  if (old.sa_handler == SIG_IGN) return;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(signo, &sa, nullptr);
}

}  // namespace

InterruptGuard::InterruptGuard() {
  g_interrupted.store(false);
  // One pipe for the life of the process, never closed: a handler running on
  // another thread while a guard ends may still write to it safely.
  static const std::array<int, 2> fds = [] {
    std::array<int, 2> p{-1, -1};
    if (::pipe2(p.data(), O_CLOEXEC | O_NONBLOCK) != 0)
      throw Error(ErrorCode::internal, "cannot create the pipe for interrupt handling");
    return p;
  }();
  pipe_[0] = fds[0];
  pipe_[1] = fds[1];
  char stale[64];
  while (::read(pipe_[0], stale, sizeof stale) > 0) {
  }
  g_pipe_write.store(pipe_[1]);
  install(SIGINT, g_old_int);
  install(SIGTERM, g_old_term);
  watcher_ = std::jthread([this](std::stop_token own) {
    // The destructor wakes it with a byte of its own (else wait_fd's 100 ms
    // slices would hold every command's exit up to 100 ms).
    while (!own.stop_requested()) {
      if (wait_fd(pipe_[0], FdEvent::read, std::chrono::milliseconds(0), own) != FdWait::ready)
        continue;
      char byte;
      if (::read(pipe_[0], &byte, 1) == 1) {
        if (own.stop_requested()) return;  // the guard ends
        source_.request_stop();
        return;
      }
    }
  });
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
  g_pipe_write.store(-1);
  watcher_.request_stop();
  const char wake = 0;
  ssize_t n = ::write(pipe_[1], &wake, 1);
  (void)n;
  if (watcher_.joinable()) watcher_.join();
}

}  // namespace polydb::cli
