#include <duroxide/orchestration_context.hpp>

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include <duroxide/constants.hpp>

namespace duroxide {

namespace {

using detail::CompletionValue;
namespace completion = detail::completion;

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return a > std::numeric_limits<std::uint64_t>::max() - b ? std::numeric_limits<std::uint64_t>::max() : a + b;
}

std::uint64_t duration_to_ms(Duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return ms < 0 ? 0 : static_cast<std::uint64_t>(ms);
}

template <class Ok, class Error>
std::optional<Result<std::string>> probe_result(const CompletionValue* value) {
  if (value == nullptr) return std::nullopt;
  if (auto* ok = std::get_if<Ok>(value)) return Result<std::string>(ok->result);
  if (auto* err = std::get_if<Error>(value)) return Result<std::string>(Err(err->message));
  return std::nullopt;
}

Task<std::monostate> lazy_timer(OrchestrationContext ctx, Duration delay) {
  co_await ctx.schedule_timer(delay);
  co_return std::monostate{};
}

}  // namespace

DurableFuture<Result<std::string>> OrchestrationContext::make_result_future(std::uint64_t token, FutureKind kind) {
  // A future accepts only results of its own family (docs/orchestration-engine.md). One probe per family, each
  // capturing two words, so std::function keeps it inline instead of on the heap.
  auto* state = state_.get();
  detail::FutureIdentity identity(state_, token, kind);
  if (kind == FutureKind::Activity)
    return DurableFuture<Result<std::string>>(std::move(identity), [state, token] {
      return probe_result<completion::ActivityOk, completion::ActivityErr>(state->result_of(token));
    });
  return DurableFuture<Result<std::string>>(std::move(identity), [state, token] {
    return probe_result<completion::SubOrchOk, completion::SubOrchErr>(state->result_of(token));
  });
}

DurableFuture<Result<std::string>> OrchestrationContext::schedule_activity(std::string name, std::string input) {
  const auto token = state_->emit(actions::CallActivity{0, std::move(name), std::move(input), std::nullopt, {}});
  return make_result_future(token, FutureKind::Activity);
}

DurableFuture<Result<std::string>> OrchestrationContext::schedule_activity_on_session(std::string name,
                                                                                      std::string input,
                                                                                      std::string session_id) {
  const auto token =
      state_->emit(actions::CallActivity{0, std::move(name), std::move(input), std::move(session_id), {}});
  return make_result_future(token, FutureKind::Activity);
}

Task<Result<std::string>> OrchestrationContext::schedule_activity_with_retry(std::string name, std::string input,
                                                                             RetryPolicy policy) {
  return retry_loop(*this, std::move(name), std::move(input), std::move(policy), std::nullopt);
}

Task<Result<std::string>> OrchestrationContext::schedule_activity_with_retry_on_session(std::string name,
                                                                                        std::string input,
                                                                                        RetryPolicy policy,
                                                                                        std::string session_id) {
  return retry_loop(*this, std::move(name), std::move(input), std::move(policy), std::move(session_id));
}

Task<Result<std::string>> OrchestrationContext::retry_loop(OrchestrationContext ctx, std::string name,
                                                           std::string input, RetryPolicy policy,
                                                           std::optional<std::string> session_id) {
  if (policy.max_attempts == 0) throw std::invalid_argument("RetryPolicy: max_attempts must be at least 1");
  std::string last_error;
  for (std::uint32_t attempt = 1; attempt <= policy.max_attempts; ++attempt) {
    auto activity =
        session_id ? ctx.schedule_activity_on_session(name, input, *session_id) : ctx.schedule_activity(name, input);
    Result<std::string> outcome;
    if (policy.timeout) {
      auto race = co_await select2(std::move(activity), lazy_timer(ctx, *policy.timeout));
      if (race.is_second()) co_return Err("timeout: activity timed out");
      outcome = std::move(race.first_value());
    } else {
      outcome = co_await activity;
    }
    if (outcome) co_return outcome;
    last_error = std::move(outcome.error());
    if (attempt < policy.max_attempts) {
      ctx.trace_warn(fmt::format("activity '{}' attempt {}/{} failed: {}; retrying", name, attempt, policy.max_attempts,
                                 last_error));
      const auto delay = policy.delay_for_attempt(attempt);
      if (duration_to_ms(delay) > 0) co_await ctx.schedule_timer(delay);
    }
  }
  co_return Err(std::move(last_error));
}

DurableFuture<std::monostate> OrchestrationContext::schedule_timer(Duration delay) {
  const auto fire_at = saturating_add(state_->wall_clock_ms(), duration_to_ms(delay));
  const auto token = state_->emit(actions::CreateTimer{0, fire_at});
  auto* state = state_.get();
  auto probe = [state, token]() -> std::optional<std::monostate> {
    const CompletionValue* value = state->result_of(token);
    if (value != nullptr && std::holds_alternative<completion::TimerFired>(*value)) return std::monostate{};
    return std::nullopt;
  };
  return DurableFuture<std::monostate>(detail::FutureIdentity(state_, token, FutureKind::Timer), std::move(probe));
}

DurableFuture<std::string> OrchestrationContext::schedule_wait(std::string name) {
  const auto token = state_->emit(actions::WaitExternal{0, std::move(name)});
  auto* state = state_.get();
  return DurableFuture<std::string>(detail::FutureIdentity(state_, token, FutureKind::ExternalWait),
                                    [state, token] { return state->resolve_positional(token); });
}

DurableFuture<std::string> OrchestrationContext::dequeue_event(std::string queue_name) {
  const auto token = state_->emit(actions::DequeueEvent{0, std::move(queue_name)});
  auto* state = state_.get();
  return DurableFuture<std::string>(detail::FutureIdentity(state_, token, FutureKind::QueueDequeue),
                                    [state, token] { return state->resolve_persistent(token); });
}

DurableFuture<Result<std::string>> OrchestrationContext::start_sub_orchestration(std::string name,
                                                                                 std::optional<std::string> version,
                                                                                 std::optional<std::string> instance,
                                                                                 std::string input) {
  // The placeholder names the token this very action receives (docs/orchestration-engine.md).
  const std::string child =
      instance ? std::move(*instance) : fmt::format("{}{}", kSubOrchPendingPrefix, state_->next_token + 1);
  const auto token =
      state_->emit(actions::StartSubOrchestration{0, std::move(name), std::move(version), child, std::move(input)});
  return make_result_future(token, FutureKind::SubOrchestration);
}

DurableFuture<Result<std::string>> OrchestrationContext::schedule_sub_orchestration(std::string name,
                                                                                    std::string input) {
  return start_sub_orchestration(std::move(name), std::nullopt, std::nullopt, std::move(input));
}
DurableFuture<Result<std::string>> OrchestrationContext::schedule_sub_orchestration_with_id(std::string name,
                                                                                            std::string instance,
                                                                                            std::string input) {
  return start_sub_orchestration(std::move(name), std::nullopt, std::move(instance), std::move(input));
}
DurableFuture<Result<std::string>> OrchestrationContext::schedule_sub_orchestration_versioned(
    std::string name, std::optional<std::string> version, std::string input) {
  return start_sub_orchestration(std::move(name), std::move(version), std::nullopt, std::move(input));
}
DurableFuture<Result<std::string>> OrchestrationContext::schedule_sub_orchestration_versioned_with_id(
    std::string name, std::optional<std::string> version, std::string instance, std::string input) {
  return start_sub_orchestration(std::move(name), std::move(version), std::move(instance), std::move(input));
}

void OrchestrationContext::schedule_orchestration(std::string name, std::string instance, std::string input) {
  schedule_orchestration_versioned(std::move(name), std::nullopt, std::move(instance), std::move(input));
}
void OrchestrationContext::schedule_orchestration_versioned(std::string name, std::optional<std::string> version,
                                                            std::string instance, std::string input) {
  state_->emit(actions::StartOrchestrationDetached{0, std::move(name), std::move(version), std::move(instance),
                                                   std::move(input)});
}

ContinueAsNewAwaitable OrchestrationContext::continue_as_new(std::string input) {
  state_->emit(actions::ContinueAsNew{std::move(input), std::nullopt});
  return {};
}
ContinueAsNewAwaitable OrchestrationContext::continue_as_new_versioned(std::string version, std::string input) {
  state_->emit(actions::ContinueAsNew{std::move(input), std::move(version)});
  return {};
}

DurableFuture<Result<std::string>> OrchestrationContext::new_guid() {
  return schedule_activity(std::string(kSyscallNewGuid), "");
}

DurableFuture<Result<std::chrono::system_clock::time_point>> OrchestrationContext::utc_now() {
  return schedule_activity(std::string(kSyscallUtcNowMs), "")
      .map([](Result<std::string> raw) -> Result<std::chrono::system_clock::time_point> {
        if (!raw) return Err(std::move(raw.error()));
        std::uint64_t ms = 0;
        const auto& text = *raw;
        if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
          return Err(text);
        try {
          ms = std::stoull(text);
        } catch (const std::exception&) {
          return Err(text);
        }
        return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
      });
}

DurableFuture<Result<std::optional<std::string>>> OrchestrationContext::get_kv_value_from_instance(
    std::string instance_id, std::string key) {
  // nlohmann orders object keys lexicographically: instance_id before key, as the contract requires.
  const auto input = nlohmann::json{{"instance_id", std::move(instance_id)}, {"key", std::move(key)}}.dump();
  return schedule_activity(std::string(kSyscallGetKvValue), input)
      .map([](Result<std::string> raw) -> Result<std::optional<std::string>> {
        if (!raw) return Err(std::move(raw.error()));
        try {
          auto parsed = nlohmann::json::parse(*raw);
          if (parsed.is_null()) return std::optional<std::string>();
          return std::optional<std::string>(parsed.get<std::string>());
        } catch (const std::exception& e) {
          return Err(std::string("get_kv_value_from_instance deserialization error: ") + e.what());
        }
      });
}

void OrchestrationContext::set_custom_status(std::string status) {
  state_->custom_status = status;
  state_->emit(actions::UpdateCustomStatus{std::move(status)});
}

void OrchestrationContext::reset_custom_status() {
  state_->custom_status.reset();
  state_->emit(actions::UpdateCustomStatus{std::nullopt});
}

void OrchestrationContext::set_kv_value(std::string key, std::string value) {
  // Replayed sets reuse the recorded time (in order; a set out of order is a nondeterminism the
  // engine reports when it matches the action against its event).
  auto& recorded = state_->recorded_kv_set_times;
  const auto now = state_->next_recorded_kv_set < recorded.size() ? recorded[state_->next_recorded_kv_set++]
                                                                  : state_->wall_clock_ms();
  state_->kv[key] = KvEntry{value, now};
  state_->emit(actions::SetKeyValue{std::move(key), std::move(value), now});
}

std::optional<std::string> OrchestrationContext::get_kv_value(const std::string& key) const {
  auto it = state_->kv.find(key);
  if (it == state_->kv.end()) return std::nullopt;
  return it->second.value;
}

std::map<std::string, std::string> OrchestrationContext::get_kv_all_values() const {
  std::map<std::string, std::string> values;
  for (const auto& [key, entry] : state_->kv) values.emplace(key, entry.value);
  return values;
}

std::vector<std::string> OrchestrationContext::get_kv_all_keys() const {
  std::vector<std::string> keys;
  keys.reserve(state_->kv.size());
  for (const auto& [key, entry] : state_->kv) keys.push_back(key);
  return keys;
}

void OrchestrationContext::clear_kv_value(std::string key) {
  state_->kv.erase(key);
  state_->emit(actions::ClearKeyValue{std::move(key)});
}

void OrchestrationContext::clear_all_kv_values() {
  state_->kv.clear();
  state_->emit(actions::ClearKeyValues{});
}

std::size_t OrchestrationContext::prune_kv_values_updated_before(std::uint64_t cutoff_ms) {
  std::vector<std::string> stale;
  for (const auto& [key, entry] : state_->kv)
    if (entry.last_updated_at_ms < cutoff_ms) stale.push_back(key);
  for (auto& key : stale) clear_kv_value(std::move(key));
  return stale.size();
}

void OrchestrationContext::trace(std::string level, std::string message) const {
  state_->trace(std::move(level), std::move(message));
}

}  // namespace duroxide
