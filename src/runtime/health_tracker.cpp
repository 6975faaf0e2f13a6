#include "runtime/health_tracker.hpp"

#include <fmt/format.h>

#include "logging/loggers.hpp"

namespace duroxide::runtime {

void HealthTracker::record_error(std::string_view where, std::string_view what) {
  logging::runtime().error("runtime caught an exception in {} and carried on: {}", where, what);
  std::lock_guard lock(mutex_);
  ++errors_;
  last_error_ = fmt::format("{}: {}", where, what);
  last_error_at_ = std::chrono::system_clock::now();
}

RuntimeHealth HealthTracker::snapshot() const {
  RuntimeHealth health;
  health.threads_started = started_.load();
  health.threads_alive = alive_.load();
  health.all_threads_alive = health.threads_started > 0 && health.threads_alive == health.threads_started;
  std::lock_guard lock(mutex_);
  health.errors_caught = errors_;
  health.last_error = last_error_;
  health.last_error_at = last_error_at_;
  return health;
}

std::string current_exception_text() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

}  // namespace duroxide::runtime
