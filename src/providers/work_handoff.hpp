#pragma once
// Activities a turn schedules, locked by the turn's own ack for this process's idle worker fetches
// and handed to them directly (docs/storage.md, "Hand-off to idle workers"). Without it every
// scheduled activity costs a worker fetch query that finds what this process just wrote.
//
// The store's ack asks plan() which of its worker items it may lock (reserving them), commits them
// locked under fresh tokens, then deliver()s them; an idle fetch take()s one before it queries.
// Only items every idle fetch could claim are locked: none of a session (a session belongs to
// whoever claims it in the store), none whose tag some idle fetch does not serve. An item nobody
// takes in time (the fetches left meanwhile) is given back to the queue by whoever finds it stale,
// so its lease never has to lapse. Not thread-safe: the store guards it with its wake-up mutex.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <duroxide/provider_types.hpp>
#include <duroxide/tag_filter.hpp>
#include <duroxide/work_item.hpp>

#include "providers/held_items.hpp"

namespace duroxide::providers {

class WorkHandOff {
 public:
  using Clock = std::chrono::steady_clock;
  using Millis = std::chrono::milliseconds;

  /// A worker fetch waiting with these filters and this lease length; returns its handle.
  std::uint64_t idle(TagFilter tags, Millis lock_timeout) {
    const auto handle = ++next_handle_;
    idle_.emplace(handle, IdleFetch{std::move(tags), lock_timeout});
    return handle;
  }
  /// The fetch of `handle` stopped waiting.
  void busy(std::uint64_t handle) { idle_.erase(handle); }

  struct Claims {
    std::vector<bool> claim;  ///< per worker item: lock it for a local fetch
    std::size_t count = 0;    ///< how many are true (reserved until deliver or cancel)
    Millis lock_timeout{0};   ///< the lease to give them: the shortest of the idle fetches'
  };

  /// Which of `items` an ack may lock for the idle fetches: session-less items whose tag every idle
  /// fetch serves, no more than the idle fetches that no held or reserved item is waiting for.
  Claims plan(const std::vector<WorkItem>& items) {
    Claims claims;
    claims.claim.assign(items.size(), false);
    const std::size_t spoken_for = held_.size() + reserved_;
    if (idle_.size() <= spoken_for) return claims;
    std::size_t available = idle_.size() - spoken_for;
    claims.lock_timeout = Millis::max();
    for (const auto& [handle, fetch] : idle_) claims.lock_timeout = std::min(claims.lock_timeout, fetch.lock_timeout);
    for (std::size_t i = 0; i < items.size() && available > 0; ++i) {
      const auto* activity = std::get_if<work_items::ActivityExecute>(&items[i]);
      if (activity == nullptr || activity->session_id) continue;
      const bool everyone_serves = std::all_of(
          idle_.begin(), idle_.end(), [&](const auto& entry) { return entry.second.tags.matches(activity->tag); });
      if (!everyone_serves) continue;
      claims.claim[i] = true;
      ++claims.count;
      --available;
    }
    reserved_ += claims.count;
    return claims;
  }
  /// The ack of `claims` failed: nothing was locked.
  void cancel(const Claims& claims) { reserved_ -= std::min(reserved_, claims.count); }
  /// The ack of `claims` committed `items` locked at `claimed_at` (held as HeldItems says).
  void deliver(const Claims& claims, std::vector<LockedWorkItem> items, Clock::time_point claimed_at) {
    cancel(claims);
    for (auto& item : items) hold(std::move(item), claims.lock_timeout, claimed_at);
  }

  /// Holds an item a worker's ack claimed for its own next fetch (no reservation: the acking slot
  /// fetches again at once, and any idle fetch that serves it may take it first).
  void hold(LockedWorkItem item, Millis lock_timeout, Clock::time_point claimed_at) {
    const auto* activity = std::get_if<work_items::ActivityExecute>(&item.item);
    auto tag = activity ? activity->tag : std::nullopt;
    held_.hold(std::move(item), std::move(tag), lock_timeout, claimed_at);
  }

  /// The oldest held item `tags` accepts. Items past their window are removed and their tokens
  /// added to `stale` (the caller gives them back to the queue outside its lock).
  std::optional<LockedWorkItem> take(const TagFilter& tags, Clock::time_point now, std::vector<std::string>& stale) {
    return held_.take([&](const std::optional<std::string>& tag) { return tags.matches(tag); }, now, stale);
  }

  /// Removes the items past their window, adding their tokens to `stale`. The store calls this
  /// periodically too, so an item is never held much past its window when no fetch comes.
  void sweep(Clock::time_point now, std::vector<std::string>& stale) { held_.sweep(now, stale); }

  /// Every held item's token, removed (shutdown: give them back to the queue).
  std::vector<std::string> drain() { return held_.drain(); }

  std::size_t held() const { return held_.size(); }
  std::size_t idle_fetches() const { return idle_.size(); }

 private:
  struct IdleFetch {
    TagFilter tags;
    Millis lock_timeout;
  };
  std::map<std::uint64_t, IdleFetch> idle_;
  std::uint64_t next_handle_ = 0;
  std::size_t reserved_ = 0;
  HeldItems<LockedWorkItem, std::optional<std::string>> held_;  ///< keyed by the activity's tag
};

}  // namespace duroxide::providers
