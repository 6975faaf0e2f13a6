// Types of the storage contract (docs/storage.md): errors, locked items, ack contents, metadata and the
// management views. Plain values; providers and the runtime exchange them.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <duroxide/error_details.hpp>
#include <duroxide/event.hpp>
#include <duroxide/kv_entry.hpp>
#include <duroxide/semver.hpp>
#include <duroxide/work_item.hpp>

namespace duroxide {

/// What kind of failure a ProviderError is, so that callers decide by kind, never by reading the
/// message (docs/storage.md, "Errors"). Every store reports these kinds for the same situations;
/// the validation suite checks it.
enum class ProviderErrorKind {
  Other,                         ///< anything else: busy or lost database, I/O, a store's own trouble
  NotFound,                      ///< the instance or execution named does not exist
  InstanceStillRunning,          ///< deleting a running instance without force
  CannotDeleteSubOrchestration,  ///< deleting a child directly: delete its root
  LockLost,                      ///< the lock token is unknown, expired, already used, or its work cancelled
  DuplicateEvent,                ///< an event id the execution already has
  InvalidInput,                  ///< an argument the contract forbids (empty id, event id 0, wrong item kind)
  PayloadTooLarge,               ///< a serialized work item or event above the store's limit
};

/// The kind's name, e.g. "LockLost".
std::string_view to_string(ProviderErrorKind kind);

/// A storage failure: which operation, what happened, whether retrying may help, and its kind.
struct ProviderError {
  std::string operation;
  std::string message;
  bool retryable = true;
  ProviderErrorKind kind = ProviderErrorKind::Other;

  /// Transient: a retry may succeed (busy database, lost connection).
  static ProviderError transient(std::string operation, std::string message) {
    return {std::move(operation), std::move(message), true, ProviderErrorKind::Other};
  }
  /// Permanent: retrying cannot help (invalid lock token, duplicate event id, bad input).
  static ProviderError permanent(std::string operation, std::string message,
                                 ProviderErrorKind kind = ProviderErrorKind::Other) {
    return {std::move(operation), std::move(message), false, kind};
  }
  /// A bare message: operation "unknown", retryable (duroxide's conversion from a string).
  static ProviderError from_message(std::string message) {
    return {"unknown", std::move(message), true, ProviderErrorKind::Other};
  }

  bool is_retryable() const { return retryable; }
  bool is(ProviderErrorKind k) const { return kind == k; }
  /// "<operation>: <message>".
  std::string to_string() const { return operation + ": " + message; }
  ErrorDetails to_infrastructure_error() const { return ErrorDetails::infrastructure(operation, message, retryable); }

  bool operator==(const ProviderError&) const = default;
};

template <class T>
using ProviderResult = std::expected<T, ProviderError>;

/// A stored row the provider could not turn into what it should hold: a queue row whose text does
/// not decode, decodes to the wrong kind, or names another instance than its row's columns; or an
/// instance row whose current execution does not exist. The provider reports it and never drops
/// it silently; the runtime decides what the instance sees (docs/failure-modes-corrupt-rows.md).
struct CorruptRow {
  /// The dead letter keeping the raw text of a corrupt queue row (nothing for an instance row).
  std::optional<std::uint64_t> dead_letter_id;
  /// Names the table, the row and the problem.
  std::string error;
  bool operator==(const CorruptRow&) const = default;
};

/// What a fetch's caller already holds of execution histories, so that the fetch can ship only the
/// events it has not seen (docs/storage.md, "Delta fetch"). The runtime's history cache implements
/// it. Called by the store while it builds an item, from the fetching thread: keep it quick.
class KnownHistory {
 public:
  virtual ~KnownHistory() = default;
  /// The id of the last event the caller holds of this execution, or 0 when it holds none.
  virtual std::uint64_t last_event_id(const std::string& instance, std::uint64_t execution_id) const = 0;
};

/// One locked batch for one instance (docs/storage.md, "The contract step by step").
struct OrchestrationItem {
  std::string instance;
  std::string orchestration_name;
  std::uint64_t execution_id = 1;
  std::string version;  ///< "unknown" when not known
  /// Events of the current execution by event_id; empty for a new instance or on history_error.
  /// With history_continues_from set, only a tail of them (see there).
  std::vector<Event> history;
  /// Set to k when the fetch was given a KnownHistory that holds events 1..k of this execution and
  /// the store has event k: `history` then starts with event k (for the caller to check against
  /// its copy) followed by the newer events. Unset: `history` is the whole execution.
  std::optional<std::uint64_t> history_continues_from;
  /// The batch, in enqueue order.
  std::vector<WorkItem> messages;
  /// Set when the stored history cannot be decoded (history and kv_snapshot are then empty).
  std::optional<std::string> history_error;
  /// Highest event id among the stored history rows of `execution_id` (0 when none), known even
  /// when history_error is set: a failure the runtime must still record is appended after it.
  std::uint64_t stored_last_event_id = 0;
  /// The committed KV store (values written by earlier executions only).
  std::map<std::string, KvEntry> kv_snapshot;
  /// Rows of this instance the provider could not use. Corrupt queue rows are left out of
  /// `messages` but are part of the batch: the ack deletes them (their text stays a dead letter).
  std::vector<CorruptRow> corrupt_rows;
};

struct LockedOrchestrationItem {
  OrchestrationItem item;
  std::string lock_token;
  /// Max attempt count over the batch after this fetch's increment (1 on first delivery).
  std::uint32_t attempt_count = 0;
};

/// The status of one execution, as stores record it (docs/storage.md, "Schema": the text forms are
/// what the status columns hold, the same words duroxide writes).
/// Terminated and Suspended are our extensions (docs/terminate.md, docs/suspend-resume.md): an
/// operator ended the execution, or paused it (not an ending).
enum class ExecutionStatus { Running, Completed, Failed, ContinuedAsNew, Terminated, Suspended };

/// "Running", "Completed", "Failed", "ContinuedAsNew", "Terminated" or "Suspended".
std::string_view to_string(ExecutionStatus status);
/// The status a stored text names; nothing for any other text (a row written by something else).
std::optional<ExecutionStatus> parse_execution_status(std::string_view text);
/// Every status but Running and Suspended: the execution has ended.
inline bool is_terminal(ExecutionStatus status) {
  return status != ExecutionStatus::Running && status != ExecutionStatus::Suspended;
}

/// What the runtime tells the provider about the execution in an ack (docs/orchestration-engine.md, "Terminal states").
struct ExecutionMetadata {
  std::optional<ExecutionStatus> status;
  std::optional<std::string> output;
  std::optional<std::string> orchestration_name;  ///< with orchestration_version: create/update the instance row
  std::optional<std::string> orchestration_version;
  std::optional<std::string> parent_instance_id;  ///< stored only when the instance row is created
  std::optional<Version> pinned_duroxide_version;
  bool operator==(const ExecutionMetadata&) const = default;
};

/// Identifies a worker-queue entry to remove (lock stealing).
struct ScheduledActivityIdentifier {
  std::string instance;
  std::uint64_t execution_id = 0;
  std::uint64_t activity_id = 0;
  bool operator==(const ScheduledActivityIdentifier&) const = default;
};

/// Everything one orchestration turn commits atomically (docs/storage.md, "The contract step by step").
struct OrchestrationAck {
  std::uint64_t execution_id = 1;
  std::vector<Event> history_delta;
  std::vector<WorkItem> worker_items;        ///< ActivityExecute only
  std::vector<WorkItem> orchestrator_items;  ///< routed per work_item_instance(); TimerFired delayed
  ExecutionMetadata metadata;
  std::vector<ScheduledActivityIdentifier> cancelled_activities;
};

/// One turn of a batched commit (Provider::ack_orchestration_items): the lock its batch holds and
/// what it commits. Both are borrowed for the call.
struct TurnCommit {
  const std::string& lock_token;
  const OrchestrationAck& ack;
};

/// Which duroxide versions a dispatcher can replay. Providers use only the first range.
struct DispatcherCapabilityFilter {
  std::vector<SemverRange> ranges;
  bool is_compatible(const Version& v) const {
    for (const auto& r : ranges) {
      if (r.contains(v)) return true;
    }
    return false;
  }
};

/// Session affinity of a worker fetch: who owns the sessions it claims, and the lease length.
struct SessionFetchConfig {
  std::string owner_id;
  std::chrono::milliseconds lock_timeout{30000};
};

struct LockedWorkItem {
  /// An ActivityExecute. For a corrupt row: built from the row's instance, execution and activity
  /// id columns, with no name and no input (it must not run).
  WorkItem item;
  std::string lock_token;
  std::uint32_t attempt_count = 0;
  /// Set when the row's text could not be used; its raw text is kept as a dead letter. Ack it with
  /// a completion for `item`'s identity instead of running it.
  std::optional<CorruptRow> corrupt;
};

/// A custom status newer than the version the caller has seen.
struct CustomStatusSnapshot {
  std::optional<std::string> status;
  std::uint64_t version = 0;
  bool operator==(const CustomStatusSnapshot&) const = default;
};

/// An instance's status as its metadata records it (Provider::get_instance_status), so that a
/// client can report it without reading the whole history (docs/storage.md, "Status without history").
struct InstanceStatusRecord {
  /// The current execution's status; ContinuedAsNew while the next execution has not had its
  /// first turn.
  ExecutionStatus status = ExecutionStatus::Running;
  /// Completed: the orchestration's output; Terminated and Suspended: the operator's reason.
  std::optional<std::string> output;
  /// Failed: the details of the execution's OrchestrationFailed event.
  std::optional<ErrorDetails> failure;
  std::optional<std::string> custom_status;
  std::uint64_t custom_status_version = 0;
  bool operator==(const InstanceStatusRecord&) const = default;
};

/// Size figures of one instance (docs/storage.md, "The contract step by step").
struct SystemStats {
  std::uint64_t history_event_count = 0;
  std::uint64_t history_size_bytes = 0;
  std::uint64_t queue_pending_count = 0;
  std::uint64_t kv_user_key_count = 0;
  std::uint64_t kv_total_value_bytes = 0;
  bool operator==(const SystemStats&) const = default;
};

// ---- management views (docs/storage.md, "The contract step by step") ----

struct InstanceInfo {
  std::string instance_id;
  std::string orchestration_name;
  std::string orchestration_version;  ///< "unknown" if not recorded
  std::uint64_t current_execution_id = 1;
  /// The current execution's status; nothing without an execution row (or with a status text this
  /// library does not know).
  std::optional<ExecutionStatus> status;
  std::optional<std::string> output;
  std::uint64_t created_at_ms = 0;
  std::uint64_t updated_at_ms = 0;
  std::optional<std::string> parent_instance_id;
  bool operator==(const InstanceInfo&) const = default;
};

/// One page request of ProviderAdmin::list_instances_page (docs/storage.md, "Listing instances").
/// Every filter is optional; they combine with AND. Instances come newest first (creation time,
/// then instance id, both descending).
struct InstanceQuery {
  std::optional<ExecutionStatus> status;          ///< the current execution's status
  std::optional<std::string> orchestration_name;  ///< exact name
  std::optional<std::uint64_t> created_from_ms;   ///< created at or after (ms since the epoch)
  std::optional<std::uint64_t> created_until_ms;  ///< created before (ms since the epoch)
  /// Where the previous page ended (its `next_cursor`); nothing for the first page. A cursor only
  /// means something with the filters of the query that returned it.
  std::optional<std::string> cursor;
  std::size_t limit = 50;  ///< rows per page, 1 to kMaxInstancePageLimit
  bool operator==(const InstanceQuery&) const = default;
};

/// The largest `InstanceQuery::limit`: a page is read in one statement and held in memory.
inline constexpr std::size_t kMaxInstancePageLimit = 1000;

/// One page of instances and where the next one starts.
struct InstancePage {
  std::vector<InstanceInfo> instances;     ///< newest first
  std::optional<std::string> next_cursor;  ///< nothing when this page is the last
  bool operator==(const InstancePage&) const = default;
};

struct ExecutionInfo {
  std::uint64_t execution_id = 0;
  std::optional<ExecutionStatus> status;  ///< nothing for a status text this library does not know
  std::optional<std::string> output;
  std::uint64_t started_at_ms = 0;
  std::optional<std::uint64_t> completed_at_ms;
  std::uint64_t event_count = 0;
  bool operator==(const ExecutionInfo&) const = default;
};

struct SystemMetrics {
  std::uint64_t total_instances = 0;
  std::uint64_t total_executions = 0;
  std::uint64_t running_instances = 0;
  std::uint64_t completed_instances = 0;
  std::uint64_t failed_instances = 0;
  std::uint64_t total_events = 0;
  /// Declared last so positional initializers that predate it stay complete.
  std::uint64_t terminated_instances = 0;
  std::uint64_t suspended_instances = 0;
  bool operator==(const SystemMetrics&) const = default;
};

struct QueueDepths {
  std::uint64_t orchestrator_queue = 0;
  std::uint64_t worker_queue = 0;
  std::uint64_t timer_queue = 0;  ///< always 0: timers live in the orchestrator queue
  bool operator==(const QueueDepths&) const = default;
};

/// Selects instances for bulk operations; all criteria are ANDed.
struct InstanceFilter {
  std::optional<std::vector<std::string>> instance_ids;  ///< allow-list; empty selects nothing
  std::optional<std::uint64_t> completed_before_ms;      ///< current execution's completed_at, strict <
  std::optional<std::size_t> limit;                      ///< default 1000
};

struct PruneOptions {
  std::optional<std::size_t> keep_last;  ///< keep the N highest execution ids (0/1/none: only the current)
  std::optional<std::uint64_t> completed_before_ms;
};

struct DeleteInstanceResult {
  std::uint64_t instances_deleted = 0;
  std::uint64_t executions_deleted = 0;
  std::uint64_t events_deleted = 0;
  std::uint64_t queue_messages_deleted = 0;
  DeleteInstanceResult& operator+=(const DeleteInstanceResult& o) {
    instances_deleted += o.instances_deleted;
    executions_deleted += o.executions_deleted;
    events_deleted += o.events_deleted;
    queue_messages_deleted += o.queue_messages_deleted;
    return *this;
  }
  bool operator==(const DeleteInstanceResult&) const = default;
};

struct PruneResult {
  std::uint64_t instances_processed = 0;
  std::uint64_t executions_deleted = 0;
  std::uint64_t events_deleted = 0;
  PruneResult& operator+=(const PruneResult& o) {
    instances_processed += o.instances_processed;
    executions_deleted += o.executions_deleted;
    events_deleted += o.events_deleted;
    return *this;
  }
  bool operator==(const PruneResult&) const = default;
};

/// The raw text of a queue row that could not be processed, kept for inspection
/// (ProviderAdmin::list_dead_letters). Row columns are those of the original row, where it had them.
struct DeadLetter {
  std::uint64_t id = 0;
  std::string queue;  ///< "orchestrator_queue" or "worker_queue"
  std::uint64_t source_row_id = 0;
  std::optional<std::string> instance_id;
  std::optional<std::uint64_t> execution_id;
  std::optional<std::uint64_t> activity_id;
  std::string raw_text;  ///< the row's work item text, verbatim
  std::string error;     ///< why it could not be processed
  std::uint64_t created_at_ms = 0;
  bool operator==(const DeadLetter&) const = default;
};

/// A root and all its descendants.
struct InstanceTree {
  std::string root_id;
  std::vector<std::string> all_ids;  ///< root first, then descendants breadth-first
  bool is_root_only() const { return all_ids.size() == 1; }
  std::size_t size() const { return all_ids.size(); }
};

}  // namespace duroxide
