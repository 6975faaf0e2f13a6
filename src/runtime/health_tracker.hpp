#pragma once
// What Runtime::health() reports (docs/runtime.md "Errors on runtime threads"): the runtime's
// threads still alive, and the exceptions caught on them. Every catch site records here and logs;
// nothing caught stops a thread.

#include <chrono>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <duroxide/runtime_health.hpp>

namespace duroxide::runtime {

class HealthTracker {
 public:
  /// A runtime thread named `name` started; returns the id thread_stopped takes.
  std::size_t thread_started(std::string name);
  /// The thread `id` (from thread_started) returned.
  void thread_stopped(std::size_t id);

  /// Records (and logs at error level) an exception caught `where`; `what` says what it was.
  void record_error(std::string_view where, std::string_view what);

  RuntimeHealth snapshot() const;

 private:
  struct Thread {
    std::string name;
    bool alive = true;
  };
  mutable std::mutex mutex_;
  std::vector<Thread> threads_;  ///< in start order; /healthz names the stopped ones
  std::uint64_t errors_ = 0;
  std::optional<std::string> last_error_;
  std::optional<std::chrono::system_clock::time_point> last_error_at_;
};

/// The text of the exception being handled (call inside a catch block): what() of a
/// std::exception, else a note that it was not one.
std::string current_exception_text();

/// Runs `body`; an exception it throws (of any type) is recorded on `health` as caught `where`
/// and reported as false. Never throws.
template <class Body>
bool run_guarded(HealthTracker& health, std::string_view where, Body&& body) noexcept {
  try {
    body();
    return true;
  } catch (...) {
    try {
      health.record_error(where, current_exception_text());
    } catch (...) {  // recording must not throw out of a thread's loop (allocation failure)
    }
    return false;
  }
}

}  // namespace duroxide::runtime
