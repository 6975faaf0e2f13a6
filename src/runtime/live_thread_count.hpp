#pragma once
// Counts the threads that may still run activity code: a worker slot's thread retired while its
// activity overstayed a cancellation grace period or shutdown's deadline counts until the activity
// returns, so the application can wait until no activity code runs any more
// (Runtime::wait_for_activity_threads, docs/runtime.md, "Worker slots run activities inline").

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace duroxide::runtime {

/// The number of threads still alive, with a wait for none.
class LiveThreadCount {
 public:
  void add();
  void remove();
  /// True when the count reached zero before `deadline`.
  bool wait_until_zero(std::chrono::steady_clock::time_point deadline);

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::size_t count_ = 0;
};

}  // namespace duroxide::runtime
