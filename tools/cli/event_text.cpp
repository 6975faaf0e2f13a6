#include "event_text.hpp"

#include <optional>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "text.hpp"

namespace duroxide::cli {

namespace {

/// Builds "a=1 b=2".
class Pairs {
 public:
  Pairs& text(std::string_view field, std::string_view value) { return raw(field, quote(value)); }
  Pairs& optional_text(std::string_view field, const std::optional<std::string>& value) {
    return value ? text(field, *value) : *this;
  }
  Pairs& number(std::string_view field, std::uint64_t value) { return raw(field, std::to_string(value)); }
  Pairs& time(std::string_view field, std::uint64_t ms) { return raw(field, format_time_ms(ms)); }
  Pairs& error(const ErrorDetails& details) {
    return raw("error", quote(details.display_message())).raw("category", std::string(details.category()));
  }
  Pairs& raw(std::string_view field, std::string_view rendered) {
    if (!out_.empty()) out_ += ' ';
    out_.append(field).append("=").append(rendered);
    return *this;
  }
  std::string str() const { return out_; }

 private:
  std::string out_;
};

}  // namespace

std::string describe_event(const Event& event) {
  return std::visit(
      [](const auto& e) -> std::string {
        using T = std::decay_t<decltype(e)>;
        Pairs p;
        if constexpr (std::is_same_v<T, events::OrchestrationStarted>) {
          p.text("name", e.name).text("version", e.version).text("input", e.input);
          p.optional_text("parent", e.parent_instance);
          if (e.parent_id) p.number("parent_event", *e.parent_id);
          if (!e.carry_forward_events.empty()) p.number("carried_events", e.carry_forward_events.size());
          p.optional_text("initial_custom_status", e.initial_custom_status);
        } else if constexpr (std::is_same_v<T, events::OrchestrationCompleted>) {
          p.text("output", e.output);
        } else if constexpr (std::is_same_v<T, events::OrchestrationFailed> ||
                             std::is_same_v<T, events::ActivityFailed> ||
                             std::is_same_v<T, events::SubOrchestrationFailed>) {
          p.error(e.details);
        } else if constexpr (std::is_same_v<T, events::ActivityScheduled>) {
          p.text("name", e.name)
              .text("input", e.input)
              .optional_text("session", e.session_id)
              .optional_text("tag", e.tag);
        } else if constexpr (std::is_same_v<T, events::ActivityCompleted> ||
                             std::is_same_v<T, events::SubOrchestrationCompleted>) {
          p.text("result", e.result);
        } else if constexpr (std::is_same_v<T, events::TimerCreated> || std::is_same_v<T, events::TimerFired>) {
          p.time("fire_at", e.fire_at_ms);
        } else if constexpr (std::is_same_v<T, events::ExternalSubscribed> ||
                             std::is_same_v<T, events::QueueSubscribed>) {
          p.text("name", e.name);
        } else if constexpr (std::is_same_v<T, events::ExternalEvent> ||
                             std::is_same_v<T, events::QueueEventDelivered>) {
          p.text("name", e.name).text("data", e.data);
        } else if constexpr (std::is_same_v<T, events::OrchestrationChained> ||
                             std::is_same_v<T, events::SubOrchestrationScheduled>) {
          p.text("name", e.name).text("instance", e.instance).text("input", e.input);
        } else if constexpr (std::is_same_v<T, events::OrchestrationContinuedAsNew>) {
          p.text("input", e.input);
        } else if constexpr (std::is_same_v<T, events::ActivityCancelRequested> ||
                             std::is_same_v<T, events::SubOrchestrationCancelRequested> ||
                             std::is_same_v<T, events::OrchestrationCancelRequested> ||
                             std::is_same_v<T, events::OrchestrationTerminated> ||
                             std::is_same_v<T, events::OrchestrationSuspended> ||
                             std::is_same_v<T, events::OrchestrationResumed> ||
                             std::is_same_v<T, events::ExternalSubscribedCancelled> ||
                             std::is_same_v<T, events::QueueSubscriptionCancelled>) {
          p.text("reason", e.reason);
        } else if constexpr (std::is_same_v<T, events::CustomStatusUpdated>) {
          if (e.status) {
            p.text("status", *e.status);
          } else {
            p.raw("status", "(cleared)");
          }
        } else if constexpr (std::is_same_v<T, events::KeyValueSet>) {
          p.text("key", e.key).text("value", e.value);
        } else if constexpr (std::is_same_v<T, events::KeyValueCleared>) {
          p.text("key", e.key);
        } else if constexpr (std::is_same_v<T, events::OrchestrationRewound>) {
          p.text("reason", e.reason).raw("superseded", fmt::format("{}", fmt::join(e.superseded, ",")));
        } else {
          static_assert(std::is_same_v<T, events::KeyValuesCleared>, "an event kind is not described");
        }
        return p.str();
      },
      event.kind);
}

}  // namespace duroxide::cli
