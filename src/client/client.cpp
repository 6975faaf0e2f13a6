#include <duroxide/client.hpp>
#include <duroxide/tracing.hpp>
#include <duroxide/utf8.hpp>

#include <algorithm>
#include <initializer_list>
#include <thread>

#include <fmt/format.h>

#include "client/start_event_size.hpp"
#include "client/utf8_fields.hpp"
#include "logging/loggers.hpp"

namespace duroxide {

namespace client_detail {

ClientResult<void> require_utf8(std::string_view call,
                                std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  for (const auto& [field, value] : fields) {
    if (auto problem = invalid_utf8_problem(fmt::format("{} of {}", field, call), value)) {
      return std::unexpected(ClientError::invalid_input(std::move(*problem)));
    }
  }
  return {};
}

}  // namespace client_detail

namespace {

using client_detail::require_utf8;

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// Client polling backoff (docs/runtime.md, "Client"): 5 ms doubling to a 100 ms cap.
/// Waits between looks at `instance` in the store: returns as soon as a turn of it commits through
/// the same provider object (in-process runtime), otherwise after a delay that grows 5 → 100 ms, never past the
/// caller's deadline (another process's changes are only seen by looking again).
class ChangeWait {
 public:
  ChangeWait(Provider& store, const std::string& instance, Clock::time_point deadline)
      : store_(store), instance_(instance), deadline_(deadline) {}

  /// The epoch to wait from: read before looking, so a change made while looking is not missed.
  void mark() { seen_ = store_.change_epoch(instance_); }

  void wait() {
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
    store_.wait_for_change(instance_, seen_, std::max(std::chrono::milliseconds(0), std::min(remaining, delay_)));
    delay_ = std::min(delay_ * 2, std::chrono::milliseconds(100));
  }

 private:
  Provider& store_;
  const std::string& instance_;
  Clock::time_point deadline_;
  std::uint64_t seen_ = 0;
  std::chrono::milliseconds delay_{5};
};

template <class T>
ClientResult<T> lift(ProviderResult<T> result) {
  if (!result) return std::unexpected(ClientError(std::move(result.error())));
  if constexpr (std::is_void_v<T>) {
    return {};
  } else {
    return std::move(*result);
  }
}

/// `now + timeout`, saturated: a timeout too large to add (milliseconds::max()) means "no deadline".
Clock::time_point deadline_after(std::chrono::milliseconds timeout) {
  const auto now = Clock::now();
  if (timeout <= std::chrono::milliseconds::zero()) return now;
  const auto room = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::time_point::max() - now);
  if (timeout >= room) return Clock::time_point::max();
  return now + timeout;
}

}  // namespace

ClientError ClientError::of(Kind kind, std::string instance_id, std::string message) {
  ClientError error;
  error.kind = kind;
  error.instance_id = std::move(instance_id);
  error.message = std::move(message);
  return error;
}

bool ClientError::is_retryable() const {
  switch (kind) {
    case Kind::Provider:
      return provider && provider->is_retryable();
    case Kind::Timeout:
      return true;
    default:
      return false;
  }
}

std::string ClientError::to_string() const {
  switch (kind) {
    case Kind::Provider:
      return provider ? provider->to_string() : "provider error";
    case Kind::ManagementNotAvailable:
      return "Management operations are not available: the provider does not implement ProviderAdmin";
    case Kind::InvalidInput:
      return "Invalid input: " + message;
    case Kind::Timeout:
      return "Operation timed out";
    case Kind::InstanceStillRunning:
      return fmt::format("Instance {} is still running; use force=true or cancel it first", instance_id);
    case Kind::CannotDeleteSubOrchestration:
      return fmt::format("Instance {} is a sub-orchestration; delete the root instance instead", instance_id);
    case Kind::InstanceNotFound:
      return fmt::format("Instance {} not found", instance_id);
    case Kind::NotRewindable:
      return fmt::format("Instance {} cannot be rewound: {}", instance_id, message);
    case Kind::ScheduleExists:
      return fmt::format("Schedule {} exists already: {}", instance_id, message);
    case Kind::ScheduleEnded:
      return fmt::format("Schedule {} has ended: {}", instance_id, message);
  }
  return "unknown client error";
}

Client::Client(std::shared_ptr<Provider> store) : store_(std::move(store)) {}

ClientResult<void> Client::start_orchestration(const std::string& instance, const std::string& name,
                                               const std::string& input) const {
  if (auto valid = require_utf8("start_orchestration",
                                {{"instance id", instance}, {"orchestration name", name}, {"input", input}});
      !valid)
    return std::unexpected(std::move(valid.error()));
  if (auto fits = client_detail::check_start_event_size(instance, name, std::nullopt, input); !fits) return fits;
  return lift(store_->enqueue_for_orchestrator(
      work_items::StartOrchestration{instance, name, input, std::nullopt, std::nullopt, std::nullopt, 1},
      std::nullopt));
}

ClientResult<void> Client::start_orchestration_versioned(const std::string& instance, const std::string& name,
                                                         const std::string& version, const std::string& input) const {
  if (auto valid = require_utf8(
          "start_orchestration_versioned",
          {{"instance id", instance}, {"orchestration name", name}, {"version", version}, {"input", input}});
      !valid)
    return std::unexpected(std::move(valid.error()));
  if (auto fits = client_detail::check_start_event_size(instance, name, version, input); !fits) return fits;
  return lift(store_->enqueue_for_orchestrator(
      work_items::StartOrchestration{instance, name, input, version, std::nullopt, std::nullopt, 1}, std::nullopt));
}

ClientResult<void> Client::start_orchestration_traced(const std::string& instance, const std::string& name,
                                                      const std::string& input, const std::string& traceparent,
                                                      const std::optional<std::string>& version) const {
  if (auto valid = require_utf8("start_orchestration_traced", {{"instance id", instance},
                                                               {"orchestration name", name},
                                                               {"version", version.value_or("")},
                                                               {"input", input},
                                                               {"traceparent", traceparent}});
      !valid)
    return std::unexpected(std::move(valid.error()));
  auto parent = parse_traceparent(traceparent);
  if (!parent) return std::unexpected(ClientError::invalid_input("start_orchestration_traced: " + parent.error()));
  if (auto fits = client_detail::check_start_event_size(instance, name, version, input); !fits) return fits;
  work_items::StartOrchestration start{instance, name, input, version, std::nullopt, std::nullopt, 1};
  start.trace_parent = parent->to_string();
  return lift(store_->enqueue_for_orchestrator(start, std::nullopt));
}

ClientResult<void> Client::raise_event(const std::string& instance, const std::string& event,
                                       const std::string& data) const {
  if (auto valid =
          require_utf8("raise_event", {{"instance id", instance}, {"event name", event}, {"event data", data}});
      !valid)
    return std::unexpected(std::move(valid.error()));
  return lift(store_->enqueue_for_orchestrator(work_items::ExternalRaised{instance, event, data}, std::nullopt));
}

ClientResult<void> Client::enqueue_event(const std::string& instance, const std::string& queue,
                                         const std::string& data) const {
  if (auto valid =
          require_utf8("enqueue_event", {{"instance id", instance}, {"queue name", queue}, {"message data", data}});
      !valid)
    return std::unexpected(std::move(valid.error()));
  return lift(store_->enqueue_for_orchestrator(work_items::QueueMessage{instance, queue, data}, std::nullopt));
}

ClientResult<void> Client::cancel_instance(const std::string& instance, const std::string& reason) const {
  if (auto valid = require_utf8("cancel_instance", {{"instance id", instance}, {"reason", reason}}); !valid)
    return std::unexpected(std::move(valid.error()));
  return lift(store_->enqueue_for_orchestrator(work_items::CancelInstance{instance, reason}, std::nullopt));
}

namespace {
/// The checks every operator call (terminate, suspend, resume, rewind) makes first: UTF-8 text,
/// and an instance the store knows, whose status it returns. An unknown id is most likely a typo,
/// so it is refused rather than queued for nobody; an instance whose first turn is still queued
/// has no status yet either (docs/terminate.md).
ClientResult<InstanceStatusRecord> operator_target(Provider& store, std::string_view call, const std::string& instance,
                                                   const std::string& reason) {
  if (auto valid = require_utf8(call, {{"instance id", instance}, {"reason", reason}}); !valid)
    return std::unexpected(std::move(valid.error()));
  auto record = store.get_instance_status(instance);
  if (!record) return std::unexpected(ClientError(std::move(record.error())));
  if (!*record) return std::unexpected(ClientError::of(ClientError::Kind::InstanceNotFound, instance));
  return std::move(**record);
}

/// Queues an operator's message for `instance` once operator_target accepts it.
ClientResult<void> send_operator_message(Provider& store, std::string_view call, const std::string& instance,
                                         const std::string& reason, WorkItem message) {
  if (auto target = operator_target(store, call, instance, reason); !target)
    return std::unexpected(std::move(target.error()));
  return lift(store.enqueue_for_orchestrator(std::move(message), std::nullopt));
}
}  // namespace

ClientResult<void> Client::terminate_instance(const std::string& instance, const std::string& reason,
                                              bool terminate_children) const {
  return send_operator_message(*store_, "terminate_instance", instance, reason,
                               work_items::TerminateInstance{instance, reason, terminate_children});
}

ClientResult<void> Client::suspend_instance(const std::string& instance, const std::string& reason) const {
  return send_operator_message(*store_, "suspend_instance", instance, reason,
                               work_items::SuspendInstance{instance, reason});
}

ClientResult<void> Client::resume_instance(const std::string& instance, const std::string& reason) const {
  return send_operator_message(*store_, "resume_instance", instance, reason,
                               work_items::ResumeInstance{instance, reason});
}

ClientResult<void> Client::rewind_instance(const std::string& instance, const std::string& reason) const {
  auto target = operator_target(*store_, "rewind_instance", instance, reason);
  if (!target) return std::unexpected(std::move(target.error()));
  // Checked here so a mistake is answered at once; the runtime checks again against the history.
  const auto& status = *target;
  if (status.status != ExecutionStatus::Failed)
    return std::unexpected(
        ClientError::of(ClientError::Kind::NotRewindable, instance,
                        fmt::format("it is {}, and only a failed instance can be rewound", to_string(status.status))));
  if (const auto* app = status.failure ? status.failure->get_if<error::Application>() : nullptr;
      app != nullptr && app->kind.code == AppErrorKind::Code::Cancelled)
    return std::unexpected(ClientError::of(ClientError::Kind::NotRewindable, instance,
                                           "it was cancelled, which a rewind does not take back"));
  return lift(store_->enqueue_for_orchestrator(work_items::RewindInstance{instance, reason}, std::nullopt));
}

ClientResult<OrchestrationStatus> Client::get_orchestration_status(const std::string& instance) const {
  if (auto valid = require_utf8("get_orchestration_status", {{"instance id", instance}}); !valid)
    return std::unexpected(std::move(valid.error()));
  // From the instance's metadata, not its history: polling a large instance stays cheap.
  auto record = store_->get_instance_status(instance);
  if (!record) return std::unexpected(ClientError(std::move(record.error())));
  if (!*record) return OrchestrationStatus{status::NotFound{}};
  auto& r = **record;
  if (r.status == ExecutionStatus::Completed) {
    return OrchestrationStatus{status::Completed{r.output.value_or(""), r.custom_status, r.custom_status_version}};
  }
  if (r.status == ExecutionStatus::Failed) {
    return OrchestrationStatus{
        status::Failed{r.failure.value_or(ErrorDetails{}), r.custom_status, r.custom_status_version}};
  }
  if (r.status == ExecutionStatus::Terminated) {
    return OrchestrationStatus{status::Terminated{r.output.value_or(""), r.custom_status, r.custom_status_version}};
  }
  if (r.status == ExecutionStatus::Suspended) {
    return OrchestrationStatus{status::Suspended{r.output.value_or(""), r.custom_status, r.custom_status_version}};
  }
  return OrchestrationStatus{status::Running{r.custom_status, r.custom_status_version}};
}

ClientResult<OrchestrationStatus> Client::wait_for_orchestration(const std::string& instance,
                                                                 std::chrono::milliseconds timeout) const {
  if (auto valid = require_utf8("wait_for_orchestration", {{"instance id", instance}}); !valid)
    return std::unexpected(std::move(valid.error()));
  const auto deadline = deadline_after(timeout);
  ChangeWait change(*store_, instance, deadline);
  for (;;) {
    change.mark();
    auto status = get_orchestration_status(instance);
    if (!status || status->is_terminal()) return status;
    if (Clock::now() >= deadline) return std::unexpected(ClientError::of(ClientError::Kind::Timeout));
    change.wait();
  }
}

ClientResult<OrchestrationStatus> Client::wait_for_status_change(const std::string& instance,
                                                                 std::uint64_t last_seen_version,
                                                                 std::chrono::milliseconds poll_interval,
                                                                 std::chrono::milliseconds timeout) const {
  if (auto valid = require_utf8("wait_for_status_change", {{"instance id", instance}}); !valid)
    return std::unexpected(std::move(valid.error()));
  const auto deadline = deadline_after(timeout);
  while (Clock::now() < deadline) {
    const auto seen = store_->change_epoch(instance);
    auto changed = store_->get_custom_status(instance, last_seen_version);
    if (!changed) return std::unexpected(ClientError(std::move(changed.error())));
    auto status = get_orchestration_status(instance);
    if (!status) return status;
    if (*changed || status->is_terminal()) return status;
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    // Wakes early when a turn commits in this process; `poll_interval` bounds the wait for others.
    store_->wait_for_change(instance, seen, std::max(std::chrono::milliseconds(0), std::min(remaining, poll_interval)));
  }
  return std::unexpected(ClientError::of(ClientError::Kind::Timeout));
}

ClientResult<std::optional<std::string>> Client::get_kv_value(const std::string& instance,
                                                              const std::string& key) const {
  if (auto valid = require_utf8("get_kv_value", {{"instance id", instance}, {"key", key}}); !valid)
    return std::unexpected(std::move(valid.error()));
  return lift(store_->get_kv_value(instance, key));
}

ClientResult<std::map<std::string, std::string>> Client::get_kv_all_values(const std::string& instance) const {
  if (auto valid = require_utf8("get_kv_all_values", {{"instance id", instance}}); !valid)
    return std::unexpected(std::move(valid.error()));
  return lift(store_->get_kv_all_values(instance));
}

ClientResult<std::string> Client::wait_for_kv_value(const std::string& instance, const std::string& key,
                                                    std::chrono::milliseconds timeout) const {
  if (auto valid = require_utf8("wait_for_kv_value", {{"instance id", instance}, {"key", key}}); !valid)
    return std::unexpected(std::move(valid.error()));
  const auto deadline = deadline_after(timeout);
  ChangeWait change(*store_, instance, deadline);
  for (;;) {
    change.mark();
    auto value = store_->get_kv_value(instance, key);
    if (!value) return std::unexpected(ClientError(std::move(value.error())));
    if (*value) return std::move(**value);
    if (Clock::now() >= deadline) return std::unexpected(ClientError::of(ClientError::Kind::Timeout));
    change.wait();
  }
}

ClientResult<std::optional<SystemStats>> Client::get_orchestration_stats(const std::string& instance) const {
  if (auto valid = require_utf8("get_orchestration_stats", {{"instance id", instance}}); !valid)
    return std::unexpected(std::move(valid.error()));
  return lift(store_->get_instance_stats(instance));
}

bool Client::has_management_capability() const { return store_->as_management_capability() != nullptr; }

ClientResult<ProviderAdmin*> Client::admin() const {
  auto* view = store_->as_management_capability();
  if (view == nullptr) return std::unexpected(ClientError::of(ClientError::Kind::ManagementNotAvailable));
  return view;
}

#define DUROXIDE_ADMIN_CALL(call)                             \
  auto view = admin();                                        \
  if (!view) return std::unexpected(std::move(view.error())); \
  return lift((*view)->call)

ClientResult<std::vector<std::string>> Client::list_all_instances() const { DUROXIDE_ADMIN_CALL(list_instances()); }
ClientResult<std::vector<std::string>> Client::list_instances_by_status(ExecutionStatus status) const {
  DUROXIDE_ADMIN_CALL(list_instances_by_status(status));
}
ClientResult<std::vector<std::string>> Client::list_instances_by_status(const std::string& status) const {
  if (auto valid = require_utf8("list_instances_by_status", {{"status", status}}); !valid)
    return std::unexpected(std::move(valid.error()));
  // duroxide's form: a status word; no instance has a status this library does not know.
  auto known = parse_execution_status(status);
  if (!known) {
    auto view = admin();
    if (!view) return std::unexpected(std::move(view.error()));
    return std::vector<std::string>{};
  }
  return list_instances_by_status(*known);
}
ClientResult<InstancePage> Client::list_instances_page(const InstanceQuery& query) const {
  if (auto valid = require_utf8("list_instances_page", {{"orchestration name", query.orchestration_name.value_or("")},
                                                        {"cursor", query.cursor.value_or("")}});
      !valid)
    return std::unexpected(std::move(valid.error()));
  DUROXIDE_ADMIN_CALL(list_instances_page(query));
}
ClientResult<InstanceInfo> Client::get_instance_info(const std::string& instance) const {
  if (auto valid = require_utf8("get_instance_info", {{"instance id", instance}}); !valid)
    return std::unexpected(std::move(valid.error()));
  DUROXIDE_ADMIN_CALL(get_instance_info(instance));
}
ClientResult<ExecutionInfo> Client::get_execution_info(const std::string& instance, std::uint64_t execution_id) const {
  if (auto valid = require_utf8("get_execution_info", {{"instance id", instance}}); !valid)
    return std::unexpected(std::move(valid.error()));
  DUROXIDE_ADMIN_CALL(get_execution_info(instance, execution_id));
}
ClientResult<std::vector<std::uint64_t>> Client::list_executions(const std::string& instance) const {
  if (auto valid = require_utf8("list_executions", {{"instance id", instance}}); !valid)
    return std::unexpected(std::move(valid.error()));
  DUROXIDE_ADMIN_CALL(list_executions(instance));
}
ClientResult<std::vector<Event>> Client::read_execution_history(const std::string& instance,
                                                                std::uint64_t execution_id) const {
  if (auto valid = require_utf8("read_execution_history", {{"instance id", instance}}); !valid)
    return std::unexpected(std::move(valid.error()));
  DUROXIDE_ADMIN_CALL(read_history_with_execution_id(instance, execution_id));
}
ClientResult<SystemMetrics> Client::get_system_metrics() const { DUROXIDE_ADMIN_CALL(get_system_metrics()); }
ClientResult<QueueDepths> Client::get_queue_depths() const { DUROXIDE_ADMIN_CALL(get_queue_depths()); }
ClientResult<InstanceTree> Client::get_instance_tree(const std::string& instance) const {
  if (auto valid = require_utf8("get_instance_tree", {{"instance id", instance}}); !valid)
    return std::unexpected(std::move(valid.error()));
  DUROXIDE_ADMIN_CALL(get_instance_tree(instance));
}
ClientResult<DeleteInstanceResult> Client::delete_instance_bulk(const InstanceFilter& filter) const {
  DUROXIDE_ADMIN_CALL(delete_instance_bulk(filter));
}
ClientResult<PruneResult> Client::prune_executions(const std::string& instance, const PruneOptions& options) const {
  if (auto valid = require_utf8("prune_executions", {{"instance id", instance}}); !valid)
    return std::unexpected(std::move(valid.error()));
  DUROXIDE_ADMIN_CALL(prune_executions(instance, options));
}
ClientResult<PruneResult> Client::prune_executions_bulk(const InstanceFilter& filter,
                                                        const PruneOptions& options) const {
  DUROXIDE_ADMIN_CALL(prune_executions_bulk(filter, options));
}
ClientResult<std::vector<DeadLetter>> Client::list_dead_letters() const { DUROXIDE_ADMIN_CALL(list_dead_letters()); }
#undef DUROXIDE_ADMIN_CALL

ClientResult<DeleteInstanceResult> Client::delete_instance(const std::string& instance, bool force) const {
  if (auto valid = require_utf8("delete_instance", {{"instance id", instance}}); !valid)
    return std::unexpected(std::move(valid.error()));
  auto view = admin();
  if (!view) return std::unexpected(std::move(view.error()));
  auto deleted = (*view)->delete_instance(instance, force);
  if (deleted) {
    logging::client().info("deleted instance {}: {} instances, {} executions, {} events, {} queue messages", instance,
                           deleted->instances_deleted, deleted->executions_deleted, deleted->events_deleted,
                           deleted->queue_messages_deleted);
    return *deleted;
  }
  // Classified by the store's error kind, never by its wording (docs/storage.md, "Errors").
  switch (deleted.error().kind) {
    case ProviderErrorKind::NotFound:
      return std::unexpected(ClientError::of(ClientError::Kind::InstanceNotFound, instance));
    case ProviderErrorKind::InstanceStillRunning:
      return std::unexpected(ClientError::of(ClientError::Kind::InstanceStillRunning, instance));
    case ProviderErrorKind::CannotDeleteSubOrchestration:
      return std::unexpected(ClientError::of(ClientError::Kind::CannotDeleteSubOrchestration, instance));
    default:
      break;
  }
  return std::unexpected(ClientError(std::move(deleted.error())));
}

}  // namespace duroxide
