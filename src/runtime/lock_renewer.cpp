#include "runtime/lock_renewer.hpp"

#include <vector>

namespace duroxide::runtime {

std::uint64_t LockRenewer::add(std::chrono::milliseconds interval, Renew renew, OnFailure on_failure) {
  return add_due(Clock::now() + interval, interval, std::move(renew), std::move(on_failure));
}

std::uint64_t LockRenewer::add_due(Clock::time_point due, std::chrono::milliseconds interval, Renew renew,
                                   OnFailure on_failure) {
  std::lock_guard lock(mutex_);
  const auto id = next_id_++;
  entries_.emplace(id, Entry{interval, due, std::move(renew), std::move(on_failure)});
  // Wake the thread only when it would otherwise look too late: one activity or turn after
  // another adds an entry, and waking the thread for each costs more than the renewal.
  if (due < planned_wake_) {
    ++additions_;
    cv_.notify_all();
  }
  return id;
}

void LockRenewer::remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  entries_.erase(id);
}

void LockRenewer::run(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    auto wake_at = Clock::now() + std::chrono::seconds(5);
    for (const auto& [id, entry] : entries_) wake_at = std::min(wake_at, entry.due);
    const auto seen = additions_;
    planned_wake_ = wake_at;
    cv_.wait_until(lock, stop, wake_at, [&] { return additions_ != seen; });
    planned_wake_ = Clock::time_point::min();  // awake: entries added now are seen on the next pass
    if (stop.stop_requested()) break;

    const auto now = Clock::now();
    std::vector<std::pair<std::uint64_t, Entry>> due;
    for (auto& [id, entry] : entries_) {
      if (entry.due <= now) {
        due.emplace_back(id, entry);
        entry.due = now + entry.interval;
      }
    }
    lock.unlock();
    std::vector<std::uint64_t> failed;
    for (auto& [id, entry] : due) {
      bool renewed = true;
      if (health_ != nullptr) {
        run_guarded(*health_, "lock renewal", [&] { renewed = entry.renew(); });
      } else {
        renewed = entry.renew();
      }
      if (!renewed) failed.push_back(id);
    }
    lock.lock();
    for (auto id : failed) {
      auto it = entries_.find(id);
      if (it == entries_.end()) continue;  // removed while renewing: the owner no longer cares
      auto on_failure = std::move(it->second.on_failure);
      entries_.erase(it);
      lock.unlock();
      if (on_failure) {
        if (health_ != nullptr) {
          run_guarded(*health_, "lock renewal failure handler", on_failure);
        } else {
          on_failure();
        }
      }
      lock.lock();
    }
  }
}

}  // namespace duroxide::runtime
