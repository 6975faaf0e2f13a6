#include "runtime/history_cache.hpp"

#include <iterator>
#include <utility>

namespace duroxide::runtime {

std::uint64_t HistoryCache::last_event_id(const std::string& instance, std::uint64_t execution_id) const {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(instance);
  if (it == entries_.end() || it->second.execution_id != execution_id || it->second.events.empty()) return 0;
  return it->second.events.back().event_id;
}

bool HistoryCache::complete(OrchestrationItem& item) {
  if (!item.history_continues_from) return true;  // the store shipped the whole history
  const auto continues_from = *item.history_continues_from;
  Entry entry;
  {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(item.instance);
    if (it == entries_.end()) return false;
    entry = take_locked(it);  // lent to this turn, or no good any more
  }
  if (entry.execution_id != item.execution_id || entry.events.empty()) return false;
  auto& cached = entry.events;
  // The store's copy of the last cached event must be the very same event (its content and its
  // timestamp): otherwise the history was deleted and written anew since it was cached.
  if (item.history.empty() || cached.back().event_id != continues_from || !(cached.back() == item.history.front())) {
    return false;
  }
  cached.insert(cached.end(), std::make_move_iterator(item.history.begin() + 1),
                std::make_move_iterator(item.history.end()));
  item.history = std::move(cached);
  item.history_continues_from.reset();
  return true;
}

void HistoryCache::keep(const std::string& instance, std::uint64_t execution_id, std::vector<Event> history) {
  if (history.empty() || history.size() > max_events_) {
    forget(instance);
    return;
  }
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(instance); it != entries_.end()) erase_locked(it);
  while (events_ + history.size() > max_events_ && !order_.empty()) erase_locked(entries_.find(order_.back()));
  order_.push_front(instance);
  events_ += history.size();
  entries_.emplace(instance, Entry{execution_id, std::move(history), order_.begin()});
}

void HistoryCache::forget(const std::string& instance) {
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(instance); it != entries_.end()) erase_locked(it);
}

std::size_t HistoryCache::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

HistoryCache::Entry HistoryCache::take_locked(std::unordered_map<std::string, Entry>::iterator it) {
  events_ -= it->second.events.size();
  order_.erase(it->second.position);
  return std::move(entries_.extract(it).mapped());
}

void HistoryCache::erase_locked(std::unordered_map<std::string, Entry>::iterator it) { (void)take_locked(it); }

}  // namespace duroxide::runtime
