#pragma once
// Items a store locked ahead for a fetch of this process, held until a fetch that may take them
// asks (docs/storage.md, "Hand-off to idle workers"). Each is handed out only within its window
// after the claim, because a runtime schedules its lease renewals from when its fetch began; past
// it the item is taken out and its token returned so the store can put it back in the queue.
// Not thread-safe: the store guards it with its wake-up mutex.

#include <algorithm>
#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace duroxide::providers {

/// `Item` has a `lock_token`; `Key` says which fetches may take it.
template <class Item, class Key>
class HeldItems {
 public:
  using Clock = std::chrono::steady_clock;
  using Millis = std::chrono::milliseconds;

  /// How long after its claim an item may be handed out: a tenth of its lease, at most a second.
  static Millis fresh_window(Millis lock_timeout) { return std::min<Millis>(lock_timeout / 10, Millis(1000)); }

  void hold(Item item, Key key, Millis lock_timeout, Clock::time_point claimed_at) {
    held_.push_back(Held{std::move(item), std::move(key), claimed_at + fresh_window(lock_timeout)});
  }

  /// The oldest held item whose key `accepts`. Items past their window are removed and their
  /// tokens added to `stale`.
  template <class Accepts>
  std::optional<Item> take(const Accepts& accepts, Clock::time_point now, std::vector<std::string>& stale) {
    sweep(now, stale);
    const auto it = std::find_if(held_.begin(), held_.end(), [&](const Held& held) { return accepts(held.key); });
    if (it == held_.end()) return std::nullopt;
    auto found = std::move(it->item);
    held_.erase(it);
    return found;
  }

  /// Removes the items past their window, adding their tokens to `stale`.
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

  std::size_t size() const { return held_.size(); }

 private:
  struct Held {
    Item item;
    Key key;
    Clock::time_point fresh_until;
  };
  std::deque<Held> held_;
};

}  // namespace duroxide::providers
