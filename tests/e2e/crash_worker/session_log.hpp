// Evidence for "no session ran on two processes at once": the session-bound activity of the
// mixed workflow appends a begin and an end line per run to its process's own file, outside the
// store (so the store under test cannot vouch for itself). The multi-node test reads every
// process's file and checks that runs of one session on different processes never overlap.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace duroxide::testing::crash {

/// Nanoseconds of CLOCK_REALTIME: one clock for every process on the machine, so lines written by
/// different processes compare.
inline std::int64_t wall_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

/// Appends lines "B|E <session> <run> <ns>" to one file. Each line is one O_APPEND write, so a
/// SIGKILL leaves whole lines only.
class SessionLog {
 public:
  explicit SessionLog(const std::string& path) : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644)) {
    if (fd_ < 0) throw std::runtime_error("cannot open session log " + path);
  }
  ~SessionLog() { ::close(fd_); }
  SessionLog(const SessionLog&) = delete;
  SessionLog& operator=(const SessionLog&) = delete;

  void begin(const std::string& session, const std::string& run) { line('B', session, run); }
  void end(const std::string& session, const std::string& run) { line('E', session, run); }

 private:
  void line(char kind, const std::string& session, const std::string& run) {
    const auto text = fmt::format("{} {} {} {}\n", kind, session, run, wall_ns());
    // The evidence must not be lost silently: a short write shows up as a missing run in the test.
    [[maybe_unused]] const auto written = ::write(fd_, text.data(), text.size());
  }
  int fd_;
};

/// One run of a session activity as a process's log shows it: [begin, end] in wall_ns().
struct SessionRun {
  std::string session;
  std::string run;  ///< "<instance>#<activity id>"
  std::int64_t begin = 0;
  std::int64_t end = 0;
  bool ended = false;  ///< false when the process died (or stopped) during the run
};

/// Reads one process's log. A run without an end line ends at `dead_at` (when the process was
/// known to be gone): a run cannot outlive its process.
inline std::vector<SessionRun> read_session_log(const std::string& path, std::int64_t dead_at) {
  std::ifstream in(path);
  std::map<std::string, SessionRun> by_run;
  std::vector<SessionRun> runs;
  char kind = 0;
  std::string session;
  std::string run;
  std::int64_t ns = 0;
  while (in >> kind >> session >> run >> ns) {
    if (kind == 'B') {
      by_run[run] = SessionRun{session, run, ns, dead_at, false};
    } else if (auto it = by_run.find(run); it != by_run.end()) {
      it->second.end = ns;
      it->second.ended = true;
      runs.push_back(it->second);
      by_run.erase(it);
    }
  }
  for (auto& [_, open] : by_run) runs.push_back(open);
  return runs;
}

}  // namespace duroxide::testing::crash
