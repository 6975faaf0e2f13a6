#include <duroxide/detail/context_state.hpp>

#include <algorithm>

namespace duroxide::detail {

std::uint64_t ContextState::emit(Action action) {
  const std::uint64_t token = ++next_token;
  tokens.emplace_back();  // tokens.size() == token: every token is emitted here, in order
  queue.emplace_back(token, std::move(action));
  return token;
}

Action* ContextState::queued_action(std::uint64_t token) {
  for (auto& [queued_token, action] : queue)
    if (queued_token == token) return &action;
  return nullptr;
}

std::uint64_t ContextState::wall_clock_ms() const { return now_ms ? now_ms() : 0; }

void ContextState::record_drop(std::uint64_t token, FutureKind kind) {
  // Destructions after finalize (tearing down a suspended coroutine) must not count (docs/orchestration-engine.md).
  if (accepting_drops) dropped.emplace_back(token, kind);
}

std::optional<std::uint64_t> ContextState::schedule_of(std::uint64_t token) const {
  return token < tokens.size() ? tokens[token].schedule : std::nullopt;
}

const CompletionValue* ContextState::result_of(std::uint64_t token) const {
  if (token >= tokens.size() || !tokens[token].result) return nullptr;
  return &*tokens[token].result;
}

void ContextState::register_positional(std::uint64_t schedule_id, const std::string& name) {
  const std::size_t raw_index = positional_counter[name]++;
  positional_subscriptions[schedule_id] = PositionalSubscription{name, raw_index, false};
  positional_by_name[name].push_back(schedule_id);
}

bool ContextState::deliver_positional(const std::string& name, std::string data) {
  std::size_t open_slots = 0;
  if (auto it = positional_by_name.find(name); it != positional_by_name.end())
    for (auto id : it->second)
      if (!positional_subscriptions.at(id).cancelled) ++open_slots;
  auto& arrivals = positional_arrivals[name];
  if (open_slots <= arrivals.size()) return false;  // causal rule: no open slot, never delivered
  arrivals.push_back(std::move(data));
  return true;
}

void ContextState::cancel_positional(std::uint64_t schedule_id) {
  if (auto it = positional_subscriptions.find(schedule_id); it != positional_subscriptions.end())
    it->second.cancelled = true;
}

std::optional<std::string> ContextState::resolve_positional(std::uint64_t token) const {
  auto schedule = schedule_of(token);
  if (!schedule) return std::nullopt;
  auto it = positional_subscriptions.find(*schedule);
  if (it == positional_subscriptions.end() || it->second.cancelled) return std::nullopt;
  const auto& sub = it->second;
  // Compression: cancelled subscriptions never consume an arrival.
  std::size_t cancelled_before = 0;
  for (auto id : positional_by_name.at(sub.name)) {
    const auto& other = positional_subscriptions.at(id);
    if (other.cancelled && other.raw_index < sub.raw_index) ++cancelled_before;
  }
  const std::size_t effective = sub.raw_index - cancelled_before;
  auto arrivals = positional_arrivals.find(sub.name);
  if (arrivals == positional_arrivals.end() || effective >= arrivals->second.size()) return std::nullopt;
  return arrivals->second[effective];
}

void ContextState::register_persistent(std::uint64_t schedule_id, const std::string& name) {
  persistent_subscriptions.emplace_back(schedule_id, name);
}

void ContextState::deliver_persistent(const std::string& name, std::string data) {
  persistent_arrivals[name].push_back(std::move(data));
}

void ContextState::cancel_persistent(std::uint64_t schedule_id) { persistent_cancelled.insert(schedule_id); }

std::optional<std::string> ContextState::resolve_persistent(std::uint64_t token) {
  auto schedule = schedule_of(token);
  if (!schedule || persistent_cancelled.contains(*schedule)) return std::nullopt;
  if (auto done = persistent_resolved.find(*schedule); done != persistent_resolved.end()) return done->second;
  // Strict FIFO: the k-th live subscription of a name takes the k-th arrival of that name.
  const std::string* name = nullptr;
  std::size_t position = 0;
  for (const auto& [id, sub_name] : persistent_subscriptions) {
    if (id == *schedule) {
      name = &sub_name;
      break;
    }
  }
  if (name == nullptr) return std::nullopt;
  for (const auto& [id, sub_name] : persistent_subscriptions) {
    if (id == *schedule) break;
    if (sub_name == *name && !persistent_cancelled.contains(id)) ++position;
  }
  auto arrivals = persistent_arrivals.find(*name);
  if (arrivals == persistent_arrivals.end() || position >= arrivals->second.size()) return std::nullopt;
  persistent_resolved[*schedule] = arrivals->second[position];
  return arrivals->second[position];
}

void ContextState::trace(std::string level, std::string message) const {
  if (is_replaying || !trace_sink) return;
  trace_sink(TraceRecord{std::move(level), std::move(message), instance_id, execution_id, orchestration_name,
                         orchestration_version});
}

}  // namespace duroxide::detail
