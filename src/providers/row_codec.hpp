#pragma once
// What every store writes into and reads back from its rows, the same way (docs/storage.md):
// events and work items encoded and size-checked before any lock or round trip, and history rows
// decoded with the check that a row holds the event its columns name.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include <duroxide/event.hpp>
#include <duroxide/provider_types.hpp>
#include <duroxide/work_item.hpp>

namespace duroxide::providers {

/// The events' JSON, in order; id 0 or an oversize event is a permanent error. No lock needed.
ProviderResult<std::vector<std::string>> encode_events(std::string_view operation, const std::vector<Event>& events,
                                                       std::size_t max_payload_bytes);
/// The work item's JSON; an oversize item is a permanent error. No lock needed.
ProviderResult<std::string> encode_work_item(std::string_view operation, const WorkItem& item,
                                             std::size_t max_payload_bytes);
/// The event a history row of `execution_id` holds, or why it cannot be used: text that does not
/// decode, or an event whose own event id or execution id disagrees with the row's.
std::expected<Event, std::string> decode_history_row(std::string_view text, std::uint64_t row_event_id,
                                                     std::uint64_t execution_id);

}  // namespace duroxide::providers
