#include "runtime/history_cache.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace duroxide::runtime {

std::uint64_t HistoryCache::last_event_id(const std::string& instance, std::uint64_t execution_id) const {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(instance);
  if (it == entries_.end() || it->second.execution_id != execution_id || it->second.events.empty()) return 0;
  return it->second.events.back().event_id;
}

bool HistoryCache::complete(OrchestrationItem& item, orchestration::ReplaySessionPtr& session) {
  session.reset();
  if (!item.history_continues_from) {
    // The store shipped the whole history; a session of the same execution may still fit it.
    std::lock_guard lock(mutex_);
    if (const auto it = entries_.find(item.instance);
        it != entries_.end() && it->second.session && it->second.execution_id == item.execution_id) {
      session = release_session_locked(it->second);
    }
    return true;
  }
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
  // Grown geometrically: the vector goes back and forth between the cache and the turn, and an
  // exact-size reallocation per turn would copy the whole history every turn.
  const std::size_t needed = cached.size() + item.history.size() - 1;
  if (needed > cached.capacity()) cached.reserve(std::max(needed, cached.capacity() * 2));
  cached.insert(cached.end(), std::make_move_iterator(item.history.begin() + 1),
                std::make_move_iterator(item.history.end()));
  item.history = std::move(cached);
  item.history_continues_from.reset();
  session = std::move(entry.session);
  return true;
}

void HistoryCache::keep(const std::string& instance, std::uint64_t execution_id, std::vector<Event> history,
                        orchestration::ReplaySessionPtr session) {
  if (max_sessions_ == 0) session.reset();
  // A first turn keeps no events (there were none before it) but may keep its session: the next
  // fetch then ships the whole history, which the session has seen.
  if ((history.empty() && !session) || history.size() > max_events_) {
    forget(instance);
    return;
  }
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(instance); it != entries_.end()) erase_locked(it);
  while (events_ + history.size() > max_events_ && !order_.empty()) erase_locked(entries_.find(order_.back()));
  order_.push_front(instance);
  events_ += history.size();
  Entry entry{execution_id, std::move(history), order_.begin(), std::move(session), {}};
  if (entry.session) {
    session_order_.push_front(instance);
    entry.session_position = session_order_.begin();
  }
  entries_.emplace(instance, std::move(entry));
  trim_sessions_locked();
}

orchestration::ReplaySessionPtr HistoryCache::release_session_locked(Entry& entry) {
  if (!entry.session) return nullptr;
  session_order_.erase(entry.session_position);
  return std::move(entry.session);
}

void HistoryCache::trim_sessions_locked() {
  while (session_order_.size() > max_sessions_) {
    (void)release_session_locked(entries_.find(session_order_.back())->second);
  }
}

std::vector<Event> HistoryCache::take_history(const std::string& instance) {
  Entry entry;
  {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(instance);
    if (it == entries_.end()) return {};
    entry = take_locked(it);
  }
  return std::move(entry.events);
}

void HistoryCache::forget_session(const std::string& instance) {
  orchestration::ReplaySessionPtr dropped;  // destroyed outside the lock
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(instance); it != entries_.end()) dropped = release_session_locked(it->second);
}

void HistoryCache::forget(const std::string& instance) {
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(instance); it != entries_.end()) erase_locked(it);
}

std::size_t HistoryCache::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

std::size_t HistoryCache::sessions() const {
  std::lock_guard lock(mutex_);
  return session_order_.size();
}

HistoryCache::Entry HistoryCache::take_locked(std::unordered_map<std::string, Entry>::iterator it) {
  events_ -= it->second.events.size();
  if (it->second.session) session_order_.erase(it->second.session_position);  // goes with the entry
  order_.erase(it->second.position);
  return std::move(entries_.extract(it).mapped());
}

void HistoryCache::erase_locked(std::unordered_map<std::string, Entry>::iterator it) { (void)take_locked(it); }

}  // namespace duroxide::runtime
