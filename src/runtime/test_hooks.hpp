#pragma once
// Test hook (spec/04 §9): a process-wide delay the orchestration dispatcher applies after it has
// started renewing an item's lock and before the turn runs, optionally only for instance ids with
// a given prefix. Tests use it to prove lock renewal keeps long turns alive. Private header: only
// tests include it; with no delay set it costs one relaxed atomic load per turn.

#include <chrono>
#include <optional>
#include <string>

namespace duroxide::runtime::test_hooks {

void set_orch_processing_delay(std::chrono::milliseconds delay, std::optional<std::string> instance_prefix = {});
std::optional<std::chrono::milliseconds> get_orch_processing_delay(const std::string& instance);
void clear_orch_processing_delay();

}  // namespace duroxide::runtime::test_hooks
