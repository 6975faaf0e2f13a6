// The API's schedule calls (docs/dashboard.md, "Schedules"; docs/schedules.md): the list, and
// create, pause, resume and delete, each a Client call. The writes are refused unless the server
// runs with --allow-writes (access_policy.hpp).
#include <fmt/format.h>

#include "api.hpp"
#include "json_views.hpp"
#include "request_input.hpp"

namespace duroxide::dashboard {

namespace {

constexpr const char* kDefaultPauseReason = "paused from the duroxide dashboard";

/// The value of a schedule call: an unknown schedule is a 404 that names the schedule.
template <class T>
T require_schedule(ClientResult<T> result, const std::string& id, const std::string& what) {
  if (!result && result.error().kind == ClientError::Kind::InstanceNotFound)
    throw HttpError(404, fmt::format("schedule '{}' not found", id));
  return require(std::move(result), what);
}

}  // namespace

ApiReply list_schedules(const ApiContext& context, const httplib::Request&) {
  const auto schedules = require(context.client.list_schedules(), "listing schedules");
  Json list = Json::array();
  for (const auto& schedule : schedules) list.push_back(tools::schedule_json(schedule));
  return {200, Json{{"schedules", std::move(list)}}};
}

ApiReply create_schedule(const ApiContext& context, const httplib::Request& request) {
  const auto body = json_body(request);
  const auto id = body_text(body, "id", kMaxIdentifierBytes, false);
  const auto spec = body_text(body, "spec", kMaxIdentifierBytes, false);
  const auto orchestration = body_text(body, "orchestration", kMaxIdentifierBytes, false);
  const auto input = body_text(body, "input", kMaxEventDataBytes, true, "");
  const auto version = body_text(body, "version", kMaxIdentifierBytes, true, "");
  const auto overlap_text = body_text(body, "overlap", kMaxIdentifierBytes, false, "skip");
  const auto overlap = parse_overlap_policy(overlap_text);
  if (!overlap) {
    throw HttpError(400, fmt::format("unknown overlap policy '{}': skip, buffer_one or allow_all", overlap_text));
  }
  const auto what = fmt::format("creating schedule '{}'", id);
  if (version.empty()) {
    require(context.client.create_schedule(id, spec, orchestration, input, *overlap), what);
  } else {
    require(context.client.create_schedule_versioned(id, spec, orchestration, version, input, *overlap), what);
  }
  return {201, Json{{"id", id}, {"instance_id", schedule_instance_id(id)}, {"created", true}}};
}

ApiReply pause_schedule(const ApiContext& context, const httplib::Request& request) {
  const auto body = json_body(request);
  const auto id = body_text(body, "id", kMaxIdentifierBytes, false);
  const auto reason = body_text(body, "reason", kMaxReasonBytes, true, kDefaultPauseReason);
  require_schedule(context.client.pause_schedule(id, reason), id, fmt::format("pausing schedule '{}'", id));
  return {202, Json{{"id", id}, {"reason", reason}, {"pause_requested", true}}};
}

ApiReply resume_schedule(const ApiContext& context, const httplib::Request& request) {
  const auto body = json_body(request);
  const auto id = body_text(body, "id", kMaxIdentifierBytes, false);
  require_schedule(context.client.resume_schedule(id), id, fmt::format("resuming schedule '{}'", id));
  return {202, Json{{"id", id}, {"resume_requested", true}}};
}

ApiReply delete_schedule(const ApiContext& context, const httplib::Request& request) {
  const auto body = json_body(request);
  const auto id = body_text(body, "id", kMaxIdentifierBytes, false);
  require_schedule(context.client.delete_schedule(id), id, fmt::format("deleting schedule '{}'", id));
  return {202, Json{{"id", id}, {"delete_requested", true}}};
}

}  // namespace duroxide::dashboard
