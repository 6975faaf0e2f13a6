// Client: the control plane (docs/runtime.md, "Client"). Starts, signals, cancels, observes and administers
// instances through the store alone, so it works in any process, with or without a runtime.
// Every call blocks and returns std::expected<T, ClientError>; copies share the store.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <duroxide/codec.hpp>
#include <duroxide/orchestration_status.hpp>
#include <duroxide/provider.hpp>
#include <duroxide/schedules.hpp>

namespace duroxide {

/// Why a client call failed (docs/runtime.md, "Client").
struct ClientError {
  enum class Kind {
    Provider,                      ///< the store failed; see `provider`
    ManagementNotAvailable,        ///< the store has no ProviderAdmin
    InvalidInput,                  ///< typed encode/decode failed
    Timeout,                       ///< a wait_* deadline passed
    InstanceStillRunning,          ///< delete without force of a running instance
    CannotDeleteSubOrchestration,  ///< delete of a child instance: delete its root
    InstanceNotFound,
    NotRewindable,   ///< rewind of an instance that has not failed, or was cancelled; see `message`
    ScheduleExists,  ///< create_schedule of an id whose schedule has not ended; `instance_id` is the schedule's
    ScheduleEnded,   ///< pause, resume or delete of a schedule that was deleted or has ended
  };
  Kind kind = Kind::Provider;
  std::optional<ProviderError> provider;
  std::string message;      ///< InvalidInput text
  std::string instance_id;  ///< for the instance kinds

  ClientError() = default;
  ClientError(ProviderError error)  // NOLINT(google-explicit-constructor): implicit conversion, as in duroxide
      : kind(Kind::Provider), provider(std::move(error)) {}
  static ClientError of(Kind kind, std::string instance_id = {}, std::string message = {});
  static ClientError invalid_input(std::string message) { return of(Kind::InvalidInput, {}, std::move(message)); }

  bool is_retryable() const;
  std::string to_string() const;
};

template <class T>
using ClientResult = std::expected<T, ClientError>;

class Client {
 public:
  explicit Client(std::shared_ptr<Provider> store);

  // ---- send ----
  ClientResult<void> start_orchestration(const std::string& instance, const std::string& name,
                                         const std::string& input) const;
  ClientResult<void> start_orchestration_versioned(const std::string& instance, const std::string& name,
                                                   const std::string& version, const std::string& input) const;
  template <class T>
  ClientResult<void> start_orchestration_typed(const std::string& instance, const std::string& name,
                                               const T& input) const {
    auto encoded = encode_input(input);
    if (!encoded) return std::unexpected(encoded.error());
    return start_orchestration(instance, name, *encoded);
  }
  template <class T>
  ClientResult<void> start_orchestration_versioned_typed(const std::string& instance, const std::string& name,
                                                         const std::string& version, const T& input) const {
    auto encoded = encode_input(input);
    if (!encoded) return std::unexpected(encoded.error());
    return start_orchestration_versioned(instance, name, version, *encoded);
  }
  /// Like start_orchestration (start_orchestration_versioned with `version`), the instance
  /// continuing the caller's trace: its span and its activities' spans are children of the
  /// span `traceparent` names (a W3C traceparent header, docs/tracing.md). InvalidInput when
  /// it is not one.
  ClientResult<void> start_orchestration_traced(const std::string& instance, const std::string& name,
                                                const std::string& input, const std::string& traceparent,
                                                const std::optional<std::string>& version = std::nullopt) const;
  /// Positional event: delivered to a waiting schedule_wait(name), else dropped.
  ClientResult<void> raise_event(const std::string& instance, const std::string& event, const std::string& data) const;
  template <class T>
  ClientResult<void> raise_event_typed(const std::string& instance, const std::string& event, const T& data) const {
    auto encoded = encode_input(data);
    if (!encoded) return std::unexpected(encoded.error());
    return raise_event(instance, event, *encoded);
  }
  /// Persistent FIFO mailbox message, consumed by dequeue_event(queue). Start the instance first.
  ClientResult<void> enqueue_event(const std::string& instance, const std::string& queue,
                                   const std::string& data) const;
  template <class T>
  ClientResult<void> enqueue_event_typed(const std::string& instance, const std::string& queue, const T& data) const {
    auto encoded = encode_input(data);
    if (!encoded) return std::unexpected(encoded.error());
    return enqueue_event(instance, queue, *encoded);
  }
  [[deprecated("use enqueue_event")]] ClientResult<void> raise_event_persistent(const std::string& instance,
                                                                                const std::string& queue,
                                                                                const std::string& data) const {
    return enqueue_event(instance, queue, data);
  }
  ClientResult<void> cancel_instance(const std::string& instance, const std::string& reason) const;
  /// Ends the instance at once as Terminated: its code does not run again, its activities in
  /// flight are abandoned, and its open sub-orchestrations are terminated too unless
  /// `terminate_children` is false (docs/terminate.md). Like cancel, it is a message: the runtime
  /// carries it out, and drops it for an instance that has already ended. InstanceNotFound for an
  /// instance the store has no status of (unknown, or its first turn not yet committed).
  ClientResult<void> terminate_instance(const std::string& instance, const std::string& reason,
                                        bool terminate_children = true) const;
  /// Pauses the instance: until resume_instance, its code runs no turn; messages sent to it
  /// (events, activity results, timers) are recorded in its history and wait there, and its status
  /// is Suspended. Survives restarts; cancel and terminate still work on it (a cancel resumes it so
  /// the code can run its cancellation). InstanceNotFound for an instance without a status
  /// (docs/suspend-resume.md).
  ClientResult<void> suspend_instance(const std::string& instance, const std::string& reason) const;
  /// Lets a suspended instance run again, with everything recorded meanwhile. No effect on an
  /// instance that is not suspended.
  ClientResult<void> resume_instance(const std::string& instance, const std::string& reason = {}) const;
  /// Takes a failed instance back to before its failure (docs/rewind.md): the failure and the
  /// failed activity and sub-orchestration outcomes that led to it are superseded (recorded in
  /// history, so the rewind replays), that work runs again (a failed child is rewound too), and
  /// the code continues from the same history prefix: the fix for a bug deployed meanwhile
  /// applies. Status is Running again once the runtime has carried it out. NotRewindable for an
  /// instance that has not failed or was cancelled; InstanceNotFound for one without a status.
  ClientResult<void> rewind_instance(const std::string& instance, const std::string& reason) const;

  // ---- durable schedules (docs/schedules.md) ----
  /// Creates schedule `id`: each firing of `spec` (a ScheduleSpec: cron expression, macro or
  /// `@every` interval, in UTC) starts `orchestration` with `input` as instance
  /// schedule_run_instance_id(id, firing time); `overlap` says what a firing does while the last
  /// run has not ended. The schedule is itself an instance, schedule_instance_id(id), run by
  /// whichever runtime on the store takes it, so it fires once however many share the store. A
  /// deleted or ended schedule of the same id is replaced (needs ProviderAdmin). InvalidInput for
  /// an empty id or name or a spec that does not parse (the message says why); ScheduleExists
  /// when a schedule of that id is active or paused.
  ClientResult<void> create_schedule(const std::string& id, const std::string& spec, const std::string& orchestration,
                                     const std::string& input, OverlapPolicy overlap = OverlapPolicy::Skip) const;
  /// Like create_schedule, with each run pinned to `version` of the orchestration.
  ClientResult<void> create_schedule_versioned(const std::string& id, const std::string& spec,
                                               const std::string& orchestration, const std::string& version,
                                               const std::string& input,
                                               OverlapPolicy overlap = OverlapPolicy::Skip) const;
  /// The schedule as it last recorded itself. InstanceNotFound (for schedule_instance_id(id))
  /// before a runtime has run its first turn.
  ClientResult<ScheduleInfo> get_schedule(const std::string& id) const;
  /// Every schedule on the store but the deleted ones, by id (needs ProviderAdmin).
  ClientResult<std::vector<ScheduleInfo>> list_schedules() const;
  /// Stops the schedule firing until resume_schedule; firings due meanwhile are not made up.
  /// Runs already started go on. Like every call here it is a message the schedule takes in
  /// its next turn. ScheduleEnded for a deleted or ended schedule.
  ClientResult<void> pause_schedule(const std::string& id, const std::string& reason = {}) const;
  /// Lets a paused schedule fire again, from its next firing after now.
  ClientResult<void> resume_schedule(const std::string& id) const;
  /// Ends the schedule (its instance is terminated): it fires no more; runs already started go on.
  ClientResult<void> delete_schedule(const std::string& id) const;

  // ---- status and waiting ----
  ClientResult<OrchestrationStatus> get_orchestration_status(const std::string& instance) const;
  /// Polls (5 ms growing to 100 ms) until Completed, Failed or Terminated; Timeout otherwise.
  ClientResult<OrchestrationStatus> wait_for_orchestration(const std::string& instance,
                                                           std::chrono::milliseconds timeout) const;
  /// Completed → the decoded output; Failed → the failure's display message; Terminated →
  /// "terminated: <reason>".
  template <class Out>
  ClientResult<std::expected<Out, std::string>> wait_for_orchestration_typed(const std::string& instance,
                                                                             std::chrono::milliseconds timeout) const {
    auto status = wait_for_orchestration(instance, timeout);
    if (!status) return std::unexpected(status.error());
    if (const auto* failed = status->template get_if<status::Failed>()) {
      return std::expected<Out, std::string>(std::unexpect, failed->details.display_message());
    }
    if (const auto* terminated = status->template get_if<status::Terminated>()) {
      return std::expected<Out, std::string>(std::unexpect, "terminated: " + terminated->reason);
    }
    auto decoded = codec::decode<Out>(status->template get_if<status::Completed>()->output);
    if (!decoded) return std::unexpected(ClientError::invalid_input("decode failed: " + decoded.error()));
    return std::expected<Out, std::string>(std::move(*decoded));
  }
  /// Returns when the custom status version exceeds `last_seen_version` or the instance finishes.
  ClientResult<OrchestrationStatus> wait_for_status_change(const std::string& instance, std::uint64_t last_seen_version,
                                                           std::chrono::milliseconds poll_interval,
                                                           std::chrono::milliseconds timeout) const;

  // ---- KV and stats ----
  ClientResult<std::optional<std::string>> get_kv_value(const std::string& instance, const std::string& key) const;
  template <class T>
  ClientResult<std::optional<T>> get_kv_value_typed(const std::string& instance, const std::string& key) const {
    auto value = get_kv_value(instance, key);
    if (!value) return std::unexpected(value.error());
    if (!*value) return std::optional<T>();
    auto decoded = decode_strict<T>(**value);
    if (!decoded) return std::unexpected(decoded.error());
    return std::optional<T>(std::move(*decoded));
  }
  ClientResult<std::map<std::string, std::string>> get_kv_all_values(const std::string& instance) const;
  ClientResult<std::string> wait_for_kv_value(const std::string& instance, const std::string& key,
                                              std::chrono::milliseconds timeout) const;
  template <class T>
  ClientResult<T> wait_for_kv_value_typed(const std::string& instance, const std::string& key,
                                          std::chrono::milliseconds timeout) const {
    auto value = wait_for_kv_value(instance, key, timeout);
    if (!value) return std::unexpected(value.error());
    return decode_strict<T>(*value);
  }
  ClientResult<std::optional<SystemStats>> get_orchestration_stats(const std::string& instance) const;

  // ---- management (needs the store's ProviderAdmin) ----
  bool has_management_capability() const;
  ClientResult<std::vector<std::string>> list_all_instances() const;
  ClientResult<std::vector<std::string>> list_instances_by_status(ExecutionStatus status) const;
  /// duroxide's form: "Running", "Completed", "Failed", "ContinuedAsNew" or "Terminated" (any
  /// other word: none).
  ClientResult<std::vector<std::string>> list_instances_by_status(const std::string& status) const;
  /// One page of instances, newest first, filtered by status, name and creation time; pass the
  /// page's `next_cursor` in the next query for the page after it (docs/storage.md, "Listing instances").
  ClientResult<InstancePage> list_instances_page(const InstanceQuery& query) const;
  ClientResult<InstanceInfo> get_instance_info(const std::string& instance) const;
  ClientResult<ExecutionInfo> get_execution_info(const std::string& instance, std::uint64_t execution_id) const;
  ClientResult<std::vector<std::uint64_t>> list_executions(const std::string& instance) const;
  ClientResult<std::vector<Event>> read_execution_history(const std::string& instance,
                                                          std::uint64_t execution_id) const;
  ClientResult<SystemMetrics> get_system_metrics() const;
  ClientResult<QueueDepths> get_queue_depths() const;
  ClientResult<InstanceTree> get_instance_tree(const std::string& instance) const;
  /// Deletes a root instance and its whole tree.
  ClientResult<DeleteInstanceResult> delete_instance(const std::string& instance, bool force) const;
  ClientResult<DeleteInstanceResult> delete_instance_bulk(const InstanceFilter& filter) const;
  ClientResult<PruneResult> prune_executions(const std::string& instance, const PruneOptions& options) const;
  ClientResult<PruneResult> prune_executions_bulk(const InstanceFilter& filter, const PruneOptions& options) const;
  /// Raw queue rows the store could not process (docs/failure-modes-corrupt-rows.md), oldest first.
  ClientResult<std::vector<DeadLetter>> list_dead_letters() const;

  const std::shared_ptr<Provider>& store() const { return store_; }

 private:
  template <class T>
  static ClientResult<std::string> encode_input(const T& value) {
    auto encoded = codec::encode(value);
    if (!encoded) return std::unexpected(ClientError::invalid_input("encode: " + encoded.error()));
    return std::move(*encoded);
  }
  template <class T>
  static ClientResult<T> decode_strict(const std::string& text) {
    try {
      return nlohmann::json::parse(text).template get<T>();
    } catch (const std::exception& e) {
      return std::unexpected(ClientError::invalid_input(std::string("KV deserialization error: ") + e.what()));
    }
  }
  ClientResult<ProviderAdmin*> admin() const;

  std::shared_ptr<Provider> store_;
};

}  // namespace duroxide
