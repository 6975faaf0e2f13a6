// Post-turn limits validation (docs/orchestration-engine.md), a pure check the runtime runs on each turn's delta.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <duroxide/detail/context_state.hpp>
#include <duroxide/event.hpp>

namespace duroxide::orchestration {

/// The first limit the turn violates, as its failure message (docs/orchestration-engine.md), or nothing.
/// Checked in order: custom status size, activity tag size, KV value size, KV key count.
/// The key count covers every key the instance holds (fix Q9, docs/orchestration-engine.md): the snapshot, then
/// the KV events of the execution's earlier turns (`baseline`), then those of `delta`.
std::optional<std::string> check_turn_limits(const std::vector<Event>& baseline, const std::vector<Event>& delta,
                                             const std::map<std::string, KvEntry>& kv_snapshot);

}  // namespace duroxide::orchestration
