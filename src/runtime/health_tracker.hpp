#pragma once
// What Runtime::health() reports (docs/runtime.md "Errors on runtime threads"): the runtime's
// threads still alive, and the exceptions caught on them. Every catch site records here and logs;
// nothing caught stops a thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <duroxide/runtime_health.hpp>

namespace duroxide::runtime {

class HealthTracker {
 public:
  /// A runtime thread started / returned.
  void thread_started() {
    ++started_;
    ++alive_;
  }
  void thread_stopped() { --alive_; }

  /// Records (and logs at error level) an exception caught `where`; `what` says what it was.
  void record_error(std::string_view where, std::string_view what);

  RuntimeHealth snapshot() const;

 private:
  std::atomic<std::size_t> started_{0};
  std::atomic<std::size_t> alive_{0};
  mutable std::mutex mutex_;
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
