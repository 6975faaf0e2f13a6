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

std::size_t HealthTracker::thread_started(std::string name) {
  std::lock_guard lock(mutex_);
  threads_.push_back(Thread{std::move(name)});
  return threads_.size() - 1;
}

void HealthTracker::thread_stopped(std::size_t id) {
  std::lock_guard lock(mutex_);
  threads_[id].alive = false;
}

RuntimeHealth HealthTracker::snapshot() const {
  RuntimeHealth health;
  std::lock_guard lock(mutex_);
  health.threads_started = threads_.size();
  for (const auto& thread : threads_) {
    if (thread.alive) {
      ++health.threads_alive;
    } else {
      health.stopped_threads.push_back(thread.name);
    }
  }
  health.all_threads_alive = health.threads_started > 0 && health.threads_alive == health.threads_started;
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
