// Counters a runtime keeps about its own work (spec/04 §8.3), read with Runtime::metrics_snapshot().
#pragma once

#include <cstdint>

namespace duroxide {

struct MetricsSnapshot {
  std::uint64_t orch_starts = 0;  ///< executions started (first turn of each execution)
  std::uint64_t orch_completions = 0;
  std::uint64_t orch_failures = 0;
  std::uint64_t orch_application_errors = 0;
  std::uint64_t orch_infrastructure_errors = 0;
  std::uint64_t orch_configuration_errors = 0;
  std::uint64_t orch_poison = 0;
  std::uint64_t orch_continue_as_new = 0;
  std::uint64_t activity_success = 0;
  std::uint64_t activity_app_errors = 0;
  std::uint64_t activity_infra_errors = 0;
  std::uint64_t activity_config_errors = 0;
  std::uint64_t activity_poison = 0;
  std::uint64_t activity_cancelled = 0;
  std::uint64_t orch_dispatcher_items_fetched = 0;
  std::uint64_t worker_dispatcher_items_fetched = 0;
  std::uint64_t suborchestration_calls = 0;
  std::uint64_t provider_errors = 0;
  bool operator==(const MetricsSnapshot&) const = default;
};

}  // namespace duroxide
