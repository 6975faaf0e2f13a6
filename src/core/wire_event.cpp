// Event <-> JSON: six common fields, then the flattened `type` tag and the kind's fields (docs/core.md).
#include <fmt/format.h>

#include <duroxide/wire.hpp>

#include "core/json_fields.hpp"
#include "core/overloaded.hpp"

namespace duroxide {
namespace wire {
namespace {

template <class T>
void put_optional(OrderedJson& j, const char* key, const std::optional<T>& value) {
  if (value) j[key] = *value;
}

void put_kind_fields(OrderedJson& j, const EventKind& kind) {
  using namespace events;
  std::visit(detail::Overloaded{
                 [&](const OrchestrationStarted& e) {
                   j["name"] = e.name;
                   j["version"] = e.version;
                   j["input"] = e.input;
                   j["parent_instance"] = nullable(e.parent_instance);
                   j["parent_id"] = nullable(e.parent_id);
                   put_optional(j, "parent_execution_id", e.parent_execution_id);
                   if (!e.carry_forward_events.empty()) {
                     j["carry_forward_events"] = carried_events_to_json(e.carry_forward_events);
                   }
                   put_optional(j, "initial_custom_status", e.initial_custom_status);
                   put_optional(j, "trace_parent", e.trace_parent);
                 },
                 [&](const OrchestrationCompleted& e) { j["output"] = e.output; },
                 [&](const OrchestrationFailed& e) { j["details"] = error_details_to_json(e.details); },
                 [&](const ActivityScheduled& e) {
                   j["name"] = e.name;
                   j["input"] = e.input;
                   put_optional(j, "session_id", e.session_id);
                   put_optional(j, "tag", e.tag);
                 },
                 [&](const ActivityCompleted& e) { j["result"] = e.result; },
                 [&](const ActivityFailed& e) { j["details"] = error_details_to_json(e.details); },
                 [&](const ActivityCancelRequested& e) { j["reason"] = e.reason; },
                 [&](const TimerCreated& e) { j["fire_at_ms"] = e.fire_at_ms; },
                 [&](const TimerFired& e) { j["fire_at_ms"] = e.fire_at_ms; },
                 [&](const ExternalSubscribed& e) { j["name"] = e.name; },
                 [&](const ExternalEvent& e) {
                   j["name"] = e.name;
                   j["data"] = e.data;
                 },
                 [&](const OrchestrationChained& e) {
                   j["name"] = e.name;
                   j["instance"] = e.instance;
                   j["input"] = e.input;
                 },
                 [&](const SubOrchestrationScheduled& e) {
                   j["name"] = e.name;
                   j["instance"] = e.instance;
                   j["input"] = e.input;
                 },
                 [&](const SubOrchestrationCompleted& e) { j["result"] = e.result; },
                 [&](const SubOrchestrationFailed& e) { j["details"] = error_details_to_json(e.details); },
                 [&](const SubOrchestrationCancelRequested& e) { j["reason"] = e.reason; },
                 [&](const OrchestrationContinuedAsNew& e) { j["input"] = e.input; },
                 [&](const OrchestrationCancelRequested& e) { j["reason"] = e.reason; },
                 [&](const OrchestrationTerminated& e) { j["reason"] = e.reason; },
                 [&](const OrchestrationSuspended& e) { j["reason"] = e.reason; },
                 [&](const OrchestrationResumed& e) { j["reason"] = e.reason; },
                 [&](const OrchestrationRewound& e) {
                   j["reason"] = e.reason;
                   j["superseded"] = e.superseded;
                 },
                 [&](const ExternalSubscribedCancelled& e) { j["reason"] = e.reason; },
                 [&](const QueueSubscribed& e) { j["name"] = e.name; },
                 [&](const QueueEventDelivered& e) {
                   j["name"] = e.name;
                   j["data"] = e.data;
                 },
                 [&](const QueueSubscriptionCancelled& e) { j["reason"] = e.reason; },
                 [&](const CustomStatusUpdated& e) { j["status"] = nullable(e.status); },
                 [&](const KeyValueSet& e) {
                   j["key"] = e.key;
                   j["value"] = e.value;
                   j["last_updated_at_ms"] = e.last_updated_at_ms;
                 },
                 [&](const KeyValueCleared& e) { j["key"] = e.key; },
                 [&](const KeyValuesCleared&) {},
             },
             kind);
}

/// A required array of event ids.
std::vector<std::uint64_t> event_ids_from_json(const FieldReader& r, const char* key) {
  const Json& array = r.required(key);
  if (!array.is_array()) r.fail_type(key, "array", array);
  std::vector<std::uint64_t> ids;
  ids.reserve(array.size());
  for (const Json& id : array) {
    if (!id.is_number_unsigned()) r.fail_type(key, "array of unsigned integers", id);
    ids.push_back(id.get<std::uint64_t>());
  }
  return ids;
}

EventKind read_kind(const std::string& type, const FieldReader& r) {
  using namespace events;
  if (type == "OrchestrationStarted") {
    OrchestrationStarted e{r.str("name"),
                           r.str("version"),
                           r.str("input"),
                           r.opt_str("parent_instance"),
                           r.opt_u64("parent_id"),
                           {},
                           r.opt_str("initial_custom_status"),
                           r.opt_u64("parent_execution_id"),
                           r.opt_str("trace_parent")};
    if (const Json* cf = r.optional("carry_forward_events"))
      e.carry_forward_events = carried_events_from_json(*cf, type);
    return e;
  }
  if (type == "OrchestrationCompleted") return OrchestrationCompleted{r.str("output")};
  if (type == "OrchestrationFailed") return OrchestrationFailed{error_details_from_json(r.required("details"), type)};
  if (type == "ActivityScheduled") {
    return ActivityScheduled{r.str("name"), r.str("input"), r.opt_str("session_id"), r.opt_str("tag")};
  }
  if (type == "ActivityCompleted") return ActivityCompleted{r.str("result")};
  if (type == "ActivityFailed") return ActivityFailed{error_details_from_json(r.required("details"), type)};
  if (type == "ActivityCancelRequested") return ActivityCancelRequested{r.str("reason")};
  if (type == "TimerCreated") return TimerCreated{r.u64("fire_at_ms")};
  if (type == "TimerFired") return TimerFired{r.u64("fire_at_ms")};
  if (type == "ExternalSubscribed") return ExternalSubscribed{r.str("name")};
  if (type == "ExternalEvent") return ExternalEvent{r.str("name"), r.str("data")};
  if (type == "OrchestrationChained") return OrchestrationChained{r.str("name"), r.str("instance"), r.str("input")};
  if (type == "SubOrchestrationScheduled") {
    return SubOrchestrationScheduled{r.str("name"), r.str("instance"), r.str("input")};
  }
  if (type == "SubOrchestrationCompleted") return SubOrchestrationCompleted{r.str("result")};
  if (type == "SubOrchestrationFailed") {
    return SubOrchestrationFailed{error_details_from_json(r.required("details"), type)};
  }
  if (type == "SubOrchestrationCancelRequested") return SubOrchestrationCancelRequested{r.str("reason")};
  if (type == "OrchestrationContinuedAsNew") return OrchestrationContinuedAsNew{r.str("input")};
  if (type == "OrchestrationCancelRequested") return OrchestrationCancelRequested{r.str("reason")};
  if (type == "ExternalSubscribedCancelled") return ExternalSubscribedCancelled{r.str("reason")};
  if (type == "ExternalSubscribedPersistent") return QueueSubscribed{r.str("name")};
  if (type == "ExternalEventPersistent") return QueueEventDelivered{r.str("name"), r.str("data")};
  if (type == "ExternalSubscribedPersistentCancelled") return QueueSubscriptionCancelled{r.str("reason")};
  if (type == "CustomStatusUpdated") return CustomStatusUpdated{r.opt_str("status")};
  if (type == "KeyValueSet") return KeyValueSet{r.str("key"), r.str("value"), r.u64_or("last_updated_at_ms", 0)};
  if (type == "KeyValueCleared") return KeyValueCleared{r.str("key")};
  if (type == "KeyValuesCleared") return KeyValuesCleared{};
  if (type == "OrchestrationTerminated") return OrchestrationTerminated{r.str("reason")};
  if (type == "OrchestrationSuspended") return OrchestrationSuspended{r.str("reason")};
  if (type == "OrchestrationResumed") return OrchestrationResumed{r.str("reason")};
  if (type == "OrchestrationRewound")
    return OrchestrationRewound{r.str("reason"), event_ids_from_json(r, "superseded")};
  throw WireError(fmt::format("unknown event type '{}'", type));
}

}  // namespace

OrderedJson event_to_json(const Event& event) {
  OrderedJson j = OrderedJson::object();
  j["event_id"] = event.event_id;
  j["source_event_id"] = nullable(event.source_event_id);
  j["instance_id"] = event.instance_id;
  j["execution_id"] = event.execution_id;
  j["timestamp_ms"] = event.timestamp_ms;
  j["duroxide_version"] = event.duroxide_version;
  j["type"] = event.type_name();
  put_kind_fields(j, event.kind);
  return j;
}

Event event_from_json(const Json& j) {
  // The type is read first so that messages about missing fields name the event kind.
  if (!j.is_object()) throw WireError(fmt::format("an event must be a JSON object, got {}", json_type_name(j)));
  const std::string type = FieldReader(j, "event").str("type");
  FieldReader r(j, type);
  Event e;
  e.event_id = r.u64("event_id");
  e.source_event_id = r.opt_u64("source_event_id");
  e.instance_id = r.str("instance_id");
  e.execution_id = r.u64("execution_id");
  e.timestamp_ms = r.u64("timestamp_ms");
  e.duroxide_version = r.str("duroxide_version");
  e.kind = read_kind(type, r);
  return e;
}

}  // namespace wire

std::string serialize_event(const Event& event) { return wire::dump_compact(wire::event_to_json(event)); }

Result<Event> parse_event(std::string_view json) {
  try {
    return wire::event_from_json(wire::parse_json_text(json));
  } catch (const std::exception& e) {
    return Err(fmt::format("invalid Event JSON: {}", e.what()));
  }
}

std::string serialize_history(const std::vector<Event>& history) {
  wire::OrderedJson arr = wire::OrderedJson::array();
  for (const auto& e : history) arr.push_back(wire::event_to_json(e));
  return wire::dump_compact(arr);
}

Result<std::vector<Event>> parse_history(std::string_view json) {
  std::size_t index = 0;
  try {
    const auto arr = wire::parse_json_text(json);
    if (!arr.is_array()) {
      return Err(fmt::format("invalid history JSON: expected an array of events, got {}", wire::json_type_name(arr)));
    }
    std::vector<Event> out;
    out.reserve(arr.size());
    for (; index < arr.size(); ++index) out.push_back(wire::event_from_json(arr[index]));
    return out;
  } catch (const std::exception& e) {
    return Err(fmt::format("invalid history JSON at event index {}: {}", index, e.what()));
  }
}

}  // namespace duroxide
