// Per-turn state shared by an OrchestrationContext, its futures and the replay engine.
// Internal: included by the public templates only; user code never names these types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <duroxide/action.hpp>
#include <duroxide/kv_entry.hpp>
#include <duroxide/result.hpp>

namespace duroxide {

/// What a durable future stands for; decides what destroying it un-awaited does (docs/orchestration-engine.md).
enum class FutureKind { Activity, Timer, ExternalWait, QueueDequeue, SubOrchestration };

/// A replay-guarded log record handed to the trace sink.
struct TraceRecord {
  std::string level;  ///< "info", "warn", "error", "debug" or whatever the code passed to trace()
  std::string message;
  std::string instance_id;
  std::uint64_t execution_id = 0;
  std::string orchestration_name;
  std::string orchestration_version;
  /// The execution's span (docs/tracing.md), filled in by the runtime; empty from the engine.
  std::string trace_id = {};
  std::string span_id = {};
};
using TraceSink = std::function<void(const TraceRecord&)>;

namespace detail {

namespace completion {
struct ActivityOk {
  std::string result;
};
struct ActivityErr {
  std::string message;
};
struct TimerFired {};
struct SubOrchOk {
  std::string result;
};
struct SubOrchErr {
  std::string message;
};
}  // namespace completion
using CompletionValue = std::variant<completion::ActivityOk, completion::ActivityErr, completion::TimerFired,
                                     completion::SubOrchOk, completion::SubOrchErr>;

/// One positional (schedule_wait) subscription.
struct PositionalSubscription {
  std::string name;
  std::size_t raw_index = 0;
  bool cancelled = false;
};

/// FIFO of emitted actions. A vector with a read position: replay pushes and pops one action per
/// schedule event, and a std::deque would allocate and free a block every few actions. Popped
/// entries are released when the queue drains, which it does whenever replay catches up.
class ActionQueue {
 public:
  using Entry = std::pair<std::uint64_t, Action>;

  bool empty() const { return head_ == entries_.size(); }
  Entry& front() { return entries_[head_]; }
  void pop_front() {
    if (++head_ == entries_.size()) {
      entries_.clear();
      head_ = 0;
    }
  }
  void emplace_back(std::uint64_t token, Action&& action) { entries_.emplace_back(token, std::move(action)); }
  template <class A>
  void emplace_back(std::uint64_t token, A&& action) {
    entries_.emplace_back(std::piecewise_construct, std::forward_as_tuple(token),
                          std::forward_as_tuple(std::in_place_type<std::remove_cvref_t<A>>, std::forward<A>(action)));
  }
  auto begin() { return entries_.begin() + static_cast<std::ptrdiff_t>(head_); }
  auto end() { return entries_.end(); }

 private:
  std::vector<Entry> entries_;
  std::size_t head_ = 0;
};

class ContextState {
 public:
  // --- identity and environment (set by the engine) ---
  std::string instance_id;
  std::uint64_t execution_id = 0;
  std::string orchestration_name;
  std::string orchestration_version;
  bool is_replaying = false;
  std::function<std::uint64_t()> now_ms;
  TraceSink trace_sink;

  // --- emitted actions not yet matched/converted (the action FIFO of docs/orchestration-engine.md) ---
  ActionQueue queue;
  std::uint64_t next_token = 0;

  // --- results and bindings ---
  /// What the engine knows about one emitted action.
  struct TokenSlot {
    std::optional<std::uint64_t> schedule;  ///< the schedule event id it was bound to
    std::optional<CompletionValue> result;  ///< the delivered result
  };
  /// Indexed by token: tokens are dense (1..next_token), so a vector replaces per-token hash nodes.
  std::vector<TokenSlot> tokens{1};
  std::unordered_map<std::uint64_t, std::string> child_instance_by_token;

  // --- positional external events (docs/orchestration-engine.md, "External events: positional and queue") ---
  std::map<std::uint64_t, PositionalSubscription> positional_subscriptions;  // schedule id -> sub
  std::unordered_map<std::string, std::vector<std::uint64_t>> positional_by_name;
  std::unordered_map<std::string, std::size_t> positional_counter;
  std::unordered_map<std::string, std::vector<std::string>> positional_arrivals;

  // --- persistent queue events (same section) ---
  std::vector<std::pair<std::uint64_t, std::string>> persistent_subscriptions;  // (schedule id, name)
  std::unordered_map<std::string, std::vector<std::string>> persistent_arrivals;
  std::set<std::uint64_t> persistent_cancelled;
  std::unordered_map<std::uint64_t, std::string> persistent_resolved;

  // --- dropped futures (docs/orchestration-engine.md, "Dropped futures") ---
  std::vector<std::pair<std::uint64_t, FutureKind>> dropped;
  bool accepting_drops = true;

  // --- custom status and KV ---
  std::optional<std::string> custom_status;
  std::map<std::string, KvEntry> kv;
  /// `last_updated_at_ms` of the recorded KeyValueSet events, in history order: a replayed
  /// set_kv_value takes its time from here, not from the clock, so what prune_kv_values_updated_before
  /// sees is the same on every replay.
  std::vector<std::uint64_t> recorded_kv_set_times;
  std::size_t next_recorded_kv_set = 0;

  /// Emits an action and returns its token.
  std::uint64_t emit(Action action);
  /// Same, for one alternative: it is moved straight into the queue, not through an Action.
  template <class A>
  requires(!std::is_same_v<std::remove_cvref_t<A>, Action>) std::uint64_t emit(A&& action) {
    const std::uint64_t token = ++next_token;
    tokens.emplace_back();  // tokens.size() == token: every token is emitted here, in order
    queue.emplace_back(token, std::forward<A>(action));
    return token;
  }
  /// The still-queued action of `token`, or nullptr once it was matched/converted.
  Action* queued_action(std::uint64_t token);
  std::uint64_t wall_clock_ms() const;

  void record_drop(std::uint64_t token, FutureKind kind);

  std::optional<std::uint64_t> schedule_of(std::uint64_t token) const;
  const CompletionValue* result_of(std::uint64_t token) const;
  /// Binds an emitted token to its schedule event id.
  void bind(std::uint64_t token, std::uint64_t schedule_id) { tokens[token].schedule = schedule_id; }
  /// Stores (or replaces) the result of `token`, built in place.
  template <class Completion>
  void set_result(std::uint64_t token, Completion&& value) {
    tokens[token].result.emplace(std::in_place_type<std::remove_cvref_t<Completion>>, std::forward<Completion>(value));
  }

  void register_positional(std::uint64_t schedule_id, const std::string& name);
  /// Slot check for an arriving positional event; true if it was delivered.
  bool deliver_positional(const std::string& name, std::string data);
  void cancel_positional(std::uint64_t schedule_id);
  std::optional<std::string> resolve_positional(std::uint64_t token) const;

  void register_persistent(std::uint64_t schedule_id, const std::string& name);
  void deliver_persistent(const std::string& name, std::string data);
  void cancel_persistent(std::uint64_t schedule_id);
  std::optional<std::string> resolve_persistent(std::uint64_t token);

  void trace(std::string level, std::string message) const;
};

}  // namespace detail
}  // namespace duroxide
