// The API's writes: raise an event, cancel, terminate, suspend, resume or rewind an instance
// (docs/dashboard.md). Each puts a message in
// the store for a runtime to carry out, as the Client does; neither waits for it. Refused unless
// the server runs with --allow-writes (access_policy.hpp).
#include <fmt/format.h>

#include "api.hpp"
#include "request_input.hpp"

namespace duroxide::dashboard {

namespace {

constexpr const char* kDefaultCancelReason = "cancelled from the duroxide dashboard";
constexpr const char* kDefaultTerminateReason = "terminated from the duroxide dashboard";
constexpr const char* kDefaultSuspendReason = "suspended from the duroxide dashboard";
constexpr const char* kDefaultResumeReason = "resumed from the duroxide dashboard";
constexpr const char* kDefaultRewindReason = "rewound from the duroxide dashboard";

/// 404 for an unknown instance, 409 for a finished one: nothing would act on `what`. Returns the
/// status read, for checks of its own.
OrchestrationStatus require_unfinished(const Client& client, const std::string& id, std::string_view what) {
  const auto status = require(client.get_orchestration_status(id), fmt::format("reading instance '{}'", id));
  if (status.is_not_found()) throw HttpError(404, fmt::format("instance '{}' not found", id));
  if (status.is_terminal()) {
    throw HttpError(409,
                    fmt::format("instance '{}' has already finished ({}): nothing would {}", id, status.name(), what));
  }
  return status;
}

}  // namespace

ApiReply raise_event(const ApiContext& context, const httplib::Request& request) {
  const auto body = json_body(request);
  const auto id = body_text(body, "instance_id", kMaxIdentifierBytes, false);
  const auto name = body_text(body, "name", kMaxIdentifierBytes, false);
  const auto data = body_text(body, "data", kMaxEventDataBytes, true, "");
  require_unfinished(context.client, id, "receive the event");
  require(context.client.raise_event(id, name, data), fmt::format("raising '{}' on instance '{}'", name, id));
  return {202, Json{{"instance_id", id}, {"event", name}, {"raised", true}}};
}

ApiReply cancel_instance(const ApiContext& context, const httplib::Request& request) {
  const auto body = json_body(request);
  const auto id = body_text(body, "instance_id", kMaxIdentifierBytes, false);
  const auto reason = body_text(body, "reason", kMaxReasonBytes, true, kDefaultCancelReason);
  require_unfinished(context.client, id, "be cancelled");
  require(context.client.cancel_instance(id, reason), fmt::format("cancelling instance '{}'", id));
  return {202, Json{{"instance_id", id}, {"reason", reason}, {"cancel_requested", true}}};
}

ApiReply terminate_instance(const ApiContext& context, const httplib::Request& request) {
  const auto body = json_body(request);
  const auto id = body_text(body, "instance_id", kMaxIdentifierBytes, false);
  const auto reason = body_text(body, "reason", kMaxReasonBytes, true, kDefaultTerminateReason);
  const bool children = body_flag(body, "terminate_children", true);
  require_unfinished(context.client, id, "be terminated");
  require(context.client.terminate_instance(id, reason, children), fmt::format("terminating instance '{}'", id));
  return {
      202,
      Json{{"instance_id", id}, {"reason", reason}, {"children_terminated", children}, {"terminate_requested", true}}};
}

ApiReply suspend_instance(const ApiContext& context, const httplib::Request& request) {
  const auto body = json_body(request);
  const auto id = body_text(body, "instance_id", kMaxIdentifierBytes, false);
  const auto reason = body_text(body, "reason", kMaxReasonBytes, true, kDefaultSuspendReason);
  if (require_unfinished(context.client, id, "be suspended").is_suspended())
    throw HttpError(409, fmt::format("instance '{}' is already suspended", id));
  require(context.client.suspend_instance(id, reason), fmt::format("suspending instance '{}'", id));
  return {202, Json{{"instance_id", id}, {"reason", reason}, {"suspend_requested", true}}};
}

ApiReply resume_instance(const ApiContext& context, const httplib::Request& request) {
  const auto body = json_body(request);
  const auto id = body_text(body, "instance_id", kMaxIdentifierBytes, false);
  const auto reason = body_text(body, "reason", kMaxReasonBytes, true, kDefaultResumeReason);
  const auto status = require(context.client.get_orchestration_status(id), fmt::format("reading instance '{}'", id));
  if (status.is_not_found()) throw HttpError(404, fmt::format("instance '{}' not found", id));
  if (!status.is_suspended()) {
    throw HttpError(409, fmt::format("instance '{}' is not suspended ({}): nothing to resume", id, status.name()));
  }
  require(context.client.resume_instance(id, reason), fmt::format("resuming instance '{}'", id));
  return {202, Json{{"instance_id", id}, {"reason", reason}, {"resume_requested", true}}};
}

ApiReply rewind_instance(const ApiContext& context, const httplib::Request& request) {
  const auto body = json_body(request);
  const auto id = body_text(body, "instance_id", kMaxIdentifierBytes, false);
  const auto reason = body_text(body, "reason", kMaxReasonBytes, true, kDefaultRewindReason);
  // The client refuses what has not failed (409) and an unknown instance (404).
  require(context.client.rewind_instance(id, reason), fmt::format("rewinding instance '{}'", id));
  return {202, Json{{"instance_id", id}, {"reason", reason}, {"rewind_requested", true}}};
}

}  // namespace duroxide::dashboard
