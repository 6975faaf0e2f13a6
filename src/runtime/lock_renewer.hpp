#pragma once
// One maintenance thread per runtime that keeps locks and leases alive (spec/04 §5): each entry is
// called every `interval` (first call one interval after it is added) until it is removed or its
// call fails, in which case `on_failure` runs once. Periodic chores (session heartbeat and
// cleanup) are entries whose call never fails. Calls run outside the renewer's mutex.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <stop_token>

namespace duroxide::runtime {

class LockRenewer {
 public:
  using Renew = std::function<bool()>;  ///< false = the lock is gone
  using OnFailure = std::function<void()>;

  /// Registers an entry; returns its id for remove().
  std::uint64_t add(std::chrono::milliseconds interval, Renew renew, OnFailure on_failure = {});
  /// Stops renewing (a call already running finishes; its failure is then ignored).
  void remove(std::uint64_t id);
  /// The thread body; returns when `stop` is requested.
  void run(std::stop_token stop);

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    std::chrono::milliseconds interval;
    Clock::time_point due;
    Renew renew;
    OnFailure on_failure;
  };

  std::mutex mutex_;
  std::condition_variable_any cv_;
  std::map<std::uint64_t, Entry> entries_;
  std::uint64_t next_id_ = 1;
  std::uint64_t additions_ = 0;  ///< wakes the thread: a new entry is due before it planned to wake
  Clock::time_point planned_wake_ = Clock::time_point::min();  ///< when the thread will next look
};

}  // namespace duroxide::runtime
