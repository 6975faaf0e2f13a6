#include "provider/validation/validation_helpers.hpp"

#include <thread>

namespace duroxide::validation {

WorkItem start_item(const std::string& instance, const std::string& orchestration, std::optional<std::string> version,
                    std::uint64_t execution_id) {
  return work_items::StartOrchestration{instance,     orchestration, "{}",        std::move(version),
                                        std::nullopt, std::nullopt,  execution_id};
}

WorkItem external_item(const std::string& instance, const std::string& name, const std::string& data) {
  return work_items::ExternalRaised{instance, name, data};
}

WorkItem queue_message_item(const std::string& instance, const std::string& name, const std::string& data) {
  return work_items::QueueMessage{instance, name, data};
}

WorkItem activity_execute_item(const std::string& instance, std::uint64_t execution_id, std::uint64_t id,
                               const std::string& name, const std::string& input, std::optional<std::string> session_id,
                               std::optional<std::string> tag) {
  return work_items::ActivityExecute{instance, execution_id, id, name, input, std::move(session_id), std::move(tag)};
}

WorkItem activity_completed_item(const std::string& instance, std::uint64_t execution_id, std::uint64_t id,
                                 const std::string& result) {
  return work_items::ActivityCompleted{instance, execution_id, id, result};
}

WorkItem timer_fired_item(const std::string& instance, std::uint64_t execution_id, std::uint64_t id,
                          std::uint64_t fire_at_ms) {
  return work_items::TimerFired{instance, execution_id, id, fire_at_ms};
}

WorkItem continue_as_new_item(const std::string& instance, const std::string& orchestration,
                              std::optional<std::string> version) {
  return work_items::ContinueAsNew{instance, orchestration, "{}", std::move(version), {}, std::nullopt};
}

WorkItem cancel_instance_item(const std::string& instance, const std::string& reason) {
  return work_items::CancelInstance{instance, reason};
}

Event started_event(const std::string& instance, std::uint64_t execution_id, std::uint64_t event_id,
                    const std::string& name, const std::string& version) {
  return make_event(event_id, std::nullopt, instance, execution_id,
                    events::OrchestrationStarted{name, version, "{}", std::nullopt, std::nullopt, {}, std::nullopt});
}

Event completed_event(const std::string& instance, std::uint64_t execution_id, std::uint64_t event_id,
                      const std::string& output) {
  return make_event(event_id, std::nullopt, instance, execution_id, events::OrchestrationCompleted{output});
}

Event failed_event(const std::string& instance, std::uint64_t execution_id, std::uint64_t event_id,
                   const std::string& message) {
  return make_event(event_id, std::nullopt, instance, execution_id,
                    events::OrchestrationFailed{ErrorDetails::orchestration_failed(message)});
}

Event activity_scheduled_event(const std::string& instance, std::uint64_t execution_id, std::uint64_t event_id,
                               const std::string& name) {
  return make_event(event_id, std::nullopt, instance, execution_id,
                    events::ActivityScheduled{name, "{}", std::nullopt, std::nullopt});
}

Event external_event(const std::string& instance, std::uint64_t execution_id, std::uint64_t event_id,
                     const std::string& name, const std::string& data) {
  return make_event(event_id, std::nullopt, instance, execution_id, events::ExternalEvent{name, data});
}

Event continued_as_new_event(const std::string& instance, std::uint64_t execution_id, std::uint64_t event_id) {
  return make_event(event_id, std::nullopt, instance, execution_id, events::OrchestrationContinuedAsNew{"{}"});
}

Event custom_status_event(const std::string& instance, std::uint64_t execution_id, std::uint64_t event_id,
                          std::optional<std::string> status) {
  return make_event(event_id, std::nullopt, instance, execution_id, events::CustomStatusUpdated{std::move(status)});
}

Event kv_set_event(const std::string& instance, std::uint64_t execution_id, std::uint64_t event_id,
                   const std::string& key, const std::string& value, std::uint64_t last_updated_at_ms) {
  return make_event(event_id, std::nullopt, instance, execution_id,
                    events::KeyValueSet{key, value, last_updated_at_ms});
}

Event kv_cleared_event(const std::string& instance, std::uint64_t execution_id, std::uint64_t event_id,
                       const std::string& key) {
  return make_event(event_id, std::nullopt, instance, execution_id, events::KeyValueCleared{key});
}

Event kv_all_cleared_event(const std::string& instance, std::uint64_t execution_id, std::uint64_t event_id) {
  return make_event(event_id, std::nullopt, instance, execution_id, events::KeyValuesCleared{});
}

ExecutionMetadata instance_metadata(const std::string& name, const std::string& version,
                                    std::optional<std::string> status, std::optional<std::string> output) {
  ExecutionMetadata metadata;
  metadata.orchestration_name = name;
  metadata.orchestration_version = version;
  if (status) metadata.status = execution_status(*status);
  metadata.output = std::move(output);
  return metadata;
}

ExecutionStatus execution_status(const std::string& text) {
  auto status = parse_execution_status(text);
  if (!status) throw std::invalid_argument("not an execution status: " + text);
  return *status;
}

ExecutionMetadata status_metadata(const std::string& status, std::optional<std::string> output) {
  ExecutionMetadata metadata;
  metadata.status = execution_status(status);
  metadata.output = std::move(output);
  return metadata;
}

OrchestrationAck make_ack(std::uint64_t execution_id, std::vector<Event> delta, ExecutionMetadata metadata) {
  OrchestrationAck ack;
  ack.execution_id = execution_id;
  ack.history_delta = std::move(delta);
  ack.metadata = std::move(metadata);
  return ack;
}

std::optional<LockedOrchestrationItem> fetch_orchestration(Provider& provider, Millis lock_timeout, Millis poll_timeout,
                                                           const DispatcherCapabilityFilter* filter) {
  return must(provider.fetch_orchestration_item(lock_timeout, poll_timeout, filter), "fetch_orchestration_item");
}

LockedOrchestrationItem must_fetch_orchestration(Provider& provider, Millis lock_timeout,
                                                 const DispatcherCapabilityFilter* filter) {
  auto item = fetch_orchestration(provider, lock_timeout, 0ms, filter);
  if (!item) throw std::runtime_error("fetch_orchestration_item: expected an item, got none");
  return std::move(*item);
}

std::optional<LockedWorkItem> fetch_work(Provider& provider, Millis lock_timeout,
                                         const std::optional<SessionFetchConfig>& session, const TagFilter& tags,
                                         Millis poll_timeout) {
  return must(provider.fetch_work_item(lock_timeout, poll_timeout, session, tags), "fetch_work_item");
}

LockedWorkItem must_fetch_work(Provider& provider, Millis lock_timeout,
                               const std::optional<SessionFetchConfig>& session, const TagFilter& tags) {
  auto item = fetch_work(provider, lock_timeout, session, tags);
  if (!item) throw std::runtime_error("fetch_work_item: expected an item, got none");
  return std::move(*item);
}

const work_items::ActivityExecute& activity_of(const LockedWorkItem& item) {
  const auto* activity = std::get_if<work_items::ActivityExecute>(&item.item);
  if (activity == nullptr) throw std::runtime_error("work item is not an ActivityExecute");
  return *activity;
}

void create_instance(Provider& provider, const std::string& instance, Millis lock_timeout, const std::string& name,
                     const std::string& version) {
  must(provider.enqueue_for_orchestrator(start_item(instance, name, version), std::nullopt), "enqueue start");
  auto item = must_fetch_orchestration(provider, lock_timeout);
  if (item.item.instance != instance) {
    throw std::runtime_error("create_instance: fetched " + item.item.instance + " instead of " + instance);
  }
  must(provider.ack_orchestration_item(item.lock_token, make_ack(1, {started_event(instance, 1, 1, name, version)},
                                                                 instance_metadata(name, version))),
       "ack start");
}

LockedOrchestrationItem poke(Provider& provider, const std::string& instance, Millis lock_timeout) {
  must(provider.enqueue_for_orchestrator(external_item(instance), std::nullopt), "enqueue poke");
  auto item = must_fetch_orchestration(provider, lock_timeout);
  if (item.item.instance != instance) {
    throw std::runtime_error("poke: fetched " + item.item.instance + " instead of " + instance);
  }
  return item;
}

std::uint64_t next_event_id(Provider& provider, const std::string& instance) {
  std::uint64_t highest = 0;
  for (const auto& event : must(provider.read(instance), "read")) highest = std::max(highest, event.event_id);
  return highest + 1;
}

void complete_instance(Provider& provider, const std::string& instance, Millis lock_timeout,
                       const std::string& output) {
  auto item = poke(provider, instance, lock_timeout);
  const auto id = next_event_id(provider, instance);
  must(provider.ack_orchestration_item(
           item.lock_token,
           make_ack(item.item.execution_id, {completed_event(instance, item.item.execution_id, id, output)},
                    status_metadata("Completed", output))),
       "ack completion");
}

ProviderAdmin& admin(Provider& provider) {
  auto* view = provider.as_management_capability();
  if (view == nullptr) throw std::runtime_error("provider " + provider.name() + " has no management capability");
  return *view;
}

void wait_past(Millis duration, Millis margin) { std::this_thread::sleep_for(duration + margin); }

std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<Millis>(std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace duroxide::validation
