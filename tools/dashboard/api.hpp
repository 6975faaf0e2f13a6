// The JSON API's handlers (docs/dashboard.md, "The JSON API"). Each reads its request, calls the
// public Client, and returns the JSON document to send, or throws HttpError; the server's route
// wrapper checks access first and turns the result or the error into the response.
#pragma once

#include <string>

#include <httplib.h>

#include <duroxide/client.hpp>

#include "http_response.hpp"

namespace duroxide::dashboard {

/// What every handler works with.
struct ApiContext {
  Client client;
  std::string store_label;  ///< the store's URL without its password, shown on the page
  bool allow_writes = false;
};

/// What a handler returns: the status and the document.
struct ApiReply {
  int status = 200;
  Json body;
};

/// The value of a client call; a failure becomes an HttpError: unknown instance 404, bad input
/// 400, no management view 501, the store failing 503 (500 when retrying cannot help).
/// `what` says what was being done, e.g. "reading instance 'x'".
HttpError client_failure(const ClientError& error, const std::string& what);

template <class T>
T require(ClientResult<T> result, const std::string& what) {
  if (!result) throw client_failure(result.error(), what);
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

// ---- reads (GET) ----
/// /api/config: what the page needs to know about the server.
ApiReply get_config(const ApiContext& context, const httplib::Request& request);
/// /api/instances?status=&name=&created_from_ms=&created_until_ms=&cursor=&limit=
ApiReply list_instances(const ApiContext& context, const httplib::Request& request);
/// /api/instance?id=
ApiReply get_instance(const ApiContext& context, const httplib::Request& request);
/// /api/history?id=&execution=&limit=
ApiReply get_history(const ApiContext& context, const httplib::Request& request);
/// /api/metrics
ApiReply get_metrics(const ApiContext& context, const httplib::Request& request);

// ---- writes (POST, JSON bodies) ----
/// /api/raise-event {"instance_id", "name", "data"}
ApiReply raise_event(const ApiContext& context, const httplib::Request& request);
/// /api/cancel {"instance_id", "reason"}
ApiReply cancel_instance(const ApiContext& context, const httplib::Request& request);
/// POST /api/terminate {instance_id, reason?, terminate_children? (default true)}.
ApiReply terminate_instance(const ApiContext& context, const httplib::Request& request);
/// POST /api/suspend {instance_id, reason?} and POST /api/resume {instance_id, reason?}.
ApiReply suspend_instance(const ApiContext& context, const httplib::Request& request);
ApiReply resume_instance(const ApiContext& context, const httplib::Request& request);
ApiReply rewind_instance(const ApiContext& context, const httplib::Request& request);

// ---- schedules (api_schedules.cpp) ----
/// GET /api/schedules: {"schedules": [...]}, every schedule not deleted, by id.
ApiReply list_schedules(const ApiContext& context, const httplib::Request& request);
/// POST /api/schedule/create {id, spec, orchestration, input?, version?, overlap? ("skip")}: 201.
ApiReply create_schedule(const ApiContext& context, const httplib::Request& request);
/// POST /api/schedule/pause {id, reason?}, /api/schedule/resume {id}, /api/schedule/delete {id}.
ApiReply pause_schedule(const ApiContext& context, const httplib::Request& request);
ApiReply resume_schedule(const ApiContext& context, const httplib::Request& request);
ApiReply delete_schedule(const ApiContext& context, const httplib::Request& request);

}  // namespace duroxide::dashboard
