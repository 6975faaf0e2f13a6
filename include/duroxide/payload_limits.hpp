// The size limit of one stored payload (a serialized work item or history event): what the SQLite
// store accepts by default (SqliteOptions::max_payload_bytes), and what the client checks a start's
// OrchestrationStarted event against before it enqueues the start (docs/client.md).
#pragma once

#include <cstddef>

namespace duroxide {

/// Default limit for one serialized work item or event (bytes): 16 MiB.
inline constexpr std::size_t kDefaultMaxPayloadBytes = 16 * 1024 * 1024;

}  // namespace duroxide
