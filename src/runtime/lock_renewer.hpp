#pragma once
// One maintenance thread per runtime that keeps locks and leases alive (docs/runtime.md, "Locks and
// renewal"): each entry is called every `interval` (first call one interval after it is added, or
// after the moment its lock was taken when the caller knows it) until it is removed or its
// call fails, in which case `on_failure` runs once. Periodic chores (session heartbeat and
// cleanup) are entries whose call never fails. Calls run outside the renewer's mutex. A call that
// throws is recorded on the health tracker and counts as renewed (the next interval tries again):
// the renewer thread keeps every other lock alive.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <stop_token>

#include "runtime/health_tracker.hpp"

namespace duroxide::runtime {

class LockRenewer {
 public:
  using Renew = std::function<bool()>;  ///< false = the lock is gone
  using OnFailure = std::function<void()>;

  /// Removes its entry when it goes out of scope, however the scope is left (an exception
  /// included): a lock is never renewed for an item nobody processes any more.
  class Scoped {
   public:
    Scoped(LockRenewer& renewer, std::uint64_t id) : renewer_(&renewer), id_(id) {}
    Scoped(const Scoped&) = delete;
    Scoped& operator=(const Scoped&) = delete;
    Scoped(Scoped&& other) noexcept : renewer_(other.renewer_), id_(other.id_) { other.renewer_ = nullptr; }
    Scoped& operator=(Scoped&&) = delete;
    ~Scoped() { release(); }
    /// Stops renewing now (idempotent).
    void release() {
      if (renewer_ != nullptr) renewer_->remove(id_);
      renewer_ = nullptr;
    }

   private:
    LockRenewer* renewer_;
    std::uint64_t id_;
  };

  /// Where exceptions thrown by entries are recorded (set before run()).
  void report_errors_to(HealthTracker& health) { health_ = &health; }
  /// Registers an entry; returns its id for remove().
  std::uint64_t add(std::chrono::milliseconds interval, Renew renew, OnFailure on_failure = {});
  /// add() for the duration of a scope. `lock_taken` is a moment no later than the one the lock was
  /// taken: the first call is due one interval after it, at once when that is already past. A
  /// fetch that spends long reading a big item after it locked it would otherwise renew too late,
  /// and another runtime takes the item over while this one works on it.
  [[nodiscard]] Scoped add_scoped(std::chrono::steady_clock::time_point lock_taken, std::chrono::milliseconds interval,
                                  Renew renew, OnFailure on_failure = {}) {
    return Scoped(*this, add_due(lock_taken + interval, interval, std::move(renew), std::move(on_failure)));
  }
  /// Calls `fn` once on the renewer's thread at `due` (unless the renewer stops first).
  void run_once_at(std::chrono::steady_clock::time_point due, std::function<void()> fn) {
    (void)add_due(due, std::chrono::hours(1),
                  [fn = std::move(fn)] {
                    fn();
                    return false;  // not a renewal: "failing" removes the entry
                  },
                  {});
  }
  /// Stops renewing (a call already running finishes; its failure is then ignored).
  void remove(std::uint64_t id);
  /// The thread body; returns when `stop` is requested.
  void run(std::stop_token stop);

 private:
  using Clock = std::chrono::steady_clock;
  std::uint64_t add_due(Clock::time_point due, std::chrono::milliseconds interval, Renew renew, OnFailure on_failure);
  struct Entry {
    std::chrono::milliseconds interval;
    Clock::time_point due;
    Renew renew;
    OnFailure on_failure;
  };

  HealthTracker* health_ = nullptr;
  std::mutex mutex_;
  std::condition_variable_any cv_;
  std::map<std::uint64_t, Entry> entries_;
  std::uint64_t next_id_ = 1;
  std::uint64_t additions_ = 0;  ///< wakes the thread: a new entry is due before it planned to wake
  Clock::time_point planned_wake_ = Clock::time_point::min();  ///< when the thread will next look
};

}  // namespace duroxide::runtime
