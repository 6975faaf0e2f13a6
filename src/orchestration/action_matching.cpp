// Action <-> history event correspondence (docs/orchestration-engine.md, "Matching actions against history").
#include <fmt/format.h>

#include "core/overloaded.hpp"
#include "orchestration/replay_engine.hpp"

namespace duroxide::orchestration {

using detail::Overloaded;

std::optional<EventKind> action_to_event(const Action& action) {
  return std::visit(
      Overloaded{
          [](const actions::CallActivity& a) -> std::optional<EventKind> {
            return events::ActivityScheduled{a.name, a.input, a.session_id, a.tag};
          },
          [](const actions::CreateTimer& a) -> std::optional<EventKind> { return events::TimerCreated{a.fire_at_ms}; },
          [](const actions::WaitExternal& a) -> std::optional<EventKind> { return events::ExternalSubscribed{a.name}; },
          [](const actions::DequeueEvent& a) -> std::optional<EventKind> { return events::QueueSubscribed{a.name}; },
          [](const actions::StartSubOrchestration& a) -> std::optional<EventKind> {
            return events::SubOrchestrationScheduled{a.name, a.instance, a.input};
          },
          [](const actions::StartOrchestrationDetached& a) -> std::optional<EventKind> {
            return events::OrchestrationChained{a.name, a.instance, a.input};
          },
          [](const actions::ContinueAsNew&) -> std::optional<EventKind> { return std::nullopt; },
          [](const actions::UpdateCustomStatus& a) -> std::optional<EventKind> {
            return events::CustomStatusUpdated{a.status};
          },
          [](const actions::SetKeyValue& a) -> std::optional<EventKind> {
            return events::KeyValueSet{a.key, a.value, a.last_updated_at_ms};
          },
          [](const actions::ClearKeyValue& a) -> std::optional<EventKind> { return events::KeyValueCleared{a.key}; },
          [](const actions::ClearKeyValues&) -> std::optional<EventKind> { return events::KeyValuesCleared{}; },
      },
      action);
}

bool action_matches_event(const Action& action, const EventKind& kind) {
  return std::visit(
      Overloaded{
          [&](const actions::CallActivity& a) {
            auto* e = std::get_if<events::ActivityScheduled>(&kind);
            return e && e->name == a.name && e->input == a.input && e->session_id == a.session_id && e->tag == a.tag;
          },
          // Timers match by position; fire_at_ms is wall-clock dependent.
          [&](const actions::CreateTimer&) { return std::holds_alternative<events::TimerCreated>(kind); },
          [&](const actions::WaitExternal& a) {
            auto* e = std::get_if<events::ExternalSubscribed>(&kind);
            return e && e->name == a.name;
          },
          [&](const actions::DequeueEvent& a) {
            auto* e = std::get_if<events::QueueSubscribed>(&kind);
            return e && e->name == a.name;
          },
          [&](const actions::StartSubOrchestration& a) {
            auto* e = std::get_if<events::SubOrchestrationScheduled>(&kind);
            return e && e->name == a.name && e->input == a.input;
          },
          [&](const actions::StartOrchestrationDetached& a) {
            auto* e = std::get_if<events::OrchestrationChained>(&kind);
            return e && e->name == a.name && e->instance == a.instance && e->input == a.input;
          },
          [&](const actions::ContinueAsNew&) { return false; },
          [&](const actions::UpdateCustomStatus&) { return std::holds_alternative<events::CustomStatusUpdated>(kind); },
          [&](const actions::SetKeyValue& a) {
            auto* e = std::get_if<events::KeyValueSet>(&kind);
            return e && e->key == a.key && e->value == a.value;
          },
          [&](const actions::ClearKeyValue& a) {
            auto* e = std::get_if<events::KeyValueCleared>(&kind);
            return e && e->key == a.key;
          },
          [&](const actions::ClearKeyValues&) { return std::holds_alternative<events::KeyValuesCleared>(kind); },
      },
      action);
}

std::string describe_action(const Action& action) {
  return std::visit(
      Overloaded{
          [](const actions::CallActivity& a) {
            return fmt::format("CallActivity{{name={}, input={}, session={}, tag={}}}", a.name, a.input,
                               a.session_id.value_or("<none>"), a.tag.value_or("<none>"));
          },
          [](const actions::WaitExternal& a) { return fmt::format("WaitExternal{{name={}}}", a.name); },
          [](const actions::DequeueEvent& a) { return fmt::format("DequeueEvent{{name={}}}", a.name); },
          [](const actions::StartSubOrchestration& a) {
            return fmt::format("StartSubOrchestration{{name={}, input={}}}", a.name, a.input);
          },
          [](const actions::StartOrchestrationDetached& a) {
            return fmt::format("StartOrchestrationDetached{{name={}, instance={}, input={}}}", a.name, a.instance,
                               a.input);
          },
          [](const actions::SetKeyValue& a) { return fmt::format("SetKeyValue{{key={}, value={}}}", a.key, a.value); },
          [](const actions::ClearKeyValue& a) { return fmt::format("ClearKeyValue{{key={}}}", a.key); },
          [&](const auto&) { return std::string(action_type_name(action)); },
      },
      action);
}

std::string describe_event(const EventKind& kind) {
  return std::visit(
      Overloaded{
          [](const events::ActivityScheduled& e) {
            return fmt::format("ActivityScheduled{{name={}, input={}, session={}, tag={}}}", e.name, e.input,
                               e.session_id.value_or("<none>"), e.tag.value_or("<none>"));
          },
          [](const events::ExternalSubscribed& e) { return fmt::format("ExternalSubscribed{{name={}}}", e.name); },
          [](const events::QueueSubscribed& e) {
            return fmt::format("ExternalSubscribedPersistent{{name={}}}", e.name);
          },
          [](const events::SubOrchestrationScheduled& e) {
            return fmt::format("SubOrchestrationScheduled{{name={}, instance={}, input={}}}", e.name, e.instance,
                               e.input);
          },
          [](const events::OrchestrationChained& e) {
            return fmt::format("OrchestrationChained{{name={}, instance={}, input={}}}", e.name, e.instance, e.input);
          },
          [](const events::KeyValueSet& e) { return fmt::format("KeyValueSet{{key={}, value={}}}", e.key, e.value); },
          [](const events::KeyValueCleared& e) { return fmt::format("KeyValueCleared{{key={}}}", e.key); },
          [&](const auto&) { return std::string(event_type_name(kind)); },
      },
      kind);
}

}  // namespace duroxide::orchestration
