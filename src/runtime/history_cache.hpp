#pragma once
// The runtime's history cache (docs/runtime.md, "History cache"): the events of running executions
// kept between turns, so that a fetch ships only what the runtime has not seen. Histories are
// append-only within an execution, so a copy stays good while the store still has its last event
// unchanged; the store sends that event back first and complete() checks it.
//
// One entry per instance (its current execution). complete() lends the entry to the turn (moves it
// out); the dispatcher keeps a copy again before the turn's ack. Bounded by a total event count;
// least recently used entries go first.
//
// An entry may also hold the execution's live replay session (the instance cache,
// docs/runtime.md, "Instance cache"): the suspended code as of the history after the turn that
// kept it, so that the next turn resumes it instead of replaying. Sessions are bounded by count
// on top of the events (a session's coroutine frames are not counted as events); beyond it the
// least recently used entry gives up its session and keeps its events.

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <duroxide/provider_types.hpp>

#include "orchestration/replay_engine.hpp"

namespace duroxide::runtime {

class HistoryCache final : public KnownHistory {
 public:
  /// `max_events` 0: keeps nothing, so every fetch ships the whole history. `max_sessions` 0:
  /// keeps no live session, so every turn replays.
  explicit HistoryCache(std::size_t max_events, std::size_t max_sessions = 0)
      : max_events_(max_events), max_sessions_(max_sessions) {}

  std::uint64_t last_event_id(const std::string& instance, std::uint64_t execution_id) const override;

  /// Makes a fetched item's history whole: when the store shipped only the events after the cached
  /// ones, prepends the cached copy (moved out of the cache). False when the cached copy is missing
  /// or its last event differs from the one the store sent back: the item must be fetched again.
  /// `session` receives the entry's live session, if any (the replay engine checks that it fits).
  bool complete(OrchestrationItem& item, orchestration::ReplaySessionPtr& session);
  bool complete(OrchestrationItem& item) {
    orchestration::ReplaySessionPtr ignored;
    return complete(item, ignored);
  }

  /// Keeps `history` (the whole history of the instance's running execution) for its next turn,
  /// with the live `session` of the turn just run (or none).
  void keep(const std::string& instance, std::uint64_t execution_id, std::vector<Event> history,
            orchestration::ReplaySessionPtr session = nullptr);
  /// Drops what is kept of the instance.
  void forget(const std::string& instance);
  /// Drops what is kept of the instance and returns its events (none when nothing is kept).
  std::vector<Event> take_history(const std::string& instance);
  /// Drops the instance's live session and keeps its history (a turn whose ack failed: the
  /// history before it still holds, the state after it does not).
  void forget_session(const std::string& instance);

  /// Events held now (for tests and metrics).
  std::size_t events() const;
  /// Live sessions held now (for tests and metrics).
  std::size_t sessions() const;

 private:
  struct Entry {
    std::uint64_t execution_id = 0;
    std::vector<Event> events;
    std::list<std::string>::iterator position;  ///< in order_
    orchestration::ReplaySessionPtr session;
    std::list<std::string>::iterator session_position;  ///< in session_order_, while `session` is set
  };
  /// Removes the entry (mutex held) and hands it over.
  Entry take_locked(std::unordered_map<std::string, Entry>::iterator it);
  void erase_locked(std::unordered_map<std::string, Entry>::iterator it);

  /// Takes the entry's session out (mutex held), off session_order_.
  orchestration::ReplaySessionPtr release_session_locked(Entry& entry);
  /// Drops sessions of the least recently kept entries until at most max_sessions_ remain.
  void trim_sessions_locked();

  const std::size_t max_events_;
  const std::size_t max_sessions_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> order_;  ///< most recently used first
  std::size_t events_ = 0;
  /// Instances whose entry holds a session, most recently kept first: trimming is O(1) per session
  /// however many entries hold events only.
  std::list<std::string> session_order_;
};

}  // namespace duroxide::runtime
