#pragma once
// A worker slot's reusable activity thread: activities run off the slot's own thread (so the slot
// can watch for cancellation and give up after the grace period) without creating a thread per
// activity. A job that overstays is handed off with release(): the thread finishes it and exits,
// and the slot starts a fresh thread for its next activity.

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace duroxide::runtime {

class ActivityThread {
 public:
  ActivityThread() = default;
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

  std::shared_ptr<Shared> shared_;
  std::thread thread_;
};

}  // namespace duroxide::runtime
