// WorkItem <-> JSON: externally tagged, one key naming the variant (docs/core.md).
#include <fmt/format.h>

#include <duroxide/wire.hpp>

#include "core/json_fields.hpp"
#include "core/overloaded.hpp"

namespace duroxide {
namespace wire {
namespace {

OrderedJson work_item_body(const WorkItem& item) {
  using namespace work_items;
  return std::visit(
      detail::Overloaded{
          [](const StartOrchestration& w) {
            OrderedJson j{{"instance", w.instance},
                          {"orchestration", w.orchestration},
                          {"input", w.input},
                          {"version", nullable(w.version)},
                          {"parent_instance", nullable(w.parent_instance)},
                          {"parent_id", nullable(w.parent_id)}};
            if (w.parent_execution_id) j["parent_execution_id"] = *w.parent_execution_id;
            j["execution_id"] = w.execution_id;
            if (w.trace_parent) j["trace_parent"] = *w.trace_parent;
            return j;
          },
          [](const ActivityExecute& w) {
            OrderedJson j{{"instance", w.instance},
                          {"execution_id", w.execution_id},
                          {"id", w.id},
                          {"name", w.name},
                          {"input", w.input}};
            if (w.session_id) j["session_id"] = *w.session_id;
            if (w.tag) j["tag"] = *w.tag;
            if (w.trace_parent) j["trace_parent"] = *w.trace_parent;
            return j;
          },
          [](const ActivityCompleted& w) {
            return OrderedJson{
                {"instance", w.instance}, {"execution_id", w.execution_id}, {"id", w.id}, {"result", w.result}};
          },
          [](const ActivityFailed& w) {
            return OrderedJson{{"instance", w.instance},
                               {"execution_id", w.execution_id},
                               {"id", w.id},
                               {"details", error_details_to_json(w.details)}};
          },
          [](const TimerFired& w) {
            return OrderedJson{
                {"instance", w.instance}, {"execution_id", w.execution_id}, {"id", w.id}, {"fire_at_ms", w.fire_at_ms}};
          },
          [](const ExternalRaised& w) {
            return OrderedJson{{"instance", w.instance}, {"name", w.name}, {"data", w.data}};
          },
          [](const SubOrchCompleted& w) {
            return OrderedJson{{"parent_instance", w.parent_instance},
                               {"parent_execution_id", w.parent_execution_id},
                               {"parent_id", w.parent_id},
                               {"result", w.result}};
          },
          [](const SubOrchFailed& w) {
            return OrderedJson{{"parent_instance", w.parent_instance},
                               {"parent_execution_id", w.parent_execution_id},
                               {"parent_id", w.parent_id},
                               {"details", error_details_to_json(w.details)}};
          },
          [](const CancelInstance& w) {
            return OrderedJson{{"instance", w.instance}, {"reason", w.reason}};
          },
          [](const SuspendInstance& w) {
            return OrderedJson{{"instance", w.instance}, {"reason", w.reason}};
          },
          [](const ResumeInstance& w) {
            return OrderedJson{{"instance", w.instance}, {"reason", w.reason}};
          },
          [](const RewindInstance& w) {
            return OrderedJson{{"instance", w.instance}, {"reason", w.reason}};
          },
          [](const TerminateInstance& w) {
            return OrderedJson{{"instance", w.instance}, {"reason", w.reason}, {"recursive", w.recursive}};
          },
          [](const ContinueAsNew& w) {
            OrderedJson j{{"instance", w.instance},
                          {"orchestration", w.orchestration},
                          {"input", w.input},
                          {"version", nullable(w.version)},
                          {"carry_forward_events", carried_events_to_json(w.carry_forward_events)}};
            if (w.initial_custom_status) j["initial_custom_status"] = *w.initial_custom_status;
            if (w.trace_parent) j["trace_parent"] = *w.trace_parent;
            return j;
          },
          [](const QueueMessage& w) {
            return OrderedJson{{"instance", w.instance}, {"name", w.name}, {"data", w.data}};
          },
      },
      item);
}

WorkItem work_item_from_body(const std::string& tag, const Json& body) {
  using namespace work_items;
  const FieldReader r(body, tag);
  if (tag == "StartOrchestration") {
    return StartOrchestration{r.str("instance"),     r.str("orchestration"),           r.str("input"),
                              r.opt_str("version"),  r.opt_str("parent_instance"),     r.opt_u64("parent_id"),
                              r.u64("execution_id"), r.opt_u64("parent_execution_id"), r.opt_str("trace_parent")};
  }
  if (tag == "ActivityExecute") {
    return ActivityExecute{r.str("instance"), r.u64("execution_id"),   r.u64("id"),      r.str("name"),
                           r.str("input"),    r.opt_str("session_id"), r.opt_str("tag"), r.opt_str("trace_parent")};
  }
  if (tag == "ActivityCompleted") {
    return ActivityCompleted{r.str("instance"), r.u64("execution_id"), r.u64("id"), r.str("result")};
  }
  if (tag == "ActivityFailed") {
    return ActivityFailed{r.str("instance"), r.u64("execution_id"), r.u64("id"),
                          error_details_from_json(r.required("details"), tag)};
  }
  if (tag == "TimerFired") {
    return TimerFired{r.str("instance"), r.u64("execution_id"), r.u64("id"), r.u64("fire_at_ms")};
  }
  if (tag == "ExternalRaised") return ExternalRaised{r.str("instance"), r.str("name"), r.str("data")};
  if (tag == "SubOrchCompleted") {
    return SubOrchCompleted{r.str("parent_instance"), r.u64("parent_execution_id"), r.u64("parent_id"),
                            r.str("result")};
  }
  if (tag == "SubOrchFailed") {
    return SubOrchFailed{r.str("parent_instance"), r.u64("parent_execution_id"), r.u64("parent_id"),
                         error_details_from_json(r.required("details"), tag)};
  }
  if (tag == "CancelInstance") return CancelInstance{r.str("instance"), r.str("reason")};
  if (tag == "TerminateInstance") return TerminateInstance{r.str("instance"), r.str("reason"), r.boolean("recursive")};
  if (tag == "SuspendInstance") return SuspendInstance{r.str("instance"), r.str("reason")};
  if (tag == "ResumeInstance") return ResumeInstance{r.str("instance"), r.str("reason")};
  if (tag == "RewindInstance") return RewindInstance{r.str("instance"), r.str("reason")};
  if (tag == "ContinueAsNew") {
    ContinueAsNew w{r.str("instance"),
                    r.str("orchestration"),
                    r.str("input"),
                    r.opt_str("version"),
                    {},
                    r.opt_str("initial_custom_status"),
                    r.opt_str("trace_parent")};
    if (const Json* cf = r.optional("carry_forward_events"))
      w.carry_forward_events = carried_events_from_json(*cf, tag);
    return w;
  }
  if (tag == "QueueMessage") return QueueMessage{r.str("instance"), r.str("name"), r.str("data")};
  throw WireError(fmt::format("unknown work item type '{}'", tag));
}

}  // namespace
}  // namespace wire

std::string serialize_work_item(const WorkItem& item) {
  wire::OrderedJson j = wire::OrderedJson::object();
  j[std::string(work_item_type_name(item))] = wire::work_item_body(item);
  return wire::dump_compact(j);
}

Result<WorkItem> parse_work_item(std::string_view json) {
  try {
    const auto j = wire::parse_json_text(json);
    auto [tag, body] = wire::external_tag(j, "a work item");
    return wire::work_item_from_body(tag, *body);
  } catch (const std::exception& e) {
    return Err(fmt::format("invalid WorkItem JSON: {}", e.what()));
  }
}

}  // namespace duroxide
