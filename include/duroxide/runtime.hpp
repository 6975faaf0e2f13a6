// Runtime: runs orchestrations and activities against a store (docs/runtime.md). Orchestration slots fetch
// locked batches, replay the code and commit each turn in one ack; worker slots run activities on
// their own threads with lock renewal and cooperative cancellation.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <duroxide/metrics.hpp>
#include <duroxide/provider.hpp>
#include <duroxide/registry.hpp>
#include <duroxide/runtime_health.hpp>
#include <duroxide/runtime_options.hpp>

namespace duroxide {

/// What the last OrchestrationStarted of an instance says.
struct OrchestrationDescriptor {
  std::string name;
  std::string version;
  std::optional<std::string> parent_instance;
  std::optional<std::uint64_t> parent_id;
  bool operator==(const OrchestrationDescriptor&) const = default;
};

class Runtime {
 public:
  /// Starts the dispatchers. Invalid options (RuntimeOptions::validate), or a non-loopback
  /// metrics_listen without a token, throw std::invalid_argument before anything runs; a
  /// metrics_listen address that cannot be bound (in use, not local) throws std::runtime_error.
  /// The built-in system activities are added to `activities`.
  static std::shared_ptr<Runtime> start(std::shared_ptr<Provider> store, ActivityRegistry activities,
                                        OrchestrationRegistry orchestrations, RuntimeOptions options = {});

  /// Stops fetching, signals running activities to stop, and waits up to `timeout` for every
  /// thread; returns as soon as all have exited. Work still running at the deadline is abandoned
  /// (its locks expire and another runtime picks it up). Idempotent; also run by the destructor.
  /// milliseconds::max() waits as long as needed.
  void shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(1));

  /// Shuts down (as shutdown(timeout)) and then waits, until the same deadline, for every
  /// activity thread this runtime started, including activities that outlived their cancellation
  /// grace period or shutdown's deadline and still run user code. True when none is left. Call it
  /// before `main` returns, or before destroying what activities use, so that no activity code
  /// runs afterwards; with milliseconds::max() it waits as long as the slowest activity takes.
  bool wait_for_activity_threads(std::chrono::milliseconds timeout = std::chrono::milliseconds::max());

  MetricsSnapshot metrics_snapshot() const;
  /// Thread liveness and the errors caught on the runtime's threads (runtime_health.hpp).
  RuntimeHealth health() const;
  /// From the instance's latest history; nothing when it has no OrchestrationStarted.
  std::optional<OrchestrationDescriptor> get_orchestration_descriptor(const std::string& instance) const;
  /// "HOST:PORT" the /metrics and /healthz endpoint listens on (the port chosen when
  /// metrics_listen gave 0); none when RuntimeOptions::metrics_listen is unset. Nothing listens
  /// there after shutdown.
  std::optional<std::string> metrics_endpoint() const;
  /// Four hex digits identifying this runtime in worker ids.
  const std::string& runtime_id() const;

  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  struct State;  ///< private (src/runtime/runtime_state.hpp)

 private:
  explicit Runtime(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace duroxide
