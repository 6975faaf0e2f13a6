#pragma once
// The shared state of a running Runtime: what every dispatcher thread needs, kept alive by the
// threads themselves (shared_ptr) so an activity thread still running after shutdown is safe.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <duroxide/metrics.hpp>
#include <duroxide/runtime.hpp>

#include "runtime/execution_names.hpp"
#include "runtime/health_tracker.hpp"
#include "runtime/history_cache.hpp"
#include "runtime/live_thread_count.hpp"
#include "runtime/lock_renewer.hpp"
#include "runtime/metrics_endpoint.hpp"
#include "runtime/telemetry.hpp"

namespace duroxide::runtime {

/// MetricsSnapshot's counters as atomics.
struct Metrics {
#define DUROXIDE_METRIC(name) std::atomic<std::uint64_t> name{0};
  DUROXIDE_METRIC(orch_starts)
  DUROXIDE_METRIC(orch_completions)
  DUROXIDE_METRIC(orch_failures)
  DUROXIDE_METRIC(orch_application_errors)
  DUROXIDE_METRIC(orch_infrastructure_errors)
  DUROXIDE_METRIC(orch_configuration_errors)
  DUROXIDE_METRIC(orch_poison)
  DUROXIDE_METRIC(orch_continue_as_new)
  DUROXIDE_METRIC(activity_success)
  DUROXIDE_METRIC(activity_app_errors)
  DUROXIDE_METRIC(activity_infra_errors)
  DUROXIDE_METRIC(activity_config_errors)
  DUROXIDE_METRIC(activity_poison)
  DUROXIDE_METRIC(activity_cancelled)
  DUROXIDE_METRIC(orch_dispatcher_items_fetched)
  DUROXIDE_METRIC(worker_dispatcher_items_fetched)
  DUROXIDE_METRIC(suborchestration_calls)
  DUROXIDE_METRIC(provider_errors)
  DUROXIDE_METRIC(orch_uncommittable_turns)
  DUROXIDE_METRIC(orch_terminations)
  DUROXIDE_METRIC(orch_rewinds)
#undef DUROXIDE_METRIC
  MetricsSnapshot snapshot() const;
};

/// Distinct sessions with in-flight activities across this runtime's worker slots (docs/runtime-features.md).
class SessionTracker {
 public:
  std::size_t distinct() const;
  /// Counts one more activity of `session`; returns the distinct count afterwards.
  std::size_t acquire(const std::string& session);
  void release(const std::string& session);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::size_t> in_flight_;
};

}  // namespace duroxide::runtime

namespace duroxide::runtime {

/// One runtime thread as shutdown sees it. A worker slot's thread that is left running an activity
/// past its cancellation grace period or shutdown's deadline is retired: it stops counting as a
/// runtime thread (shutdown detaches it instead of joining it) and counts as an activity thread
/// until the activity returns (docs/runtime.md, "Worker slots run activities inline").
struct RuntimeThread {
  std::string name;
  std::size_t health_id = 0;
  bool retired = false;  ///< guarded by State::threads_mutex
};

}  // namespace duroxide::runtime

namespace duroxide {

struct Runtime::State {
  std::shared_ptr<Provider> store;
  ActivityRegistry activities;
  OrchestrationRegistry orchestrations;
  RuntimeOptions options;
  std::string runtime_id;
  DispatcherCapabilityFilter filter;
  std::vector<std::string> session_owners;

  runtime::Metrics metrics;
  runtime::HealthTracker health;  ///< before renewer and telemetry, which report to it
  runtime::SessionTracker sessions;
  runtime::LockRenewer renewer;
  runtime::ExecutionNames execution_names;
  std::unique_ptr<runtime::HistoryCache> history_cache;  ///< set at start from options.history_cache_max_events
  std::unique_ptr<runtime::Telemetry> telemetry;         ///< set at start from options.observability.metrics_sink

  /// Worker slot threads retired while their activity overstayed a cancellation grace period or
  /// shutdown's deadline, each counted until its activity returns (docs/runtime.md).
  std::shared_ptr<runtime::LiveThreadCount> activity_threads = std::make_shared<runtime::LiveThreadCount>();

  std::stop_source stop;     ///< shutdown requested
  std::stop_source abandon;  ///< shutdown's deadline passed: stop waiting for activities, let their locks expire
  /// Sleeps up to `duration`; returns early (false) when shutdown is requested.
  bool sleep_for(std::chrono::milliseconds duration);

  // Thread bookkeeping for shutdown's bounded join.
  std::mutex threads_mutex;
  std::condition_variable threads_cv;
  std::size_t running_threads = 0;  ///< threads not yet returned, not counting retired ones
  struct SpawnedThread {
    std::thread thread;
    std::shared_ptr<runtime::RuntimeThread> record;
  };
  std::vector<SpawnedThread> threads;
  bool shut_down = false;

  /// Serves /metrics and /healthz when options.metrics_listen is set. Last, so it is destroyed
  /// first: its handlers read `health` and the registry it renders.
  std::unique_ptr<runtime::MetricsEndpoint> metrics_endpoint;

 private:
  std::mutex sleep_mutex_;
  std::condition_variable_any sleep_cv_;
};

}  // namespace duroxide

namespace duroxide::runtime {

/// Thread bodies (orchestration_dispatcher.cpp, worker_dispatcher.cpp).
void run_orchestration_slot(const std::shared_ptr<Runtime::State>& state, std::size_t slot);
/// Returns when the runtime stops, or early when `self` was retired (its activity overstayed and
/// another thread took the slot over).
void run_worker_slot(const std::shared_ptr<Runtime::State>& state, std::size_t slot, RuntimeThread& self);

/// Runs `body` on a new runtime thread that shutdown waits for (runtime.cpp). Refused (false) once
/// shutdown has begun.
bool spawn_runtime_thread(const std::shared_ptr<Runtime::State>& state, std::string name,
                          std::function<void(RuntimeThread&)> body);
/// Retires `thread` (see RuntimeThread): shutdown no longer waits for it. Idempotent.
void retire_runtime_thread(Runtime::State& state, RuntimeThread& thread);

/// The built-in system activities (docs/core.md), added to a copy of `user` (syscall_activities.cpp).
ActivityRegistry with_system_activities(const ActivityRegistry& user, std::weak_ptr<Provider> store);

}  // namespace duroxide::runtime
