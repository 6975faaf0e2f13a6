// pg::WakeSignal (docs/storage.md, "Wake-ups: LISTEN/NOTIFY"): a signal for N items wakes at most
// N waiting fetches, and a fetch whose query raced a signal polls again without waiting. Every step waits for a state
// the signal reports (waiters, permits, threads returned), never for time to pass.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "providers/postgres/pg_wake_signal.hpp"

namespace duroxide::pg {
namespace {

using namespace std::chrono_literals;

/// Waiter threads on one signal, each waiting once (an hour at most) and counting its return.
class Waiters {
 public:
  explicit Waiters(WakeSignal& signal) : signal_(signal) {}
  ~Waiters() {
    {
      std::lock_guard lock(mutex);
      stopping_ = true;
      signal_.notify_stop();
    }
    for (auto& t : threads_) t.join();
  }
  void start(std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      threads_.emplace_back([this] {
        std::unique_lock lock(mutex);
        const auto woken =
            signal_.wait(lock, signal_.generation(), std::chrono::steady_clock::now() + 1h, [&] { return stopping_; });
        woken_.push_back(woken);
        ++returned_;
      });
    }
  }
  /// Starts `count` waiters and returns once all of them wait.
  void start_all_waiting(std::size_t count) {
    start(count);
    await([&] { return signal_.waiters() == count; });
  }
  /// Runs `action` under the mutex the waiters wait with.
  template <class Action>
  void locked(Action action) {
    std::lock_guard lock(mutex);
    action();
  }
  /// Blocks until `predicate` (called under the mutex) holds.
  template <class Predicate>
  void await(Predicate predicate) {
    std::unique_lock lock(mutex);
    while (!predicate()) {
      lock.unlock();
      std::this_thread::yield();
      lock.lock();
    }
  }
  std::size_t returned() const { return returned_; }
  /// How each returned waiter was woken (read under the mutex).
  const std::vector<WakeSignal::Woken>& woken() const { return woken_; }

  std::mutex mutex;

 private:
  WakeSignal& signal_;
  std::vector<std::thread> threads_;
  std::size_t returned_ = 0;
  std::vector<WakeSignal::Woken> woken_;
  bool stopping_ = false;
};

TEST(UnitPgWakeSignal, ASignalForOneItemWakesOneOfThreeWaiters) {
  WakeSignal signal;
  Waiters waiters(signal);
  waiters.start_all_waiting(3);
  waiters.locked([&] { signal.signal(1); });
  waiters.await([&] { return waiters.returned() == 1; });
  std::lock_guard lock(waiters.mutex);
  EXPECT_EQ(signal.waiters(), 2u) << "the other two must still be waiting";
  EXPECT_EQ(signal.permits(), 0u);
  EXPECT_EQ(waiters.woken().at(0), WakeSignal::Woken::Permit)
      << "a chosen waiter must know it was chosen: if it finds nothing it hands the wake-up on";
}

TEST(UnitPgWakeSignal, ASignalForMoreItemsThanWaitersWakesEveryoneAndKeepsNoPermits) {
  WakeSignal signal;
  Waiters waiters(signal);
  waiters.start_all_waiting(2);
  waiters.locked([&] {
    signal.signal(5);
    EXPECT_EQ(signal.permits(), 2u) << "one permit per waiter, not per item";
  });
  waiters.await([&] { return waiters.returned() == 2; });
  std::lock_guard lock(waiters.mutex);
  EXPECT_EQ(signal.permits(), 0u);
}

TEST(UnitPgWakeSignal, SignalAllWakesEveryWaiter) {
  WakeSignal signal;
  Waiters waiters(signal);
  waiters.start_all_waiting(3);
  waiters.locked([&] { signal.signal_all(); });
  waiters.await([&] { return waiters.returned() == 3; });
  std::lock_guard lock(waiters.mutex);
  for (const auto woken : waiters.woken()) {
    EXPECT_EQ(woken, WakeSignal::Woken::Broadcast) << "a broadcast must never make anyone broadcast again";
  }
  EXPECT_EQ(signal.permits(), 0u);
}

TEST(UnitPgWakeSignal, AWaiterWhoseStopConditionHoldsLeavesAsStopped) {
  WakeSignal signal;
  std::mutex mutex;
  bool stop = false;
  std::optional<WakeSignal::Woken> woken;
  std::thread waiter([&] {
    std::unique_lock lock(mutex);
    woken = signal.wait(lock, signal.generation(), std::chrono::steady_clock::now() + 1h, [&] { return stop; });
  });
  for (;;) {
    std::lock_guard lock(mutex);
    if (signal.waiters() == 1) {
      stop = true;  // wake_waiters(): the wait ends whatever else happens
      signal.notify_stop();
      break;
    }
  }
  waiter.join();
  EXPECT_EQ(woken, WakeSignal::Woken::Stopped);
  EXPECT_EQ(signal.waiters(), 0u);
}

TEST(UnitPgWakeSignal, ASignalWithNobodyWaitingLeavesNoPermitButMovesTheGeneration) {
  WakeSignal signal;
  std::mutex mutex;
  std::unique_lock lock(mutex);
  const auto seen = signal.generation();
  signal.signal(4);
  EXPECT_EQ(signal.permits(), 0u) << "a later waiter must not be woken by an old signal";
  EXPECT_NE(signal.generation(), seen);
  // A fetch that noted the old generation before its query polls again at once instead of
  // waiting: the query may have missed what the signal announced.
  EXPECT_EQ(signal.wait(lock, seen, std::chrono::steady_clock::now() + 1h, [] { return false; }),
            WakeSignal::Woken::Raced);
  EXPECT_EQ(signal.waiters(), 0u);
}

}  // namespace
}  // namespace duroxide::pg
