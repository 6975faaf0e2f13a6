// The Client's schedule calls (docs/schedules.md). A schedule is an instance of the built-in
// schedule orchestration: creating one starts it, pausing and resuming send it a control
// message, deleting terminates it, and reading it decodes the state it publishes as its custom
// status.
#include <duroxide/client.hpp>
#include <duroxide/schedule_spec.hpp>
#include <duroxide/semver.hpp>

#include <algorithm>

#include <fmt/format.h>

#include "client/utf8_fields.hpp"
#include "schedules/schedule_record.hpp"

namespace duroxide {

namespace {

using schedules::ControlRequest;
using schedules::ScheduleRecord;

using client_detail::require_utf8;

/// The schedule's state from its instance status: the record it published, read in the light of
/// how its instance stands (docs/schedules.md, "Reading a schedule").
ClientResult<ScheduleInfo> to_info(const std::string& id, const InstanceStatusRecord& status) {
  const auto instance = schedule_instance_id(id);
  ScheduleInfo info;
  info.id = id;
  info.instance_id = instance;
  if (status.custom_status) {
    auto record = schedules::decode_record(*status.custom_status);
    if (!record) return std::unexpected(ClientError::invalid_input(fmt::format("{}: {}", instance, record.error())));
    info.spec = record->spec;
    info.orchestration = record->orchestration;
    info.version = record->version;
    info.input = record->input;
    info.overlap = record->overlap;
    info.status = record->paused ? ScheduleStatus::Paused : ScheduleStatus::Active;
    if (!record->paused && record->next_fire_ms != 0) info.next_fire_ms = record->next_fire_ms;
    info.runs_started = record->runs_started;
    info.skipped = record->skipped;
    info.last_run_instance = record->last_run_instance;
    info.last_fire_ms = record->last_fire_ms;
    info.buffered_fire_ms = record->buffered_fire_ms;
  }
  switch (status.status) {
    case ExecutionStatus::Suspended:
      info.status = ScheduleStatus::Paused;
      break;
    case ExecutionStatus::Terminated:
      info.status = ScheduleStatus::Deleted;
      info.ended_reason = status.output.value_or("");
      break;
    case ExecutionStatus::Completed:
      info.status = ScheduleStatus::Ended;
      info.ended_reason = status.output.value_or("");
      break;
    case ExecutionStatus::Failed:
      info.status = ScheduleStatus::Ended;
      info.ended_reason = status.failure ? status.failure->display_message() : "failed";
      break;
    default:
      break;
  }
  if (info.status != ScheduleStatus::Active) info.next_fire_ms.reset();  // only an active schedule fires
  return info;
}

bool has_ended(ScheduleStatus status) { return status == ScheduleStatus::Deleted || status == ScheduleStatus::Ended; }

ClientResult<void> create(const Client& client, std::string_view call, const std::string& id, const std::string& spec,
                          const std::string& orchestration, const std::optional<std::string>& version,
                          const std::string& input, OverlapPolicy overlap) {
  if (auto valid = require_utf8(call, {{"schedule id", id},
                                       {"spec", spec},
                                       {"orchestration name", orchestration},
                                       {"version", version.value_or("")},
                                       {"input", input}});
      !valid)
    return valid;
  if (id.empty()) return std::unexpected(ClientError::invalid_input(fmt::format("{}: the schedule id is empty", call)));
  if (orchestration.empty())
    return std::unexpected(ClientError::invalid_input(fmt::format("{}: the orchestration name is empty", call)));
  if (version && !Version::parse(*version))
    return std::unexpected(
        ClientError::invalid_input(fmt::format("{}: version '{}' is not a semantic version", call, *version)));
  auto parsed = ScheduleSpec::parse(spec);
  if (!parsed) return std::unexpected(ClientError::invalid_input(fmt::format("{}: {}", call, parsed.error())));

  const auto instance = schedule_instance_id(id);
  auto existing = client.get_schedule(id);
  if (existing) {
    if (!has_ended(existing->status))
      return std::unexpected(ClientError::of(ClientError::Kind::ScheduleExists, instance,
                                             fmt::format("it is {}; delete it first", to_string(existing->status))));
    // The instance of a schedule that ended holds the id: it goes, so the new one can start.
    auto deleted = client.delete_instance(instance, false);
    if (!deleted) return std::unexpected(std::move(deleted.error()));
  } else if (existing.error().kind != ClientError::Kind::InstanceNotFound) {
    return std::unexpected(std::move(existing.error()));
  }

  ScheduleRecord record;
  record.id = id;
  record.spec = parsed->text();
  record.orchestration = orchestration;
  record.version = version;
  record.input = input;
  record.overlap = overlap;
  return client.start_orchestration(instance, std::string(kScheduleOrchestrationName),
                                    schedules::encode_record(record));
}

/// A schedule a pause, resume or delete can act on: one that exists and has not ended.
ClientResult<ScheduleInfo> live_schedule(const Client& client, const std::string& id) {
  auto info = client.get_schedule(id);
  if (!info) return info;
  if (has_ended(info->status))
    return std::unexpected(ClientError::of(
        ClientError::Kind::ScheduleEnded, info->instance_id,
        info->status == ScheduleStatus::Deleted ? "it was deleted" : fmt::format("it ended: {}", info->ended_reason)));
  return info;
}

ClientResult<void> send_control(const Client& client, const std::string& id, ControlRequest request) {
  auto info = live_schedule(client, id);
  if (!info) return std::unexpected(std::move(info.error()));
  return client.enqueue_event(info->instance_id, std::string(kScheduleControlQueue),
                              schedules::encode_control(request));
}

}  // namespace

ClientResult<void> Client::create_schedule(const std::string& id, const std::string& spec,
                                           const std::string& orchestration, const std::string& input,
                                           OverlapPolicy overlap) const {
  return create(*this, "create_schedule", id, spec, orchestration, std::nullopt, input, overlap);
}

ClientResult<void> Client::create_schedule_versioned(const std::string& id, const std::string& spec,
                                                     const std::string& orchestration, const std::string& version,
                                                     const std::string& input, OverlapPolicy overlap) const {
  return create(*this, "create_schedule_versioned", id, spec, orchestration, version, input, overlap);
}

ClientResult<ScheduleInfo> Client::get_schedule(const std::string& id) const {
  if (auto valid = require_utf8("get_schedule", {{"schedule id", id}}); !valid)
    return std::unexpected(std::move(valid.error()));
  const auto instance = schedule_instance_id(id);
  auto status = store_->get_instance_status(instance);
  if (!status) return std::unexpected(ClientError(std::move(status.error())));
  if (!*status) return std::unexpected(ClientError::of(ClientError::Kind::InstanceNotFound, instance));
  return to_info(id, **status);
}

ClientResult<std::vector<ScheduleInfo>> Client::list_schedules() const {
  std::vector<ScheduleInfo> schedules;
  InstanceQuery query;
  query.orchestration_name = std::string(kScheduleOrchestrationName);
  query.limit = kMaxInstancePageLimit;
  const std::string prefix = schedule_instance_id("");
  for (;;) {
    auto page = list_instances_page(query);
    if (!page) return std::unexpected(std::move(page.error()));
    for (const auto& instance : page->instances) {
      if (!instance.instance_id.starts_with(prefix)) continue;  // started by hand under the name
      auto info = get_schedule(instance.instance_id.substr(prefix.size()));
      if (!info) {
        if (info.error().kind == ClientError::Kind::InstanceNotFound) continue;  // deleted meanwhile
        return std::unexpected(std::move(info.error()));
      }
      if (info->status != ScheduleStatus::Deleted) schedules.push_back(std::move(*info));
    }
    if (!page->next_cursor) break;
    query.cursor = page->next_cursor;
  }
  std::sort(schedules.begin(), schedules.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return schedules;
}

ClientResult<void> Client::pause_schedule(const std::string& id, const std::string& reason) const {
  if (auto valid = require_utf8("pause_schedule", {{"reason", reason}}); !valid) return valid;
  return send_control(*this, id, ControlRequest{ControlRequest::Op::Pause, reason});
}

ClientResult<void> Client::resume_schedule(const std::string& id) const {
  return send_control(*this, id, ControlRequest{ControlRequest::Op::Resume, {}});
}

ClientResult<void> Client::delete_schedule(const std::string& id) const {
  auto info = live_schedule(*this, id);
  if (!info) return std::unexpected(std::move(info.error()));
  return terminate_instance(info->instance_id, "schedule deleted", false);
}

}  // namespace duroxide
