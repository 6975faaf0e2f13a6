#pragma once
// How one queue's waiting fetches are woken (docs/storage.md, "Wake-ups: LISTEN/NOTIFY"): a
// change that makes N items claimable wakes at most N waiters, not all of them. Every waiter
// woken for nothing costs a stored-function call that finds nothing, and those calls compete
// with the one that finds the item for the machine's cores.
//
// The waiters are not all alike: a session's items can only be claimed by the slot (or node)
// that owns the session, and runtimes sharing the store may filter tags or versions differently.
// So a waiter woken for an item that then finds nothing hands the wake-up on to everyone
// (`signal_all`): whoever can claim the item gets to try, one query later. A broadcast never
// causes another broadcast, so this cannot loop.
//
// State, all guarded by the caller's mutex:
// - the generation, bumped by every signal: a fetch notes it before querying and re-polls at
//   once, without waiting, if it moved meanwhile (its query may have missed the change);
// - permits, one per waiter to wake for a counted signal (never more than there are waiters);
// - the broadcast count, bumped by signal_all, which every waiter that saw the old one leaves for.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace duroxide::pg {

class WakeSignal {
 public:
  /// Why a wait ended.
  enum class Woken {
    Raced,      ///< the generation had moved since the caller's query: poll again at once
    Permit,     ///< a counted signal chose this waiter: if it finds nothing, it calls signal_all()
    Broadcast,  ///< signal_all(), or the deadline passed
    Stopped,    ///< the caller's stop condition holds
  };

  /// Bumped by every signal; compare before and after a query.
  std::uint64_t generation() const { return generation_; }

  /// `count` more items may be claimable: wakes up to that many of the current waiters.
  void signal(std::size_t count) {
    ++generation_;
    const std::size_t idle = waiters_ - permits_;
    const std::size_t add = std::min(count, idle);
    permits_ += add;
    for (std::size_t i = 0; i < add; ++i) cv_.notify_one();
  }
  /// Anything may have changed (another process wrote, a lost listener is back, a woken waiter
  /// could not claim what it was woken for): wakes every waiter.
  void signal_all() {
    ++generation_;
    ++broadcasts_;
    cv_.notify_all();
  }
  /// Wakes waiters so they can see the caller's stop condition (which they check themselves).
  void notify_stop() { cv_.notify_all(); }

  /// Waits, with `lock` held on entry and exit, until a permit or a broadcast comes, `until`
  /// passes or `stop()` holds; returns at once if the generation moved since `seen`.
  template <class Clock, class Duration, class Stop>
  Woken wait(std::unique_lock<std::mutex>& lock, std::uint64_t seen, std::chrono::time_point<Clock, Duration> until,
             Stop stop) {
    if (generation_ != seen) return Woken::Raced;
    const auto broadcasts = broadcasts_;
    ++waiters_;
    cv_.wait_until(lock, until, [&] { return permits_ > 0 || broadcasts_ != broadcasts || stop(); });
    --waiters_;
    Woken woken = Woken::Broadcast;
    if (stop()) {
      woken = Woken::Stopped;  // leaves any permit to another waiter
    } else if (permits_ > 0 && broadcasts_ == broadcasts) {
      --permits_;
      woken = Woken::Permit;
    }
    permits_ = std::min(permits_, waiters_);
    return woken;
  }

  std::size_t waiters() const { return waiters_; }
  std::size_t permits() const { return permits_; }

 private:
  std::condition_variable cv_;
  std::uint64_t generation_ = 0;
  std::uint64_t broadcasts_ = 0;
  std::size_t waiters_ = 0;
  std::size_t permits_ = 0;  ///< never more than waiters_
};

}  // namespace duroxide::pg
