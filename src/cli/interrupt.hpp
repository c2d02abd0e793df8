#pragma once

// Ctrl-C and SIGTERM for the commands that must end cleanly (copy, query).

#include <atomic>
#include <stop_token>
#include <thread>

namespace polydb::cli {

/// While it lives, SIGINT and SIGTERM become a stop request: token() is
/// stopped within about 100 ms of the first signal, and every connection
/// opened with it (ConnectOptions::stop) interrupts its blocked reads and
/// writes, so the command ends with Error(cancelled) within a second and a
/// transactional target is left unchanged. A second signal ends the process
/// at once (exit status 1), for the impatient and for a stop that does not
/// get through. A signal ignored at start-up (background jobs of a shell)
/// stays ignored. One guard at a time; not thread-safe itself.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  std::stop_token token() const noexcept { return source_.get_token(); }

 private:
  std::stop_source source_;
  int pipe_[2] = {-1, -1};
  std::jthread watcher_;  // last: stopped and joined first
};

}  // namespace polydb::cli
