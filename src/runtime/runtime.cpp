// Runtime lifecycle (docs/runtime.md, "Runtime"): validation, set-up, the dispatcher and maintenance threads, and
// a shutdown that returns as soon as every thread has stopped.
#include <duroxide/runtime.hpp>

#include <cstdlib>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

#include "logging/loggers.hpp"
#include "runtime/fan_out_metrics_sink.hpp"
#include "runtime/guarded_metrics_sink.hpp"
#include "runtime/metrics_token.hpp"
#include "runtime/runtime_state.hpp"

namespace duroxide {

namespace runtime {

MetricsSnapshot Metrics::snapshot() const {
  MetricsSnapshot s;
  s.orch_starts = orch_starts;
  s.orch_completions = orch_completions;
  s.orch_failures = orch_failures;
  s.orch_application_errors = orch_application_errors;
  s.orch_infrastructure_errors = orch_infrastructure_errors;
  s.orch_configuration_errors = orch_configuration_errors;
  s.orch_poison = orch_poison;
  s.orch_continue_as_new = orch_continue_as_new;
  s.activity_success = activity_success;
  s.activity_app_errors = activity_app_errors;
  s.activity_infra_errors = activity_infra_errors;
  s.activity_config_errors = activity_config_errors;
  s.activity_poison = activity_poison;
  s.activity_cancelled = activity_cancelled;
  s.orch_dispatcher_items_fetched = orch_dispatcher_items_fetched;
  s.worker_dispatcher_items_fetched = worker_dispatcher_items_fetched;
  s.suborchestration_calls = suborchestration_calls;
  s.provider_errors = provider_errors;
  s.orch_uncommittable_turns = orch_uncommittable_turns;
  s.orch_terminations = orch_terminations;
  s.orch_rewinds = orch_rewinds;
  return s;
}

std::size_t SessionTracker::distinct() const {
  std::lock_guard lock(mutex_);
  return in_flight_.size();
}

std::size_t SessionTracker::acquire(const std::string& session) {
  std::lock_guard lock(mutex_);
  ++in_flight_[session];
  return in_flight_.size();
}

void SessionTracker::release(const std::string& session) {
  std::lock_guard lock(mutex_);
  auto it = in_flight_.find(session);
  if (it != in_flight_.end() && --it->second == 0) in_flight_.erase(it);
}

namespace {

/// 64 random bits in hex: the id names this process's session owners and lock holders, and two
/// runtimes sharing a store (often started at the same moment) must not pick the same one.
std::string make_runtime_id() {
  std::random_device device;
  const std::uint64_t id = (static_cast<std::uint64_t>(device()) << 32) ^ device();
  return fmt::format("{:016x}", id);
}

void add_session_chores(const std::shared_ptr<Runtime::State>& state) {
  const auto& options = state->options;
  if (options.worker_concurrency == 0 || options.worker_tag_filter.kind() == TagFilter::Kind::None) return;
  std::weak_ptr<Runtime::State> weak = state;
  state->renewer.add(lock_renewal_interval(options.session_lock_timeout, options.session_lock_renewal_buffer), [weak] {
    if (auto s = weak.lock()) {
      auto renewed = s->store->renew_session_lock(s->session_owners, s->options.session_lock_timeout,
                                                  s->options.session_idle_timeout);
      if (!renewed) logging::runtime().warn("session heartbeat failed: {}", renewed.error().to_string());
    }
    return true;
  });
  state->renewer.add(options.session_cleanup_interval, [weak] {
    if (auto s = weak.lock()) {
      auto cleaned = s->store->cleanup_orphaned_sessions(s->options.session_idle_timeout);
      if (!cleaned) logging::runtime().warn("session cleanup failed: {}", cleaned.error().to_string());
    }
    return true;
  });
}

/// Reads the gauges' sources from the store's management view: at start and every
/// gauge_poll_interval (docs/runtime-features.md, "Metrics"). Errors are ignored; the next refresh tries again.
void add_gauge_refresher(const std::shared_ptr<Runtime::State>& state) {
  if (!state->telemetry->enabled() || state->store->as_management_capability() == nullptr) return;
  std::weak_ptr<Runtime::State> weak = state;
  auto refresh = [weak] {
    auto s = weak.lock();
    if (!s) return true;
    auto* admin = s->store->as_management_capability();
    auto system = admin->get_system_metrics();
    auto depths = admin->get_queue_depths();
    if (system && depths) {
      s->telemetry->set_gauges(system->running_instances, depths->orchestrator_queue, depths->worker_queue);
    }
    return true;
  };
  refresh();
  state->renewer.add(state->options.observability.gauge_poll_interval, refresh);
}

/// The sink the runtime reports its labelled metrics to (none: only the snapshot counts), and in
/// `served` the registry the /metrics endpoint renders (docs/runtime-features.md, "The /metrics
/// endpoint"): the application's sink when it is a MetricsRegistry, else one of the runtime's own
/// that receives every metric besides the application's sink. Each sink is guarded on its own.
std::shared_ptr<MetricsSink> make_metrics_sink(Runtime::State& state, std::shared_ptr<MetricsRegistry>& served) {
  const auto& application = state.options.observability.metrics_sink;
  std::vector<std::shared_ptr<MetricsSink>> sinks;
  if (application) sinks.push_back(std::make_shared<GuardedMetricsSink>(application, state.health));
  if (state.options.metrics_listen) {
    served = std::dynamic_pointer_cast<MetricsRegistry>(application);
    if (!served) {
      served = std::make_shared<MetricsRegistry>();
      sinks.push_back(std::make_shared<GuardedMetricsSink>(served, state.health));
    }
  }
  if (sinks.empty()) return nullptr;
  if (sinks.size() == 1) return sinks.front();
  return std::make_shared<FanOutMetricsSink>(std::move(sinks));
}

/// The endpoint of options.metrics_listen, bound but not serving yet; none when it is unset.
/// Throws std::invalid_argument for a bad token or a non-loopback address without one, and
/// std::runtime_error when the address cannot be bound.
std::unique_ptr<MetricsEndpoint> bind_metrics_endpoint(Runtime::State& state,
                                                       const std::shared_ptr<MetricsRegistry>& served) {
  const auto& options = state.options;
  if (!options.metrics_listen) return nullptr;
  // RuntimeOptions::validate() has refused an address that does not parse.
  const auto address = parse_listen_address(*options.metrics_listen).value();
  auto token = resolve_metrics_token(options.metrics_token, std::getenv(kMetricsTokenEnv));
  if (!token) throw std::invalid_argument("Runtime::start: " + token.error());
  if (!token->has_value() && !address.is_loopback()) {
    throw std::invalid_argument(fmt::format(
        "Runtime::start: metrics_listen {} is not a loopback address, and /metrics and /healthz reachable from "
        "other machines need a token: set RuntimeOptions::metrics_token or {}, or listen on 127.0.0.1",
        address.to_string(), kMetricsTokenEnv));
  }
  EndpointContent content{
      .prometheus_text = [served] { return served->render_prometheus(); },
      .health = [&health = state.health] { return health.snapshot(); },
  };
  return std::make_unique<MetricsEndpoint>(address, std::move(*token), std::move(content));
}

}  // namespace

/// The thread's last lines: unless it was retired (no longer counted), it stops counting now.
void thread_returned(Runtime::State& state, RuntimeThread& thread) {
  std::lock_guard lock(state.threads_mutex);
  if (thread.retired) return;
  state.health.thread_stopped(thread.health_id);
  --state.running_threads;
  state.threads_cv.notify_all();
}

/// Runs `body` on a thread that the state counts, so shutdown can wait for it with a deadline.
/// The loops catch per item; an exception that still escapes one ends only its thread, which
/// health() then reports (never std::terminate).
bool spawn_runtime_thread(const std::shared_ptr<Runtime::State>& state, std::string name,
                          std::function<void(RuntimeThread&)> body) {
  auto record = std::make_shared<RuntimeThread>();
  record->name = std::move(name);
  std::lock_guard lock(state->threads_mutex);
  if (state->shut_down) return false;
  ++state->running_threads;
  record->health_id = state->health.thread_started(record->name);
  std::thread thread([state, record, body = std::move(body)] {
    if (!run_guarded(state->health, record->name, [&] { body(*record); })) {
      logging::runtime().error("runtime thread {} stopped by an exception", record->name);
    }
    thread_returned(*state, *record);
  });
  state->threads.push_back({std::move(thread), std::move(record)});
  return true;
}

void retire_runtime_thread(Runtime::State& state, RuntimeThread& thread) {
  std::lock_guard lock(state.threads_mutex);
  if (thread.retired) return;
  thread.retired = true;
  state.health.thread_stopped(thread.health_id);
  --state.running_threads;
  state.threads_cv.notify_all();
}

}  // namespace runtime

bool Runtime::State::sleep_for(std::chrono::milliseconds duration) {
  std::unique_lock lock(sleep_mutex_);
  return !sleep_cv_.wait_for(lock, stop.get_token(), duration, [] { return false; });
}

Runtime::Runtime(std::shared_ptr<State> state) : state_(std::move(state)) {}

std::shared_ptr<Runtime> Runtime::start(std::shared_ptr<Provider> store, ActivityRegistry activities,
                                        OrchestrationRegistry orchestrations, RuntimeOptions options) {
  if (!store) throw std::invalid_argument("Runtime::start: store is null");
  if (auto valid = options.validate(); !valid) throw std::invalid_argument("Runtime::start: " + valid.error());
  (void)configure_logging(options.observability);

  auto state = std::make_shared<State>();
  state->store = store;
  state->activities = runtime::with_system_activities(activities, store);
  state->orchestrations = std::move(orchestrations);
  state->options = std::move(options);
  state->runtime_id = runtime::make_runtime_id();
  state->filter.ranges = {state->options.replay_versions()};
  state->history_cache = std::make_unique<runtime::HistoryCache>(state->options.history_cache_max_events,
                                                                 state->options.instance_cache_max_sessions);
  const auto& opts = state->options;
  logging::runtime().info("duroxide runtime starting version={} provider={} provider_version={}",
                          DUROXIDE_VERSION_STRING, store->name(), store->version());
  logging::runtime().info("capability filter configured supported_range=>={}, <={}",
                          state->filter.ranges.front().min.to_string(), state->filter.ranges.front().max.to_string());

  const bool run_workers = opts.worker_tag_filter.kind() != TagFilter::Kind::None;
  for (std::size_t slot = 0; run_workers && slot < opts.worker_concurrency; ++slot) {
    const auto owner = opts.worker_node_id.value_or(fmt::format("work-{}-{}", slot, state->runtime_id));
    if (std::find(state->session_owners.begin(), state->session_owners.end(), owner) == state->session_owners.end()) {
      state->session_owners.push_back(owner);
    }
  }
  std::shared_ptr<MetricsRegistry> served_metrics;
  state->telemetry = std::make_unique<runtime::Telemetry>(runtime::make_metrics_sink(*state, served_metrics));
  // Bound before any thread starts, so that a refused or busy address leaves nothing running.
  state->metrics_endpoint = runtime::bind_metrics_endpoint(*state, served_metrics);
  state->renewer.report_errors_to(state->health);
  runtime::add_session_chores(state);
  runtime::add_gauge_refresher(state);

  std::weak_ptr<State> weak = state;
  runtime::spawn_runtime_thread(state, "lock renewer",
                                [weak, token = state->stop.get_token()](runtime::RuntimeThread&) {
                                  if (auto s = weak.lock()) s->renewer.run(token);
                                });
  for (std::size_t slot = 0; slot < opts.orchestration_concurrency; ++slot) {
    runtime::spawn_runtime_thread(state, fmt::format("orchestration slot {}", slot),
                                  [weak, slot](runtime::RuntimeThread&) {
                                    if (auto s = weak.lock()) runtime::run_orchestration_slot(s, slot);
                                  });
  }
  for (std::size_t slot = 0; run_workers && slot < opts.worker_concurrency; ++slot) {
    runtime::spawn_runtime_thread(state, fmt::format("worker slot {}", slot),
                                  [weak, slot](runtime::RuntimeThread& self) {
                                    if (auto s = weak.lock()) runtime::run_worker_slot(s, slot, self);
                                  });
  }
  if (state->metrics_endpoint) state->metrics_endpoint->serve();
  return std::shared_ptr<Runtime>(new Runtime(std::move(state)));
}

namespace runtime {
namespace {

/// `now + timeout`, saturated: milliseconds::max() means no deadline instead of an overflow.
std::chrono::steady_clock::time_point deadline_after(std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto now = Clock::now();
  if (timeout <= std::chrono::milliseconds::zero()) return now;
  if (timeout >= std::chrono::duration_cast<std::chrono::milliseconds>(Clock::time_point::max() - now)) {
    return Clock::time_point::max();
  }
  return now + timeout;
}

/// Waits until every runtime thread has exited or `deadline` passes; true when all have.
bool wait_for_threads(Runtime::State& state, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(state.threads_mutex);
  while (state.running_threads > 0 && std::chrono::steady_clock::now() < deadline) {
    // Repeated: a slot may begin a fetch just after an earlier wake-up.
    state.store->wake_waiters();
    state.threads_cv.wait_for(lock, std::chrono::milliseconds(20), [&] { return state.running_threads == 0; });
  }
  return state.running_threads == 0;
}

}  // namespace
}  // namespace runtime

void Runtime::shutdown(std::chrono::milliseconds timeout) {
  auto& state = *state_;
  {
    std::lock_guard lock(state.threads_mutex);
    if (state.shut_down) return;
    state.shut_down = true;
  }
  const auto deadline = runtime::deadline_after(timeout);
  // First, so that no scrape sees the runtime half stopped.
  if (state.metrics_endpoint) state.metrics_endpoint->stop();
  state.stop.request_stop();
  state.store->wake_waiters();
  if (!runtime::wait_for_threads(state, deadline)) {
    // Past the deadline the slots stop waiting for their activities (which keep running on their
    // own threads, results dropped, locks left to expire). Every runtime thread then returns
    // promptly and is joined: none may outlive shutdown and touch a destroyed store or static.
    logging::runtime().warn("runtime shutdown deadline passed; abandoning the work still in progress");
    state.abandon.request_stop();
    runtime::wait_for_threads(state, std::chrono::steady_clock::time_point::max());
  }
  {
    // No thread is spawned once shut_down is set, so the list is complete. A retired thread still
    // runs an activity that overstayed: detached, it ends on its own (counted in activity_threads).
    std::unique_lock lock(state.threads_mutex);
    auto threads = std::move(state.threads);
    state.threads.clear();
    std::vector<bool> retired;
    for (const auto& spawned : threads) retired.push_back(spawned.record->retired);
    lock.unlock();
    for (std::size_t i = 0; i < threads.size(); ++i) {
      if (retired[i]) {
        threads[i].thread.detach();
      } else {
        threads[i].thread.join();
      }
    }
  }
  // Once more with every slot gone: an activity's ack may have claimed its slot's next activity
  // after the last wake-up (docs/storage.md, "Hand-off to idle workers"); the store gives it back.
  state.store->wake_waiters();
  // Activities that overstayed a cancellation grace period may still run: give them what is left.
  if (!state.activity_threads->wait_until_zero(deadline)) {
    logging::runtime().warn(
        "activities still running after shutdown (they ignore their stop token); "
        "Runtime::wait_for_activity_threads waits for them");
  }
}

bool Runtime::wait_for_activity_threads(std::chrono::milliseconds timeout) {
  const auto deadline = runtime::deadline_after(timeout);
  shutdown(timeout);
  return state_->activity_threads->wait_until_zero(deadline);
}

Runtime::~Runtime() { shutdown(); }

MetricsSnapshot Runtime::metrics_snapshot() const { return state_->metrics.snapshot(); }

RuntimeHealth Runtime::health() const { return state_->health.snapshot(); }

std::optional<std::string> Runtime::metrics_endpoint() const {
  if (!state_->metrics_endpoint) return std::nullopt;
  return state_->metrics_endpoint->address();
}

const std::string& Runtime::runtime_id() const { return state_->runtime_id; }

std::optional<OrchestrationDescriptor> Runtime::get_orchestration_descriptor(const std::string& instance) const {
  auto history = state_->store->read(instance);
  if (!history) return std::nullopt;
  for (auto it = history->rbegin(); it != history->rend(); ++it) {
    if (const auto* started = it->get_if<events::OrchestrationStarted>()) {
      return OrchestrationDescriptor{started->name, started->version, started->parent_instance, started->parent_id};
    }
  }
  return std::nullopt;
}

}  // namespace duroxide
