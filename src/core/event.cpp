#include <duroxide/event.hpp>

#include <array>
#include <chrono>

#include <duroxide/constants.hpp>

namespace duroxide {
namespace {
// Wire tags in EventKind's alternative order.
constexpr std::array<std::string_view, std::variant_size_v<EventKind>> kEventTypeNames = {
    "OrchestrationStarted",
    "OrchestrationCompleted",
    "OrchestrationFailed",
    "ActivityScheduled",
    "ActivityCompleted",
    "ActivityFailed",
    "ActivityCancelRequested",
    "TimerCreated",
    "TimerFired",
    "ExternalSubscribed",
    "ExternalEvent",
    "OrchestrationChained",
    "SubOrchestrationScheduled",
    "SubOrchestrationCompleted",
    "SubOrchestrationFailed",
    "SubOrchestrationCancelRequested",
    "OrchestrationContinuedAsNew",
    "OrchestrationCancelRequested",
    "ExternalSubscribedCancelled",
    "ExternalSubscribedPersistent",
    "ExternalEventPersistent",
    "ExternalSubscribedPersistentCancelled",
    "CustomStatusUpdated",
    "KeyValueSet",
    "KeyValueCleared",
    "KeyValuesCleared",
    "OrchestrationTerminated",
    "OrchestrationSuspended",
    "OrchestrationResumed",
    "OrchestrationRewound",
};
}  // namespace

std::string_view event_type_name(const EventKind& kind) { return kEventTypeNames[kind.index()]; }

std::string_view Event::type_name() const { return event_type_name(kind); }

bool Event::is_terminal() const {
  return is<events::OrchestrationCompleted>() || is<events::OrchestrationFailed>() ||
         is<events::OrchestrationContinuedAsNew>() || is<events::OrchestrationTerminated>();
}

Event make_event(std::uint64_t event_id, std::optional<std::uint64_t> source_event_id, std::string instance_id,
                 std::uint64_t execution_id, EventKind kind) {
  const auto now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
  return Event{event_id,
               source_event_id,
               std::move(instance_id),
               execution_id,
               static_cast<std::uint64_t>(now.count()),
               std::string(kDuroxideCompatVersion),
               std::move(kind)};
}

}  // namespace duroxide
