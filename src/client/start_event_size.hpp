#pragma once
// The size check of a start at the client (docs/failure-modes-runtime.md): an input can fit the
// StartOrchestration work item and still make the OrchestrationStarted event the runtime writes
// from it larger than the store's limit; such a start could never run. Refused before it is
// enqueued, with an error that gives the sizes.

#include <optional>
#include <string>

#include <duroxide/client.hpp>

namespace duroxide::client_detail {

/// InvalidInput when the start event of (instance, name, version, input) would exceed
/// kDefaultMaxPayloadBytes.
ClientResult<void> check_start_event_size(const std::string& instance, const std::string& name,
                                          const std::optional<std::string>& version, const std::string& input);

}  // namespace duroxide::client_detail
