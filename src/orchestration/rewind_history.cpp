#include "orchestration/rewind_history.hpp"

#include <algorithm>

#include <duroxide/error_details.hpp>

namespace duroxide::orchestration {

namespace {

/// An event recorded from a message (or an operator's control message): the events a turn starts
/// with. A rewind marker and the start count too, so the search for the failing turn stops there.
bool is_message_event(const Event& event) {
  return event.is<events::ActivityCompleted>() || event.is<events::ActivityFailed>() ||
         event.is<events::TimerFired>() || event.is<events::SubOrchestrationCompleted>() ||
         event.is<events::SubOrchestrationFailed>() || event.is<events::ExternalEvent>() ||
         event.is<events::QueueEventDelivered>() || event.is<events::OrchestrationCancelRequested>() ||
         event.is<events::OrchestrationSuspended>() || event.is<events::OrchestrationResumed>() ||
         event.is<events::OrchestrationRewound>() || event.is<events::OrchestrationStarted>();
}

bool is_failed_outcome(const Event& event) {
  return event.is<events::ActivityFailed>() || event.is<events::SubOrchestrationFailed>();
}

/// The first terminal event, or end().
std::vector<Event>::const_iterator first_terminal(const std::vector<Event>& history) {
  return std::find_if(history.begin(), history.end(), [](const Event& e) { return e.is_terminal(); });
}

}  // namespace

std::set<std::uint64_t> superseded_events(const std::vector<Event>& history) {
  std::set<std::uint64_t> ids;
  for (const Event& event : history)
    if (const auto* rewound = event.get_if<events::OrchestrationRewound>())
      ids.insert(rewound->superseded.begin(), rewound->superseded.end());
  return ids;
}

std::vector<Event> without_superseded(const std::vector<Event>& history) {
  const auto superseded = superseded_events(history);
  std::vector<Event> kept;
  kept.reserve(history.size());
  for (const Event& event : history)
    if (!superseded.contains(event.event_id)) kept.push_back(event);
  return kept;
}

std::optional<std::string> rewind_refusal(const std::vector<Event>& history) {
  auto terminal = first_terminal(history);
  if (terminal == history.end()) return "it has not ended";
  const auto* failed = terminal->get_if<events::OrchestrationFailed>();
  if (failed == nullptr) return std::string("it ended ") + std::string(terminal->type_name()) + ", not failed";
  if (const auto* app = failed->details.get_if<error::Application>();
      app != nullptr && app->kind.code == AppErrorKind::Code::Cancelled)
    return "it was cancelled, which a rewind does not take back";
  return std::nullopt;
}

std::vector<std::uint64_t> rewind_supersedes(const std::vector<Event>& history) {
  std::vector<std::uint64_t> ids;
  const auto terminal = first_terminal(history);
  if (terminal == history.end()) return ids;
  // Walk back from the failure: first what the failing turn appended after its messages, then the
  // messages recorded since the code last decided something.
  auto run_end = terminal;
  while (run_end != history.begin() && !is_message_event(*std::prev(run_end))) --run_end;
  auto run_begin = run_end;
  while (run_begin != history.begin() && is_message_event(*std::prev(run_begin)) &&
         !std::prev(run_begin)->is<events::OrchestrationStarted>() &&
         !std::prev(run_begin)->is<events::OrchestrationRewound>())
    --run_begin;
  for (auto it = run_begin; it != run_end; ++it)
    if (is_failed_outcome(*it)) ids.push_back(it->event_id);
  for (auto it = run_end; it != history.end(); ++it) ids.push_back(it->event_id);
  return ids;
}

}  // namespace duroxide::orchestration
