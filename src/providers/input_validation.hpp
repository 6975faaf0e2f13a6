#pragma once
// Checks every store applies to what it is asked to write (issue #4 item 5): empty or over-long
// instance ids and names, oversize payloads, event id 0. Bad input is a permanent ProviderError
// that names the operation and the problem, raised before anything is written.

#include <cstddef>
#include <string_view>

#include <duroxide/event.hpp>
#include <duroxide/payload_limits.hpp>
#include <duroxide/provider_types.hpp>
#include <duroxide/work_item.hpp>

namespace duroxide::providers {

/// Longest instance id, orchestration / activity / event name accepted (bytes).
inline constexpr std::size_t kMaxIdentifierBytes = 1024;
/// Default limit for one serialized work item or event (bytes).
inline constexpr std::size_t kDefaultMaxPayloadBytes = duroxide::kDefaultMaxPayloadBytes;

ProviderResult<void> validate_instance_id(std::string_view operation, std::string_view instance);
/// Instance id and names of the item.
ProviderResult<void> validate_work_item(std::string_view operation, const WorkItem& item);
/// A serialized payload (work item or event) against the store's limit.
ProviderResult<void> validate_payload_size(std::string_view operation, std::string_view what, std::size_t bytes,
                                           std::size_t max_bytes);
/// Event id 0 is a caller bug (docs/storage.md, "What the store guarantees").
ProviderResult<void> validate_event(std::string_view operation, const Event& event);
/// Everything an ack would write besides its events: worker items are ActivityExecute only, ids and
/// names are valid, the output fits. Checked before anything is written, so bad input changes nothing.
ProviderResult<void> validate_ack(std::string_view operation, const OrchestrationAck& ack, std::size_t max_payload);

}  // namespace duroxide::providers
