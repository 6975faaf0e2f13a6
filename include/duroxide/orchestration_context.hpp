// OrchestrationContext: what orchestration code uses to schedule durable work (docs/orchestration-engine.md).
// A cheap, copyable handle to the current turn's state. Every schedule_* call emits its action at
// call time, in call order; the returned future resolves from history ("Context calls and when futures resolve").
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <duroxide/codec.hpp>
#include <duroxide/composition.hpp>
#include <duroxide/detail/context_state.hpp>
#include <duroxide/durable_future.hpp>
#include <duroxide/result.hpp>
#include <duroxide/retry_policy.hpp>
#include <duroxide/task.hpp>

namespace duroxide {

namespace detail {
/// Typed encode used for inputs: an encode failure is a programming error (docs/core.md, "Typed codec").
template <class T>
std::string encode_or_throw(const T& value) {
  auto encoded = codec::encode(value);
  if (!encoded) throw std::invalid_argument(encoded.error());
  return std::move(*encoded);
}
template <class T>
Result<T> decode_result(Result<std::string> raw) {
  if (!raw) return Err(std::move(raw.error()));
  return codec::decode<T>(*raw);
}
}  // namespace detail

class OrchestrationContext {
 public:
  explicit OrchestrationContext(std::shared_ptr<detail::ContextState> state) : state_(std::move(state)) {}

  // ---- identity ----
  const std::string& instance_id() const { return state_->instance_id; }
  std::uint64_t execution_id() const { return state_->execution_id; }
  const std::string& orchestration_name() const { return state_->orchestration_name; }
  const std::string& orchestration_version() const { return state_->orchestration_version; }
  /// True while the code re-executes persisted history (docs/orchestration-engine.md).
  bool is_replaying() const { return state_->is_replaying; }

  // ---- activities ----
  DurableFuture<Result<std::string>> schedule_activity(std::string name, std::string input);
  DurableFuture<Result<std::string>> schedule_activity_on_session(std::string name, std::string input,
                                                                  std::string session_id);
  template <class Out, class In>
  DurableFuture<Result<Out>> schedule_activity_typed(std::string name, const In& input) {
    return schedule_activity(std::move(name), detail::encode_or_throw(input)).map(&detail::decode_result<Out>);
  }
  template <class Out, class In>
  DurableFuture<Result<Out>> schedule_activity_on_session_typed(std::string name, const In& input,
                                                                std::string session_id) {
    return schedule_activity_on_session(std::move(name), detail::encode_or_throw(input), std::move(session_id))
        .map(&detail::decode_result<Out>);
  }

  /// Retries per `policy` (docs/core.md, "Retry policy"). Lazy: nothing is emitted until first polled.
  Task<Result<std::string>> schedule_activity_with_retry(std::string name, std::string input, RetryPolicy policy);
  Task<Result<std::string>> schedule_activity_with_retry_on_session(std::string name, std::string input,
                                                                    RetryPolicy policy, std::string session_id);
  template <class Out, class In>
  Task<Result<Out>> schedule_activity_with_retry_typed(std::string name, const In& input, RetryPolicy policy) {
    return decode_task<Out>(schedule_activity_with_retry(std::move(name), detail::encode_or_throw(input), policy));
  }
  template <class Out, class In>
  Task<Result<Out>> schedule_activity_with_retry_on_session_typed(std::string name, const In& input, RetryPolicy policy,
                                                                  std::string session_id) {
    return decode_task<Out>(schedule_activity_with_retry_on_session(std::move(name), detail::encode_or_throw(input),
                                                                    policy, std::move(session_id)));
  }

  // ---- timers ----
  /// Resolves when the timer fires; fire time = wall clock now + delay (ms, saturating).
  DurableFuture<std::monostate> schedule_timer(Duration delay);

  // ---- external events ----
  /// Positional wait: the Nth open wait for `name` receives the Nth delivered raise.
  DurableFuture<std::string> schedule_wait(std::string name);
  /// Decode failure is a programming error (orchestration fails, Panicked).
  template <class T>
  DurableFuture<T> schedule_wait_typed(std::string name) {
    return schedule_wait(std::move(name)).map(&decode_or_throw<T>);
  }
  /// Persistent FIFO queue dequeue (docs/orchestration-engine.md, "External events: positional and queue").
  DurableFuture<std::string> dequeue_event(std::string queue_name);
  template <class T>
  DurableFuture<T> dequeue_event_typed(std::string queue_name) {
    return dequeue_event(std::move(queue_name)).map(&decode_or_throw<T>);
  }
  /// Deprecated alias of dequeue_event.
  DurableFuture<std::string> schedule_wait_persistent(std::string queue_name) {
    return dequeue_event(std::move(queue_name));
  }

  // ---- sub-orchestrations (awaited) ----
  DurableFuture<Result<std::string>> schedule_sub_orchestration(std::string name, std::string input);
  DurableFuture<Result<std::string>> schedule_sub_orchestration_with_id(std::string name, std::string instance,
                                                                        std::string input);
  DurableFuture<Result<std::string>> schedule_sub_orchestration_versioned(std::string name,
                                                                          std::optional<std::string> version,
                                                                          std::string input);
  DurableFuture<Result<std::string>> schedule_sub_orchestration_versioned_with_id(std::string name,
                                                                                  std::optional<std::string> version,
                                                                                  std::string instance,
                                                                                  std::string input);
  template <class Out, class In>
  DurableFuture<Result<Out>> schedule_sub_orchestration_typed(std::string name, const In& input) {
    return schedule_sub_orchestration(std::move(name), detail::encode_or_throw(input)).map(&detail::decode_result<Out>);
  }
  template <class Out, class In>
  DurableFuture<Result<Out>> schedule_sub_orchestration_with_id_typed(std::string name, std::string instance,
                                                                      const In& input) {
    return schedule_sub_orchestration_with_id(std::move(name), std::move(instance), detail::encode_or_throw(input))
        .map(&detail::decode_result<Out>);
  }

  // ---- detached orchestrations (fire and forget) ----
  void schedule_orchestration(std::string name, std::string instance, std::string input);
  void schedule_orchestration_versioned(std::string name, std::optional<std::string> version, std::string instance,
                                        std::string input);
  template <class In>
  void schedule_orchestration_typed(std::string name, std::string instance, const In& input) {
    schedule_orchestration(std::move(name), std::move(instance), detail::encode_or_throw(input));
  }

  // ---- continue-as-new ----
  /// Ends this execution and starts a fresh one with `input`; the returned awaitable never resumes.
  ContinueAsNewAwaitable continue_as_new(std::string input);
  ContinueAsNewAwaitable continue_as_new_versioned(std::string version, std::string input);
  template <class In>
  ContinueAsNewAwaitable continue_as_new_typed(const In& input) {
    return continue_as_new(detail::encode_or_throw(input));
  }

  // ---- composition (docs/orchestration-engine.md, "join and select") ----
  template <class F>
  static JoinAll<F> join(std::vector<F> futures) {
    return JoinAll<F>(std::move(futures));
  }
  template <class A, class B>
  static JoinTuple<A, B> join2(A a, B b) {
    return JoinTuple<A, B>(std::move(a), std::move(b));
  }
  template <class A, class B, class C>
  static JoinTuple<A, B, C> join3(A a, B b, C c) {
    return JoinTuple<A, B, C>(std::move(a), std::move(b), std::move(c));
  }
  template <class A, class B>
  static Select2<A, B> select2(A a, B b) {
    return Select2<A, B>(std::move(a), std::move(b));
  }
  template <class A, class B, class C>
  static Select3<A, B, C> select3(A a, B b, C c) {
    return Select3<A, B, C>(std::move(a), std::move(b), std::move(c));
  }

  // ---- deterministic system calls (built-in activities, docs/core.md, "Identifiers and limits") ----
  DurableFuture<Result<std::string>> new_guid();
  DurableFuture<Result<std::chrono::system_clock::time_point>> utc_now();
  DurableFuture<Result<std::optional<std::string>>> get_kv_value_from_instance(std::string instance_id,
                                                                               std::string key);
  template <class T>
  DurableFuture<Result<std::optional<T>>> get_kv_value_from_instance_typed(std::string instance_id, std::string key) {
    return get_kv_value_from_instance(std::move(instance_id), std::move(key))
        .map([](Result<std::optional<std::string>> raw) -> Result<std::optional<T>> {
          if (!raw) return Err(std::move(raw.error()));
          if (!*raw) return std::optional<T>();
          auto parsed = parse_strict<T>(**raw);
          if (!parsed) return Err(std::move(parsed.error()));
          return std::optional<T>(std::move(*parsed));
        });
  }

  // ---- custom status (docs/orchestration-engine.md, "Custom status and KV") ----
  void set_custom_status(std::string status);
  void reset_custom_status();
  std::optional<std::string> get_custom_status() const { return state_->custom_status; }

  // ---- key-value store (docs/orchestration-engine.md, "Custom status and KV") ----
  void set_kv_value(std::string key, std::string value);
  /// Stores the plain JSON text of `value` (a string is stored quoted; no codec, docs/core.md).
  template <class T>
  void set_kv_value_typed(std::string key, const T& value) {
    set_kv_value(std::move(key), nlohmann::json(value).dump());
  }
  std::optional<std::string> get_kv_value(const std::string& key) const;
  template <class T>
  Result<std::optional<T>> get_kv_value_typed(const std::string& key) const {
    auto raw = get_kv_value(key);
    if (!raw) return std::optional<T>();
    auto parsed = parse_strict<T>(*raw);
    if (!parsed) return Err("KV deserialization error for key '" + key + "': " + parsed.error());
    return std::optional<T>(std::move(*parsed));
  }
  std::map<std::string, std::string> get_kv_all_values() const;
  /// Keys in ascending order.
  std::vector<std::string> get_kv_all_keys() const;
  std::size_t get_kv_length() const { return state_->kv.size(); }
  void clear_kv_value(std::string key);
  void clear_all_kv_values();
  /// Clears every key last updated before `cutoff_ms` (ascending key order); returns the count.
  std::size_t prune_kv_values_updated_before(std::uint64_t cutoff_ms);

  // ---- replay-safe logging: silent while replaying ----
  void trace(std::string level, std::string message) const;
  void trace_info(std::string message) const { trace("info", std::move(message)); }
  void trace_warn(std::string message) const { trace("warn", std::move(message)); }
  void trace_error(std::string message) const { trace("error", std::move(message)); }
  void trace_debug(std::string message) const { trace("debug", std::move(message)); }

 private:
  DurableFuture<Result<std::string>> make_result_future(std::uint64_t token, FutureKind kind);
  DurableFuture<Result<std::string>> start_sub_orchestration(std::string name, std::optional<std::string> version,
                                                             std::optional<std::string> instance, std::string input);
  static Task<Result<std::string>> retry_loop(OrchestrationContext ctx, std::string name, std::string input,
                                              RetryPolicy policy, std::optional<std::string> session_id);

  template <class T>
  static T decode_or_throw(std::string raw) {
    auto decoded = codec::decode<T>(raw);
    if (!decoded) throw std::invalid_argument("typed event decode failed: " + decoded.error());
    return std::move(*decoded);
  }
  template <class T>
  static Result<T> parse_strict(const std::string& text) {
    try {
      return nlohmann::json::parse(text).template get<T>();
    } catch (const std::exception& e) {
      return Err(e.what());
    }
  }
  template <class Out>
  static Task<Result<Out>> decode_task(Task<Result<std::string>> inner) {
    auto raw = co_await inner;
    co_return detail::decode_result<Out>(std::move(raw));
  }

  std::shared_ptr<detail::ContextState> state_;
};

}  // namespace duroxide
