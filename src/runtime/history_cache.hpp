#pragma once
// The runtime's history cache (docs/runtime.md, "History cache"): the events of running executions
// kept between turns, so that a fetch ships only what the runtime has not seen. Histories are
// append-only within an execution, so a copy stays good while the store still has its last event
// unchanged; the store sends that event back first and complete() checks it.
//
// One entry per instance (its current execution). complete() lends the entry to the turn (moves it
// out); the dispatcher keeps a copy again before the turn's ack. Bounded by a total event count;
// least recently used entries go first.

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <duroxide/provider_types.hpp>

namespace duroxide::runtime {

class HistoryCache final : public KnownHistory {
 public:
  /// `max_events` 0: keeps nothing, so every fetch ships the whole history.
  explicit HistoryCache(std::size_t max_events) : max_events_(max_events) {}

  std::uint64_t last_event_id(const std::string& instance, std::uint64_t execution_id) const override;

  /// Makes a fetched item's history whole: when the store shipped only the events after the cached
  /// ones, prepends the cached copy (moved out of the cache). False when the cached copy is missing
  /// or its last event differs from the one the store sent back: the item must be fetched again.
  bool complete(OrchestrationItem& item);

  /// Keeps `history` (the whole history of the instance's running execution) for its next turn.
  void keep(const std::string& instance, std::uint64_t execution_id, std::vector<Event> history);
  /// Drops what is kept of the instance.
  void forget(const std::string& instance);

  /// Events held now (for tests and metrics).
  std::size_t events() const;

 private:
  struct Entry {
    std::uint64_t execution_id = 0;
    std::vector<Event> events;
    std::list<std::string>::iterator position;  ///< in order_
  };
  /// Removes the entry (mutex held) and hands it over.
  Entry take_locked(std::unordered_map<std::string, Entry>::iterator it);
  void erase_locked(std::unordered_map<std::string, Entry>::iterator it);

  const std::size_t max_events_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> order_;  ///< most recently used first
  std::size_t events_ = 0;
};

}  // namespace duroxide::runtime
