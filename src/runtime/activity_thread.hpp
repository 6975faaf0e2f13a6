#pragma once
// A worker slot's reusable activity thread: activities run off the slot's own thread (so the slot
// can watch for cancellation and give up after the grace period) without creating a thread per
// activity. A job that overstays is handed off with release(): the thread finishes it and exits,
// and the slot starts a fresh thread for its next activity. Every thread, released or not, is
// counted in a LiveThreadCount until its last line, so the application can wait until no activity
// code runs any more (Runtime::wait_for_activity_threads, docs/runtime.md).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

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

class ActivityThread {
 public:
  /// `live` (optional) counts the threads this object starts, until each has finished its job.
  explicit ActivityThread(std::shared_ptr<LiveThreadCount> live = nullptr) : live_(std::move(live)) {}
  ~ActivityThread();
  ActivityThread(const ActivityThread&) = delete;
  ActivityThread& operator=(const ActivityThread&) = delete;

  /// Runs `job` on the thread (starting one if needed). The previous job must have finished or
  /// been released.
  void run(std::function<void()> job);

  /// Leaves the current job to finish on its own: the thread exits after it; never blocks.
  void release();

 private:
  struct Shared {
    std::mutex mutex;
    std::condition_variable cv;
    std::function<void()> job;
    bool exit = false;
  };
  static void loop(const std::shared_ptr<Shared>& shared);

  std::shared_ptr<LiveThreadCount> live_;
  std::shared_ptr<Shared> shared_;
  std::thread thread_;
};

}  // namespace duroxide::runtime
