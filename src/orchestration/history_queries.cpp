#include "orchestration/history_queries.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <set>

namespace duroxide::orchestration {

namespace {

template <class... Kinds>
std::set<std::uint64_t> sources_of(const std::vector<Event>& history) {
  std::set<std::uint64_t> sources;
  for (const Event& event : history)
    if ((event.is<Kinds>() || ...) && event.source_event_id) sources.insert(*event.source_event_id);
  return sources;
}

}  // namespace

std::vector<std::uint64_t> outstanding_positional_subscriptions(const std::vector<Event>& history) {
  std::vector<std::uint64_t> order;
  std::map<std::string, std::deque<std::uint64_t>> pending_by_name;
  std::set<std::uint64_t> settled;
  for (const Event& event : history) {
    if (auto* subscribed = event.get_if<events::ExternalSubscribed>()) {
      order.push_back(event.event_id);
      pending_by_name[subscribed->name].push_back(event.event_id);
    } else if (auto* arrived = event.get_if<events::ExternalEvent>()) {
      auto& pending = pending_by_name[arrived->name];
      if (!pending.empty()) {
        settled.insert(pending.front());
        pending.pop_front();
      }
    } else if (event.is<events::ExternalSubscribedCancelled>() && event.source_event_id) {
      settled.insert(*event.source_event_id);
      for (auto& [name, pending] : pending_by_name) std::erase(pending, *event.source_event_id);
    }
  }
  std::erase_if(order, [&](std::uint64_t id) { return settled.contains(id); });
  return order;
}

std::vector<std::uint64_t> outstanding_persistent_subscriptions(const std::vector<Event>& history) {
  const auto cancelled = sources_of<events::QueueSubscriptionCancelled>(history);
  std::map<std::string, std::size_t> arrivals;
  for (const Event& event : history)
    if (auto* delivered = event.get_if<events::QueueEventDelivered>()) ++arrivals[delivered->name];
  std::vector<std::uint64_t> outstanding;
  for (const Event& event : history) {
    auto* subscribed = event.get_if<events::QueueSubscribed>();
    if (subscribed == nullptr || cancelled.contains(event.event_id)) continue;
    auto& remaining = arrivals[subscribed->name];
    if (remaining > 0) {
      --remaining;  // resolved by one of its name's arrivals
    } else {
      outstanding.push_back(event.event_id);
    }
  }
  return outstanding;
}

std::vector<CarriedEvent> unmatched_queue_messages(const std::vector<Event>& history) {
  const auto cancelled = sources_of<events::QueueSubscriptionCancelled>(history);
  std::map<std::string, std::size_t> active;
  for (const Event& event : history)
    if (auto* subscribed = event.get_if<events::QueueSubscribed>(); subscribed && !cancelled.contains(event.event_id))
      ++active[subscribed->name];
  std::vector<CarriedEvent> unmatched;
  for (const Event& event : history) {
    auto* delivered = event.get_if<events::QueueEventDelivered>();
    if (delivered == nullptr) continue;
    auto& consumers = active[delivered->name];
    if (consumers > 0) {
      --consumers;
    } else {
      unmatched.emplace_back(delivered->name, delivered->data);
    }
  }
  return unmatched;
}

std::optional<std::string> final_custom_status(const std::vector<Event>& history) {
  std::optional<std::string> status;
  for (const Event& event : history) {
    if (auto* start = event.get_if<events::OrchestrationStarted>()) status = start->initial_custom_status;
    if (auto* update = event.get_if<events::CustomStatusUpdated>()) status = update->status;
  }
  return status;
}

std::vector<std::uint64_t> in_flight_activities(const std::vector<Event>& history) {
  const auto settled =
      sources_of<events::ActivityCompleted, events::ActivityFailed, events::ActivityCancelRequested>(history);
  std::vector<std::uint64_t> ids;
  for (const Event& event : history)
    if (event.is<events::ActivityScheduled>() && !settled.contains(event.event_id)) ids.push_back(event.event_id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::vector<std::string> outstanding_children(const std::vector<Event>& history) {
  const auto settled = sources_of<events::SubOrchestrationCompleted, events::SubOrchestrationFailed,
                                  events::SubOrchestrationCancelRequested>(history);
  std::vector<std::string> children;
  for (const Event& event : history)
    if (auto* scheduled = event.get_if<events::SubOrchestrationScheduled>();
        scheduled && !settled.contains(event.event_id))
      children.push_back(scheduled->instance);
  return children;
}

}  // namespace duroxide::orchestration
