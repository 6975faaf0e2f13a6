// A crash_worker child process for the crash-recovery and multi-process tests. Its stdin is a
// pipe whose closing asks it to stop (or, with --open-only, to start).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "support/e2e_support.hpp"

namespace duroxide::testing {

class WorkerProcess {
 public:
  /// Starts `crash_worker [args...] url`.
  explicit WorkerProcess(const std::string& url, const std::vector<std::string>& args = {}) {
    std::vector<std::string> argv_strings{DUROXIDE_CRASH_WORKER};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    argv_strings.push_back(url);
    std::vector<char*> argv;
    for (auto& arg : argv_strings) argv.push_back(arg.data());
    argv.push_back(nullptr);
    int fds[2];
    // Close-on-exec: a sibling worker started later must not inherit (and so keep open) this
    // worker's stdin, or closing it would never reach the worker.
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      // Only async-signal-safe calls between fork and exec.
      ::dup2(fds[0], STDIN_FILENO);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fds[0]);
    stdin_ = fds[1];
  }
  ~WorkerProcess() {
    if (pid_ > 0) kill_hard();
  }
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  void kill_hard() {
    ::kill(pid_, SIGKILL);
    reap();
  }
  /// Whether the worker is still running (has not exited or died).
  bool running() { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }
  /// Closes the worker's stdin: asks it to stop (or starts an --open-only worker).
  void close_stdin() {
    if (stdin_ >= 0) ::close(stdin_);
    stdin_ = -1;
  }
  /// Asks the worker to shut down, killing it if it has not exited within `grace`. Returns its
  /// exit code, or -1 when it had to be killed (or died of a signal).
  int stop(std::chrono::milliseconds grace = 10s) {
    close_stdin();
    int status = 0;
    if (!wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, grace)) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  void reap() {
    ::waitpid(pid_, nullptr, 0);
    close_stdin();
    pid_ = -1;
  }
  pid_t pid_ = -1;
  int stdin_ = -1;
};

}  // namespace duroxide::testing
