#pragma once

// Running the polydb executable (POLYDB_EXE) from end-to-end tests: a child
// process with stdout and stderr captured through pipes, a timeout, and
// temporary directories to run it in.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace polydb::e2e {

/// What a finished polydb process did.
struct RunResult {
  int status = -1;  ///< exit status, or -1 when killed by a signal
  int signal = 0;   ///< the signal that ended the process, if any
  bool timed_out = false;
  std::string out;
  std::string err;
};

inline std::ostream& operator<<(std::ostream& os, const RunResult& r) {
  return os << "status " << r.status << (r.signal ? " signal " + std::to_string(r.signal) : "")
            << (r.timed_out ? " (timed out)" : "") << "\n--- stdout:\n"
            << r.out << "\n--- stderr:\n"
            << r.err;
}

/// A running polydb process with its stdout and stderr captured through pipes.
class Process {
 public:
  Process(const std::vector<std::string>& args, const std::filesystem::path& cwd) {
    // POLYDB_TEST_EXE: another polydb binary (e.g. a copy, so that a long
    // acceptance run is not disturbed by a rebuild).
    const char* exe = std::getenv("POLYDB_TEST_EXE");
    std::vector<std::string> argv_store{exe && *exe ? exe : POLYDB_EXE};
    argv_store.insert(argv_store.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_store) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string dir = cwd.string();

    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      // Child: only async-signal-safe calls until exec.
      dup2(out[1], STDOUT_FILENO);
      dup2(err[1], STDERR_FILENO);
      const int null_fd = open("/dev/null", O_RDONLY);
      if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
      if (chdir(dir.c_str()) != 0) _exit(126);
      // A test runner started in the background may have SIGINT ignored,
      // which exec would pass on.
      signal(SIGINT, SIG_DFL);
      signal(SIGTERM, SIG_DFL);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
  }

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  ~Process() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_fd_ >= 0) close(out_fd_);
    if (err_fd_ >= 0) close(err_fd_);
  }

  void send(int sig) const { kill(pid_, sig); }
  pid_t pid() const noexcept { return pid_; }
  /// True until the process exits (a zombie that wait() has not reaped yet
  /// counts as exited).
  bool running() const {
    if (pid_ <= 0) return false;
    std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
    std::string line;
    std::getline(stat, line);
    const size_t paren = line.rfind(')');  // the state follows the command's name
    return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
  }

  // Reads both pipes until the process closes them, then reaps it. Kills it
  // after `timeout`.
  RunResult wait(std::chrono::milliseconds timeout = std::chrono::seconds(120)) {
    RunResult r;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out_fd_ >= 0 || err_fd_ >= 0) {
      pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= std::chrono::milliseconds(0)) {
        r.timed_out = true;
        kill(pid_, SIGKILL);
        break;
      }
      if (poll(fds, 2, static_cast<int>(std::min<int64_t>(left.count(), 100))) < 0) continue;
      drain(fds[0], out_fd_, r.out);
      drain(fds[1], err_fd_, r.err);
    }
    int wstatus = 0;
    waitpid(pid_, &wstatus, 0);
    pid_ = -1;
    if (WIFEXITED(wstatus)) r.status = WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus)) r.signal = WTERMSIG(wstatus);
    return r;
  }

 private:
  static void drain(const pollfd& p, int& fd, std::string& into) {
    if (fd < 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR))) return;
    char buf[65536];
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      close(fd);
      fd = -1;
    }
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
};

/// A new empty directory under the system's temporary directory.
inline std::filesystem::path make_temp_dir(const char* prefix) {
  std::string templ = (std::filesystem::temp_directory_path() / (std::string(prefix) + "XXXXXX")).string();
  if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp");
  return templ;
}

}  // namespace polydb::e2e
