#include "runtime/live_thread_count.hpp"

namespace duroxide::runtime {

void LiveThreadCount::add() {
  std::lock_guard lock(mutex_);
  ++count_;
}

void LiveThreadCount::remove() {
  std::lock_guard lock(mutex_);
  --count_;
  cv_.notify_all();
}

bool LiveThreadCount::wait_until_zero(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  if (deadline == std::chrono::steady_clock::time_point::max()) {
    cv_.wait(lock, [&] { return count_ == 0; });
    return true;
  }
  return cv_.wait_until(lock, deadline, [&] { return count_ == 0; });
}

}  // namespace duroxide::runtime
