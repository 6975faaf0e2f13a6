// The shared row codec (row_codec.hpp).
#include "providers/row_codec.hpp"

#include <fmt/format.h>

#include <duroxide/wire.hpp>

#include "providers/input_validation.hpp"

namespace duroxide::providers {

ProviderResult<std::vector<std::string>> encode_events(std::string_view operation, const std::vector<Event>& events,
                                                       std::size_t max_payload_bytes) {
  std::vector<std::string> encoded;
  encoded.reserve(events.size());
  for (const auto& event : events) {
    if (auto valid = validate_event(operation, event); !valid) return std::unexpected(std::move(valid.error()));
    encoded.push_back(serialize_event(event));
    if (auto fits = validate_payload_size(operation, fmt::format("event {}", event.event_id), encoded.back().size(),
                                          max_payload_bytes);
        !fits) {
      return std::unexpected(std::move(fits.error()));
    }
  }
  return encoded;
}

ProviderResult<std::string> encode_work_item(std::string_view operation, const WorkItem& item,
                                             std::size_t max_payload_bytes) {
  std::string json = serialize_work_item(item);
  if (auto fits = validate_payload_size(operation, "work item", json.size(), max_payload_bytes); !fits) {
    return std::unexpected(std::move(fits.error()));
  }
  return json;
}

std::expected<Event, std::string> decode_history_row(std::string_view text, std::uint64_t row_event_id,
                                                     std::uint64_t execution_id) {
  auto event = parse_event(std::string(text));
  if (!event) return std::unexpected(std::move(event.error()));
  // A row whose event names another id or execution would make every later append collide (or
  // silently shadow a row): as undecodable as bad JSON.
  if (event->event_id != row_event_id || event->execution_id != execution_id) {
    return std::unexpected(fmt::format("the row holds an event with event_id {} and execution_id {}", event->event_id,
                                       event->execution_id));
  }
  return event;
}

}  // namespace duroxide::providers
