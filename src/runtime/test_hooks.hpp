#pragma once
// Test hook (docs/runtime.md): a process-wide delay the orchestration dispatcher applies after it has
// started renewing an item's lock and before the turn runs, optionally only for instance ids with
// a given prefix. Tests use it to prove lock renewal keeps long turns alive. Also a one-shot throw
// inside a turn or an activity's processing (the runtime must survive it). Private header: only
// tests include it; with no delay set it costs one relaxed atomic load per turn.

#include <chrono>
#include <optional>
#include <string>

namespace duroxide::runtime::test_hooks {

void set_orch_processing_delay(std::chrono::milliseconds delay, std::optional<std::string> instance_prefix = {});
std::optional<std::chrono::milliseconds> get_orch_processing_delay(const std::string& instance);
void clear_orch_processing_delay();

/// Where maybe_throw() is called: an orchestration turn (after its lock renewal started) or an
/// activity (after its lock renewal started, before it runs).
enum class ThrowSite { OrchestrationTurn, Activity };
/// Arms one throw at `site` for `instance`: a std::runtime_error, or an int when `standard` is false.
void throw_once_at(ThrowSite site, std::string instance, bool standard);
/// Throws if armed for (site, instance), disarming it. One relaxed atomic load when nothing is armed.
void maybe_throw(ThrowSite site, const std::string& instance);

}  // namespace duroxide::runtime::test_hooks
