#pragma once
// Parsed histories of recently loaded executions, so a turn's fetch (and a client's read) parses
// only the rows appended since the last load instead of the whole history every time: without it
// the cost of a turn grows with the history (a fetch returns the whole execution each time).
//
// History rows are append-only within an execution, so an entry stays valid while its last row is
// unchanged (same event id, insert time and text); rows added since are loaded and appended. Deletions
// and test-hook edits clear the cache. Bounded: least recently used executions are dropped.

#include <cstdint>
#include <list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <duroxide/event.hpp>

namespace duroxide::sqlite_detail {

class HistoryCache {
 public:
  struct Entry {
    std::vector<Event> events;
    std::uint64_t last_event_id = 0;
    std::int64_t last_created_at = 0;
    std::string last_event_data;  ///< the last row as stored: a rewritten history does not match
  };

  explicit HistoryCache(std::size_t capacity = 1024) : capacity_(capacity) {}

  /// The entry of (instance, execution), most recently used from now; nullptr when absent.
  Entry* find(const std::string& instance, std::uint64_t execution_id) {
    auto it = entries_.find(Key{instance, execution_id});
    if (it == entries_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second.position);
    return &it->second.entry;
  }

  /// Inserts or replaces the entry of (instance, execution); may drop the least recently used.
  Entry& put(const std::string& instance, std::uint64_t execution_id, Entry entry) {
    Key key{instance, execution_id};
    if (auto it = entries_.find(key); it != entries_.end()) {
      order_.splice(order_.begin(), order_, it->second.position);
      it->second.entry = std::move(entry);
      return it->second.entry;
    }
    if (entries_.size() >= capacity_ && !order_.empty()) {
      entries_.erase(order_.back());
      order_.pop_back();
    }
    order_.push_front(key);
    auto [it, inserted] = entries_.emplace(std::move(key), Slot{std::move(entry), order_.begin()});
    (void)inserted;
    return it->second.entry;
  }

  void erase(const std::string& instance, std::uint64_t execution_id) {
    auto it = entries_.find(Key{instance, execution_id});
    if (it == entries_.end()) return;
    order_.erase(it->second.position);
    entries_.erase(it);
  }

  void clear() {
    entries_.clear();
    order_.clear();
  }

 private:
  using Key = std::pair<std::string, std::uint64_t>;
  struct Slot {
    Entry entry;
    std::list<Key>::iterator position;
  };
  std::size_t capacity_;
  std::map<Key, Slot> entries_;
  std::list<Key> order_;  ///< most recently used first
};

}  // namespace duroxide::sqlite_detail
