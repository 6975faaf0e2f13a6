// Builders and short-hands shared by the validation checks: the work items and events the checks
// enqueue and ack, and the common sequences (create_instance, poke).
//
// Calls that must succeed go through must(): it throws with the provider's error text, which
// GoogleTest reports as a failure of the check.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <duroxide/event.hpp>
#include <duroxide/provider.hpp>
#include <duroxide/tag_filter.hpp>
#include <duroxide/work_item.hpp>

namespace duroxide::validation {

using namespace std::chrono_literals;
using Millis = std::chrono::milliseconds;

/// The value of a call that must succeed; throws std::runtime_error("<what>: <provider error>").
template <class T>
T must(ProviderResult<T> result, std::string_view what) {
  if (!result) throw std::runtime_error(std::string(what) + ": " + result.error().to_string());
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

/// The error of a call that must fail; throws if it succeeded.
template <class T>
ProviderError must_fail(ProviderResult<T> result, std::string_view what) {
  if (result) throw std::runtime_error(std::string(what) + ": expected an error, got success");
  return std::move(result.error());
}

// ---- work items ----

WorkItem start_item(const std::string& instance, const std::string& orchestration = "TestOrch",
                    std::optional<std::string> version = "1.0.0", std::uint64_t execution_id = 1);
WorkItem external_item(const std::string& instance, const std::string& name = "poke", const std::string& data = "{}");
WorkItem queue_message_item(const std::string& instance, const std::string& name, const std::string& data);
WorkItem activity_execute_item(const std::string& instance, std::uint64_t execution_id, std::uint64_t id,
                               const std::string& name = "TestActivity", const std::string& input = "{}",
                               std::optional<std::string> session_id = std::nullopt,
                               std::optional<std::string> tag = std::nullopt);
WorkItem activity_completed_item(const std::string& instance, std::uint64_t execution_id, std::uint64_t id,
                                 const std::string& result = "\"ok\"");
WorkItem timer_fired_item(const std::string& instance, std::uint64_t execution_id, std::uint64_t id,
                          std::uint64_t fire_at_ms);
WorkItem continue_as_new_item(const std::string& instance, const std::string& orchestration = "TestOrch",
                              std::optional<std::string> version = "1.0.0");
WorkItem cancel_instance_item(const std::string& instance, const std::string& reason = "test");

// ---- events ----

Event started_event(const std::string& instance, std::uint64_t execution_id = 1, std::uint64_t event_id = 1,
                    const std::string& name = "TestOrch", const std::string& version = "1.0.0");
Event completed_event(const std::string& instance, std::uint64_t execution_id, std::uint64_t event_id,
                      const std::string& output = "\"done\"");
Event failed_event(const std::string& instance, std::uint64_t execution_id, std::uint64_t event_id,
                   const std::string& message);
Event activity_scheduled_event(const std::string& instance, std::uint64_t execution_id, std::uint64_t event_id,
                               const std::string& name = "TestActivity");
Event external_event(const std::string& instance, std::uint64_t execution_id, std::uint64_t event_id,
                     const std::string& name = "poke", const std::string& data = "{}");
Event continued_as_new_event(const std::string& instance, std::uint64_t execution_id, std::uint64_t event_id);
Event custom_status_event(const std::string& instance, std::uint64_t execution_id, std::uint64_t event_id,
                          std::optional<std::string> status);
Event kv_set_event(const std::string& instance, std::uint64_t execution_id, std::uint64_t event_id,
                   const std::string& key, const std::string& value, std::uint64_t last_updated_at_ms = 1);
Event kv_cleared_event(const std::string& instance, std::uint64_t execution_id, std::uint64_t event_id,
                       const std::string& key);
Event kv_all_cleared_event(const std::string& instance, std::uint64_t execution_id, std::uint64_t event_id);

// ---- metadata and acks ----

/// Metadata that creates/updates the instance row (name + version), optionally with a status.
ExecutionMetadata instance_metadata(const std::string& name = "TestOrch", const std::string& version = "1.0.0",
                                    std::optional<std::string> status = std::nullopt,
                                    std::optional<std::string> output = std::nullopt);
/// The status a word names ("Running", ...); throws for any other word.
ExecutionStatus execution_status(const std::string& text);
/// Metadata that only sets the execution's status and output.
ExecutionMetadata status_metadata(const std::string& status, std::optional<std::string> output = std::nullopt);

OrchestrationAck make_ack(std::uint64_t execution_id, std::vector<Event> delta, ExecutionMetadata metadata = {});

// ---- fetch short-hands (poll timeout 0 unless given) ----

std::optional<LockedOrchestrationItem> fetch_orchestration(Provider& provider, Millis lock_timeout,
                                                           Millis poll_timeout = 0ms,
                                                           const DispatcherCapabilityFilter* filter = nullptr);
/// Throws when nothing is fetched.
LockedOrchestrationItem must_fetch_orchestration(Provider& provider, Millis lock_timeout,
                                                 const DispatcherCapabilityFilter* filter = nullptr);
std::optional<LockedWorkItem> fetch_work(Provider& provider, Millis lock_timeout,
                                         const std::optional<SessionFetchConfig>& session = std::nullopt,
                                         const TagFilter& tags = TagFilter::default_only(), Millis poll_timeout = 0ms);
LockedWorkItem must_fetch_work(Provider& provider, Millis lock_timeout,
                               const std::optional<SessionFetchConfig>& session = std::nullopt,
                               const TagFilter& tags = TagFilter::default_only());

/// The ActivityExecute inside a fetched work item (throws for another kind).
const work_items::ActivityExecute& activity_of(const LockedWorkItem& item);

// ---- common sequences ----

/// Enqueue Start(name, version) → fetch → ack OrchestrationStarted (id 1) with name/version metadata.
/// Requires the orchestrator queue to hold nothing else that is visible.
void create_instance(Provider& provider, const std::string& instance, Millis lock_timeout,
                     const std::string& name = "TestOrch", const std::string& version = "1.0.0");
/// Enqueue ExternalRaised("poke") and fetch it: another turn of `instance` (the caller acks it).
LockedOrchestrationItem poke(Provider& provider, const std::string& instance, Millis lock_timeout);
/// Highest event id of the instance's latest execution plus one (1 for none).
std::uint64_t next_event_id(Provider& provider, const std::string& instance);
/// poke + ack OrchestrationCompleted with status Completed (the instance must be idle).
void complete_instance(Provider& provider, const std::string& instance, Millis lock_timeout,
                       const std::string& output = "\"done\"");

/// The management view; throws when the provider has none.
ProviderAdmin& admin(Provider& provider);

/// Waits out a lock timeout or visibility delay plus a margin. Waiting for time to pass is what these
/// checks test, so a sleep is the right tool here (never as synchronisation between threads).
void wait_past(Millis duration, Millis margin = 100ms);

/// Milliseconds since the Unix epoch (the provider's clock).
std::uint64_t now_ms();

}  // namespace duroxide::validation
