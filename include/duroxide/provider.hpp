// Provider: the storage contract every store implements (docs/storage.md). Providers store exactly what
// the runtime tells them; they never interpret orchestration semantics.
//
// Every call blocks and returns ProviderResult<T>: a value or a ProviderError saying whether a retry
// may help. No exception escapes a provider call. Every method is safe to call from any thread.
// Fetches take a lock timeout (how long the returned lock lasts) and a poll timeout (how long the
// call may wait for work to become visible; it returns as soon as work is visible, never after a
// fixed sleep).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <duroxide/provider_types.hpp>
#include <duroxide/tag_filter.hpp>

namespace duroxide {

class ProviderAdmin;

class Provider {
 public:
  using Millis = std::chrono::milliseconds;

  virtual ~Provider() = default;

  // ---- orchestrator queue ----

  /// Enqueues a message for an instance's orchestrator queue, visible now or after `delay`
  /// (TimerFired included: its fire_at_ms is ignored here). Accepts messages for instances that do
  /// not exist yet; never creates instance rows. ActivityExecute is rejected (permanent).
  virtual ProviderResult<void> enqueue_for_orchestrator(const WorkItem& item, std::optional<Millis> delay) = 0;

  /// Locks the instance with the oldest visible message and returns all its visible messages with
  /// its current execution's history, or nothing when no work became visible within `poll_timeout`.
  /// With a filter, only instances whose current execution is pinned to a version inside the
  /// filter's first range (or not pinned) are candidates; an empty range list returns nothing.
  /// Undecodable history is reported in OrchestrationItem::history_error, never as an error.
  /// With `known`, the store may ship only the events after those the caller holds
  /// (OrchestrationItem::history_continues_from); a store may always ship the whole history.
  virtual ProviderResult<std::optional<LockedOrchestrationItem>> fetch_orchestration_item(
      Millis lock_timeout, Millis poll_timeout, const DispatcherCapabilityFilter* filter,
      const KnownHistory* known = nullptr) = 0;

  /// Commits one turn atomically: consumes the locked batch, appends the history delta, writes
  /// metadata, custom status and KV, enqueues worker and orchestrator items, removes cancelled
  /// activities, releases the lock. Fails as a whole (lock kept) on an unknown token, an expired
  /// lock or a duplicate event id.
  virtual ProviderResult<void> ack_orchestration_item(const std::string& lock_token, const OrchestrationAck& ack) = 0;

  /// Batched turns (docs/storage.md, "Batched turns"): up to `max_items` locked batches of
  /// different instances, each exactly what fetch_orchestration_item would return, claimed
  /// together; empty when no work became visible within `poll_timeout`. The default returns what
  /// one fetch_orchestration_item returns; a store may claim several in one transaction.
  virtual ProviderResult<std::vector<LockedOrchestrationItem>> fetch_orchestration_items(
      std::size_t max_items, Millis lock_timeout, Millis poll_timeout, const DispatcherCapabilityFilter* filter,
      const KnownHistory* known = nullptr);

  /// Commits several turns, each exactly as ack_orchestration_item would and independently of the
  /// others: one that fails leaves the others committed. One result per turn, in order. The default
  /// acks them one by one; a store may commit them in one transaction.
  virtual std::vector<ProviderResult<void>> ack_orchestration_items(const std::vector<TurnCommit>& turns);

  /// Releases the lock without consuming the batch; `delay` postpones its visibility;
  /// `ignore_attempt` undoes this fetch's attempt increment. Unknown token: permanent error.
  virtual ProviderResult<void> abandon_orchestration_item(const std::string& lock_token, std::optional<Millis> delay,
                                                          bool ignore_attempt) = 0;

  /// Extends a live lock to now + extend_for. Invalid, expired or acked: permanent error.
  virtual ProviderResult<void> renew_orchestration_item_lock(const std::string& lock_token, Millis extend_for) = 0;

  // ---- worker queue ----

  /// Enqueues an ActivityExecute (other kinds: permanent error), visible now.
  virtual ProviderResult<void> enqueue_for_worker(const WorkItem& item) = 0;

  /// Locks the oldest visible activity matching `tags` (and, with `session`, either unbound or bound
  /// to a session this owner holds or can claim). TagFilter::none() returns nothing at once.
  virtual ProviderResult<std::optional<LockedWorkItem>> fetch_work_item(
      Millis lock_timeout, Millis poll_timeout, const std::optional<SessionFetchConfig>& session,
      const TagFilter& tags) = 0;

  /// Deletes the locked activity and, with a completion (ActivityCompleted/ActivityFailed), enqueues
  /// it for the orchestrator. No live lock (cancelled, expired, acked): permanent error.
  virtual ProviderResult<void> ack_work_item(const std::string& lock_token,
                                             const std::optional<WorkItem>& completion) = 0;

  /// Unlocks the activity for redelivery (after `delay`). Unknown token: permanent error.
  virtual ProviderResult<void> abandon_work_item(const std::string& lock_token, std::optional<Millis> delay,
                                                 bool ignore_attempt) = 0;

  /// Extends a live activity lock. A failure is how a running activity learns it was cancelled.
  virtual ProviderResult<void> renew_work_item_lock(const std::string& lock_token, Millis extend_for) = 0;

  // ---- sessions ----

  /// Extends the live, non-idle sessions of these owners; returns how many were renewed.
  virtual ProviderResult<std::size_t> renew_session_lock(const std::vector<std::string>& owner_ids, Millis extend_for,
                                                         Millis idle_timeout) = 0;
  /// Deletes expired sessions no activity refers to; returns how many.
  virtual ProviderResult<std::size_t> cleanup_orphaned_sessions(Millis idle_timeout) = 0;

  // ---- history, status, KV ----

  /// The events of the instance's latest execution (empty for an unknown instance).
  virtual ProviderResult<std::vector<Event>> read(const std::string& instance) = 0;
  virtual ProviderResult<std::vector<Event>> read_with_execution(const std::string& instance,
                                                                 std::uint64_t execution_id) = 0;

  /// The custom status if its version is greater than `last_seen_version`, else nothing.
  virtual ProviderResult<std::optional<CustomStatusSnapshot>> get_custom_status(const std::string& instance,
                                                                                std::uint64_t last_seen_version) = 0;
  /// Committed KV overlaid with the running execution's changes.
  virtual ProviderResult<std::optional<std::string>> get_kv_value(const std::string& instance,
                                                                  const std::string& key) = 0;
  virtual ProviderResult<std::map<std::string, std::string>> get_kv_all_values(const std::string& instance) = 0;
  /// The current execution's status with its output or failure details and the custom status,
  /// without reading the whole history; nothing for an unknown instance. The default derives it from
  /// read() and get_custom_status(); stores override it to read their metadata instead.
  virtual ProviderResult<std::optional<InstanceStatusRecord>> get_instance_status(const std::string& instance);
  /// Size figures of the instance; nothing for an unknown instance.
  virtual ProviderResult<std::optional<SystemStats>> get_instance_stats(const std::string& instance) = 0;

  // ---- lifecycle ----

  /// Makes fetches that are waiting for work right now return (with nothing) promptly; fetches
  /// started afterwards wait normally. A runtime calls it at shutdown so its slots can exit without
  /// waiting out a long poll.
  virtual void wake_waiters() = 0;

  /// A counter that grows whenever a turn of `instance` is committed, i.e. whenever its history,
  /// status, custom status or KV may have changed. It may also grow for other instances' turns (a
  /// provider may share one counter among several instances): it says "look again", never what
  /// changed. Clients waiting for a change of `instance` read it before looking, then call
  /// wait_for_change().
  virtual std::uint64_t change_epoch(const std::string& instance) = 0;

  /// Returns once change_epoch(instance) differs from `seen`, or after `timeout`. A store signals
  /// the changes it can see (SQLite: this process's commits; PostgreSQL: every process's, through
  /// LISTEN/NOTIFY), so callers keep a bounded timeout and look again.
  virtual void wait_for_change(const std::string& instance, std::uint64_t seen, Millis timeout) = 0;

  // ---- identity ----

  virtual std::string name() const { return "unknown"; }
  virtual std::string version() const { return "0.0.0"; }
  /// The management view, or nullptr when this store has none.
  virtual ProviderAdmin* as_management_capability() { return nullptr; }
};

/// Management operations (docs/storage.md). Primitives are pure virtual; composites have defaults built
/// from them.
class ProviderAdmin {
 public:
  virtual ~ProviderAdmin() = default;

  /// All instance ids, newest first.
  virtual ProviderResult<std::vector<std::string>> list_instances() = 0;
  /// Ids whose current execution has `status`, newest first.
  virtual ProviderResult<std::vector<std::string>> list_instances_by_status(ExecutionStatus status) = 0;
  /// Execution ids ascending; empty for an unknown instance.
  virtual ProviderResult<std::vector<std::uint64_t>> list_executions(const std::string& instance) = 0;
  virtual ProviderResult<std::vector<Event>> read_history_with_execution_id(const std::string& instance,
                                                                            std::uint64_t execution_id) = 0;
  /// Highest execution id; 1 when there is none.
  virtual ProviderResult<std::uint64_t> latest_execution_id(const std::string& instance) = 0;
  /// Missing instance: permanent "Instance <id> not found".
  virtual ProviderResult<InstanceInfo> get_instance_info(const std::string& instance) = 0;
  virtual ProviderResult<ExecutionInfo> get_execution_info(const std::string& instance, std::uint64_t execution_id) = 0;
  virtual ProviderResult<SystemMetrics> get_system_metrics() = 0;
  virtual ProviderResult<QueueDepths> get_queue_depths() = 0;
  virtual ProviderResult<std::vector<std::string>> list_children(const std::string& instance) = 0;
  /// The parent id, or nothing for a root. Missing instance: permanent not-found.
  virtual ProviderResult<std::optional<std::string>> get_parent_id(const std::string& instance) = 0;
  /// Deletes these instances and everything they own in one transaction. Without `force`, a running
  /// instance is an error; a child created after the list was read is an error (nothing deleted).
  virtual ProviderResult<DeleteInstanceResult> delete_instances_atomic(const std::vector<std::string>& ids,
                                                                       bool force) = 0;
  /// Deletes terminal root instances (and their trees) selected by `filter`.
  virtual ProviderResult<DeleteInstanceResult> delete_instance_bulk(const InstanceFilter& filter) = 0;
  /// Deletes old terminal executions of one instance (never the current one).
  virtual ProviderResult<PruneResult> prune_executions(const std::string& instance, const PruneOptions& options) = 0;
  virtual ProviderResult<PruneResult> prune_executions_bulk(const InstanceFilter& filter,
                                                            const PruneOptions& options) = 0;
  /// Every dead letter (raw text of a corrupt queue row), oldest first.
  virtual ProviderResult<std::vector<DeadLetter>> list_dead_letters() = 0;
  /// One page of instances matching `query`, newest first (docs/storage.md, "Listing instances").
  /// A limit outside 1..kMaxInstancePageLimit or a cursor this store did not write: permanent
  /// InvalidInput. The stores of this library read only the page from an index; the default, for
  /// other providers, reads every instance's info.
  virtual ProviderResult<InstancePage> list_instances_page(const InstanceQuery& query);

  // Composites.

  /// The latest execution's history.
  virtual ProviderResult<std::vector<Event>> read_history(const std::string& instance);
  /// The instance and all its descendants (the root is included even if it does not exist).
  virtual ProviderResult<InstanceTree> get_instance_tree(const std::string& instance);
  /// Deletes a root instance with its whole tree. A sub-orchestration cannot be deleted directly
  /// (permanent error, even with force).
  virtual ProviderResult<DeleteInstanceResult> delete_instance(const std::string& instance, bool force);
};

}  // namespace duroxide
