// Gate: holds test activities until the test opens it (tests/e2e).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace duroxide::testing {

/// Holds activities until the test opens it. The wait ignores the activity's stop token (these
/// activities outlive their cancellation on purpose) and is bounded, so that a failed test cannot
/// leave one blocked for ever.
class Gate {
 public:
  void close() {
    std::lock_guard lock(mutex_);
    open_ = false;
  }
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, std::chrono::minutes(1), [&] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

/// Opens the gate when the test leaves its scope, however it leaves it.
struct OpenOnExit {
  Gate& gate;
  ~OpenOnExit() { gate.open(); }
};

}  // namespace duroxide::testing
