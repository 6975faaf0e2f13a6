#include "runtime/turn_validation.hpp"

#include <string_view>
#include <utility>

#include <fmt/format.h>

#include <duroxide/utf8.hpp>

#include "core/overloaded.hpp"

namespace duroxide::runtime {

namespace {

using Field = std::pair<std::string_view, std::string_view>;  // (field label, value)

/// "activity 'Greet'", or just "activity" when the name itself is not UTF-8 (it is then reported
/// as the field "name").
std::string subject(std::string_view kind, std::string_view name) {
  if (first_invalid_utf8_offset(name)) return std::string(kind);
  return fmt::format("{} '{}'", kind, name);
}

std::vector<std::string_view> error_strings(const ErrorDetails& details) {
  std::vector<std::string_view> strings;
  std::visit(detail::Overloaded{
                 [&](const error::Infrastructure& e) {
                   strings.push_back(e.operation);
                   strings.push_back(e.message);
                 },
                 [&](const error::Configuration& e) {
                   strings.push_back(e.resource);
                   if (e.message) strings.push_back(*e.message);
                 },
                 [&](const error::Application& e) {
                   strings.push_back(e.kind.cancel_reason);
                   strings.push_back(e.message);
                 },
                 [&](const error::Poison& e) {
                   strings.push_back(e.message);
                   std::visit(detail::Overloaded{
                                  [&](const poison::Orchestration& m) { strings.push_back(m.instance); },
                                  [&](const poison::Activity& m) {
                                    strings.push_back(m.instance);
                                    strings.push_back(m.activity_name);
                                  },
                                  [&](const poison::FailedDeserialization& m) {
                                    strings.push_back(m.instance);
                                    strings.push_back(m.error);
                                  },
                              },
                              e.message_type);
                 },
             },
             details.value);
  return strings;
}

/// What the event's strings are called in an error message, and the strings themselves.
struct EventStrings {
  std::string subject;
  std::vector<Field> fields;
  const ErrorDetails* details = nullptr;
};

EventStrings strings_of(const Event& event) {
  EventStrings out;
  auto opt = [&](std::string_view label, const std::optional<std::string>& value) {
    if (value) out.fields.emplace_back(label, *value);
  };
  std::visit(detail::Overloaded{
                 [&](const events::OrchestrationStarted& e) {
                   out.subject = subject("orchestration", e.name);
                   out.fields = {{"name", e.name}, {"version", e.version}, {"input", e.input}};
                   opt("parent instance id", e.parent_instance);
                   opt("initial custom status", e.initial_custom_status);
                   for (const auto& [queue, data] : e.carry_forward_events) {
                     out.fields.emplace_back("carried queue name", queue);
                     out.fields.emplace_back("carried queue message", data);
                   }
                 },
                 [&](const events::OrchestrationCompleted& e) {
                   out.subject = "the orchestration";
                   out.fields = {{"output", e.output}};
                 },
                 [&](const events::OrchestrationFailed& e) {
                   out.subject = "the orchestration's failure";
                   out.details = &e.details;
                 },
                 [&](const events::ActivityScheduled& e) {
                   out.subject = subject("activity", e.name);
                   out.fields = {{"name", e.name}, {"input", e.input}};
                   opt("session id", e.session_id);
                   opt("tag", e.tag);
                 },
                 [&](const events::ActivityCompleted& e) {
                   out.subject = "an activity";
                   out.fields = {{"output", e.result}};
                 },
                 [&](const events::ActivityFailed& e) {
                   out.subject = "an activity";
                   out.details = &e.details;
                 },
                 [&](const events::ExternalSubscribed& e) {
                   out.subject = "an event subscription";
                   out.fields = {{"event name", e.name}};
                 },
                 [&](const events::ExternalEvent& e) {
                   out.subject = subject("event", e.name);
                   out.fields = {{"name", e.name}, {"data", e.data}};
                 },
                 [&](const events::OrchestrationChained& e) {
                   out.subject = subject("detached orchestration", e.name);
                   out.fields = {{"name", e.name}, {"instance id", e.instance}, {"input", e.input}};
                 },
                 [&](const events::SubOrchestrationScheduled& e) {
                   out.subject = subject("sub-orchestration", e.name);
                   out.fields = {{"name", e.name}, {"instance id", e.instance}, {"input", e.input}};
                 },
                 [&](const events::SubOrchestrationCompleted& e) {
                   out.subject = "a sub-orchestration";
                   out.fields = {{"output", e.result}};
                 },
                 [&](const events::SubOrchestrationFailed& e) {
                   out.subject = "a sub-orchestration";
                   out.details = &e.details;
                 },
                 [&](const events::OrchestrationContinuedAsNew& e) {
                   out.subject = "continue-as-new";
                   out.fields = {{"input", e.input}};
                 },
                 [&](const events::QueueSubscribed& e) {
                   out.subject = "a queue subscription";
                   out.fields = {{"queue name", e.name}};
                 },
                 [&](const events::QueueEventDelivered& e) {
                   out.subject = subject("queue", e.name);
                   out.fields = {{"name", e.name}, {"message", e.data}};
                 },
                 [&](const events::CustomStatusUpdated& e) {
                   out.subject = "the orchestration";
                   opt("custom status", e.status);
                 },
                 [&](const events::KeyValueSet& e) {
                   out.subject = subject("KV entry", e.key);
                   out.fields = {{"key", e.key}, {"value", e.value}};
                 },
                 [&](const events::KeyValueCleared& e) {
                   out.subject = "a KV clear";
                   out.fields = {{"key", e.key}};
                 },
                 // Cancellation breadcrumbs: their reasons are the runtime's or the (validated) client's.
                 [&](const events::ActivityCancelRequested& e) {
                   out.subject = "an activity cancellation";
                   out.fields = {{"reason", e.reason}};
                 },
                 [&](const events::SubOrchestrationCancelRequested& e) {
                   out.subject = "a sub-orchestration cancellation";
                   out.fields = {{"reason", e.reason}};
                 },
                 [&](const events::OrchestrationCancelRequested& e) {
                   out.subject = "the cancellation";
                   out.fields = {{"reason", e.reason}};
                 },
                 [&](const events::OrchestrationTerminated& e) {
                   out.subject = "the termination";
                   out.fields = {{"reason", e.reason}};
                 },
                 [&](const events::ExternalSubscribedCancelled& e) {
                   out.subject = "a subscription cancellation";
                   out.fields = {{"reason", e.reason}};
                 },
                 [&](const events::QueueSubscriptionCancelled& e) {
                   out.subject = "a queue subscription cancellation";
                   out.fields = {{"reason", e.reason}};
                 },
                 [&](const auto&) {},
             },
             event.kind);
  return out;
}

std::optional<std::string> first_problem(const std::vector<Field>& fields, const std::string& suffix) {
  for (const auto& [label, value] : fields) {
    if (auto problem = invalid_utf8_problem(fmt::format("{} of {}", label, suffix), value)) return problem;
  }
  return std::nullopt;
}

std::optional<std::string> invalid_utf8_in_item(const WorkItem& item) {
  return std::visit(
      detail::Overloaded{
          [](const work_items::StartOrchestration& s) -> std::optional<std::string> {
            std::vector<Field> fields = {{"instance id", s.instance}, {"name", s.orchestration}, {"input", s.input}};
            if (s.version) fields.emplace_back("version", *s.version);
            return first_problem(fields, subject("started orchestration", s.orchestration));
          },
          [](const work_items::ContinueAsNew& c) -> std::optional<std::string> {
            std::vector<Field> fields = {{"name", c.orchestration}, {"input", c.input}};
            if (c.version) fields.emplace_back("version", *c.version);
            if (c.initial_custom_status) fields.emplace_back("custom status", *c.initial_custom_status);
            return first_problem(fields, "continue-as-new");
          },
          [](const work_items::ActivityExecute& a) -> std::optional<std::string> {
            std::vector<Field> fields = {{"name", a.name}, {"input", a.input}};
            if (a.session_id) fields.emplace_back("session id", *a.session_id);
            if (a.tag) fields.emplace_back("tag", *a.tag);
            return first_problem(fields, subject("activity", a.name));
          },
          [](const work_items::SubOrchCompleted& c) -> std::optional<std::string> {
            return invalid_utf8_problem("output sent to the parent orchestration", c.result);
          },
          [](const work_items::SubOrchFailed& f) -> std::optional<std::string> {
            return invalid_utf8_in_error("error sent to the parent orchestration", f.details);
          },
          [](const work_items::CancelInstance& c) -> std::optional<std::string> {
            return first_problem({{"instance id", c.instance}, {"reason", c.reason}}, "a cancellation");
          },
          [](const work_items::TerminateInstance& t) -> std::optional<std::string> {
            return first_problem({{"instance id", t.instance}, {"reason", t.reason}}, "a termination");
          },
          [](const work_items::RewindInstance& r) -> std::optional<std::string> {
            return first_problem({{"instance id", r.instance}, {"reason", r.reason}}, "a rewind");
          },
          [](const auto&) -> std::optional<std::string> { return std::nullopt; },
      },
      item);
}

}  // namespace

std::optional<std::string> invalid_utf8_in_error(const std::string& what, const ErrorDetails& details) {
  for (auto text : error_strings(details)) {
    if (auto problem = invalid_utf8_problem(what, text)) return problem;
  }
  return std::nullopt;
}

std::optional<InvalidUtf8InTurn> find_invalid_utf8(const std::vector<Event>& delta,
                                                   const std::vector<WorkItem>& orchestrator_items,
                                                   const std::vector<WorkItem>& worker_items) {
  for (std::size_t i = 0; i < delta.size(); ++i) {
    const auto strings = strings_of(delta[i]);
    const std::string where = fmt::format("{} (event {})", strings.subject, delta[i].event_id);
    if (auto problem = first_problem(strings.fields, where)) return InvalidUtf8InTurn{std::move(*problem), i};
    if (strings.details != nullptr) {
      if (auto problem = invalid_utf8_in_error("error message of " + where, *strings.details)) {
        return InvalidUtf8InTurn{std::move(*problem), i};
      }
    }
  }
  for (const auto* items : {&orchestrator_items, &worker_items}) {
    for (const auto& item : *items) {
      if (auto problem = invalid_utf8_in_item(item)) return InvalidUtf8InTurn{std::move(*problem), delta.size()};
    }
  }
  return std::nullopt;
}

}  // namespace duroxide::runtime
