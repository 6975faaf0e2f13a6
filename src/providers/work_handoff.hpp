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
// or by the store's periodic sweep, so its lease never has to lapse. It also remembers, per lock
// token a fetch returned, what that fetch asked for, so the token's ack can claim the same fetch's
// next activity. Not thread-safe: the store guards it with its wake-up mutex.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <duroxide/provider_types.hpp>
#include <duroxide/tag_filter.hpp>
#include <duroxide/work_item.hpp>

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
  /// The ack of `claims` committed `items` locked at `claimed_at` (held as hold() says).
  void deliver(const Claims& claims, std::vector<LockedWorkItem> items, Clock::time_point claimed_at) {
    cancel(claims);
    for (auto& item : items) hold(std::move(item), claims.lock_timeout, claimed_at);
  }

  /// Holds an item a worker's ack claimed for its own next fetch (no reservation: the acking slot
  /// fetches again at once, and any idle fetch that serves it may take it first). Handed out only
  /// within fresh_window() of the claim: a runtime schedules its lease renewals from when its
  /// fetch began, which may be later than the claim, by at most that window.
  void hold(LockedWorkItem item, Millis lock_timeout, Clock::time_point claimed_at) {
    const auto* activity = std::get_if<work_items::ActivityExecute>(&item.item);
    auto tag = activity ? activity->tag : std::nullopt;  // before the item moves
    held_.push_back(Held{std::move(item), std::move(tag), claimed_at + fresh_window(lock_timeout)});
  }

  /// The oldest held item `tags` accepts. Items past their window are removed and their tokens
  /// added to `stale` (the caller gives them back to the queue outside its lock).
  std::optional<LockedWorkItem> take(const TagFilter& tags, Clock::time_point now, std::vector<std::string>& stale) {
    sweep(now, stale);
    const auto it = std::find_if(held_.begin(), held_.end(), [&](const Held& held) { return tags.matches(held.tag); });
    if (it == held_.end()) return std::nullopt;
    auto found = std::move(it->item);
    held_.erase(it);
    return found;
  }

  /// Removes the items past their window, adding their tokens to `stale`. The store calls this
  /// periodically too, so an item is never held much past its window when no fetch comes.
  void sweep(Clock::time_point now, std::vector<std::string>& stale) {
    for (auto it = held_.begin(); it != held_.end();) {
      if (now > it->fresh_until) {
        stale.push_back(std::move(it->item.lock_token));
        it = held_.erase(it);
      } else {
        ++it;
      }
    }
  }

  /// Every held item's token, removed (shutdown: give them back to the queue).
  std::vector<std::string> drain() {
    std::vector<std::string> tokens;
    for (auto& held : held_) tokens.push_back(std::move(held.item.lock_token));
    held_.clear();
    return tokens;
  }

  /// What a worker fetch asked for.
  struct Fetcher {
    Millis lock_timeout;
    TagFilter tags;
  };
  /// The fetch that returned `token` asked for `fetcher`; kept until forget(token).
  void remember(const std::string& token, Fetcher fetcher) {
    // Tokens never acked nor abandoned (left at a shutdown deadline) would pile up: past this
    // many, forget them all; their acks merely claim nothing next.
    constexpr std::size_t kMaxRemembered = 10000;
    if (fetchers_.size() >= kMaxRemembered) fetchers_.clear();
    fetchers_.insert_or_assign(token, std::move(fetcher));
  }
  /// What the fetch of `token` asked for, if remembered; forgotten from now on.
  std::optional<Fetcher> forget(const std::string& token) {
    const auto found = fetchers_.find(token);
    if (found == fetchers_.end()) return std::nullopt;
    auto fetcher = std::move(found->second);
    fetchers_.erase(found);
    return fetcher;
  }

  std::size_t held() const { return held_.size(); }
  std::size_t idle_fetches() const { return idle_.size(); }

  /// How long after its claim an item may be handed out: a tenth of its lease, at most a second.
  static Millis fresh_window(Millis lock_timeout) { return std::min<Millis>(lock_timeout / 10, Millis(1000)); }

 private:
  struct IdleFetch {
    TagFilter tags;
    Millis lock_timeout;
  };
  std::map<std::uint64_t, IdleFetch> idle_;
  std::uint64_t next_handle_ = 0;
  std::size_t reserved_ = 0;
  struct Held {
    LockedWorkItem item;
    std::optional<std::string> tag;
    Clock::time_point fresh_until;
  };
  std::deque<Held> held_;
  std::unordered_map<std::string, Fetcher> fetchers_;
};

}  // namespace duroxide::providers
