// The orchestration dispatcher's slot loop (spec/04 §3): fetch a locked batch, plan the turn,
// commit it with one ack (retrying transient failures), and record what happened.
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include <duroxide/constants.hpp>

#include "runtime/dispatcher_backoff.hpp"
#include "runtime/observability.hpp"
#include "runtime/runtime_state.hpp"
#include "runtime/test_hooks.hpp"
#include "runtime/turn_planner.hpp"

namespace duroxide::runtime {

namespace {

using namespace std::chrono_literals;
using State = Runtime::State;

std::uint64_t wall_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

/// The parent's execution waiting for this child, read from the store (spec/04 §3.4.7, Q10).
std::optional<std::uint64_t> parent_execution(Provider& store, const std::string& parent, std::uint64_t parent_id,
                                              const std::string& child) {
  auto history = store.read(parent);
  if (!history || history->empty()) return std::nullopt;
  for (const auto& event : *history) {
    const auto* scheduled = event.get_if<events::SubOrchestrationScheduled>();
    if (scheduled != nullptr && event.event_id == parent_id &&
        build_child_instance_id(parent, scheduled->instance) == child) {
      return event.execution_id;
    }
  }
  runtime_log().warn("child {} finished but parent {} no longer waits for it (event {}); notification dropped", child,
                     parent, parent_id);
  return std::nullopt;
}

void log_trace(const TraceRecord& record) {
  const auto level = spdlog::level::from_str(record.level);
  orchestration_log().log(level == spdlog::level::off ? spdlog::level::trace : level,
                          "{} instance_id={} execution_id={} orchestration_name={} orchestration_version={}",
                          record.message, record.instance_id, record.execution_id, record.orchestration_name,
                          record.orchestration_version);
}

/// Ack with in-place retries for transient errors (10, 20, 40, 80, 160 ms).
ProviderResult<void> ack_with_retries(State& state, const std::string& token, const OrchestrationAck& ack) {
  auto result = state.store->ack_orchestration_item(token, ack);
  for (int retry = 0; !result && result.error().is_retryable() && retry < 5; ++retry) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10 << retry));
    result = state.store->ack_orchestration_item(token, ack);
  }
  return result;
}

/// The outcome counters of a turn, added (`sign` +1) before its ack so that a client woken by
/// the commit already sees them, and taken back (-1) when the ack fails.
void count_outcome(State& state, const TurnPlan& plan, int sign) {
  auto& m = state.metrics;
  const auto add = [sign](std::atomic<std::uint64_t>& counter) {
    if (sign > 0) {
      counter.fetch_add(1);
    } else {
      counter.fetch_sub(1);
    }
  };
  if (plan.started_execution) add(m.orch_starts);
  for (const auto& e : plan.ack.history_delta) {
    if (e.is<events::SubOrchestrationScheduled>()) add(m.suborchestration_calls);
  }
  switch (plan.outcome) {
    case TurnOutcome::Completed:
      add(m.orch_completions);
      break;
    case TurnOutcome::ContinuedAsNew:
      add(m.orch_continue_as_new);
      break;
    case TurnOutcome::Failed: {
      add(m.orch_failures);
      const auto category = plan.failure ? plan.failure->category() : std::string_view("unknown");
      if (category == "application") {
        add(m.orch_application_errors);
      } else if (category == "configuration") {
        add(m.orch_configuration_errors);
      } else {
        add(m.orch_infrastructure_errors);
      }
      break;
    }
    case TurnOutcome::Poisoned:
      add(m.orch_poison);
      add(m.orch_failures);
      break;
    case TurnOutcome::Continued:
    case TurnOutcome::Dropped:
    case TurnOutcome::Abandoned:
      break;
  }
}

/// How a turn moves the active-orchestrations gauge: +1 when it starts a new instance (not a
/// continue-as-new), -1 when it ends the instance.
int started_instances(const TurnPlan& plan) {
  return plan.started_execution && !plan.started_by_continue_as_new ? 1 : 0;
}

int active_orchestrations_delta(const TurnPlan& plan) {
  int delta = started_instances(plan);
  switch (plan.outcome) {
    case TurnOutcome::Completed:
    case TurnOutcome::Failed:
    case TurnOutcome::Poisoned:
      --delta;
      break;
    default:
      break;
  }
  return delta;
}

/// The log line of a committed turn's outcome.
void log_outcome(const TurnPlan& plan, const std::string& instance, const std::string& worker_id) {
  switch (plan.outcome) {
    case TurnOutcome::Completed:
      runtime_log().debug("Orchestration completed instance_id={} orchestration_name={} version={} worker_id={}",
                          instance, plan.orchestration_name, plan.orchestration_version, worker_id);
      break;
    case TurnOutcome::ContinuedAsNew:
      runtime_log().debug("Orchestration continued as new instance_id={} orchestration_name={}", instance,
                          plan.orchestration_name);
      break;
    case TurnOutcome::Failed: {
      const auto category = plan.failure ? plan.failure->category() : std::string_view("unknown");
      if (category == "application") {
        runtime_log().warn("Orchestration failed instance_id={} orchestration_name={} error_type=app_error error={}",
                           instance, plan.orchestration_name, plan.failure->display_message());
      } else {
        runtime_log().error("Orchestration failed instance_id={} orchestration_name={} error_type={} error={}",
                            instance, plan.orchestration_name, category,
                            plan.failure ? plan.failure->display_message() : "");
      }
      break;
    }
    case TurnOutcome::Poisoned:
      runtime_log().warn("Orchestration poisoned instance_id={} error={}", instance,
                         plan.failure ? plan.failure->display_message() : "");
      break;
    case TurnOutcome::Continued:
    case TurnOutcome::Dropped:
    case TurnOutcome::Abandoned:
      break;
  }
}

/// The labelled metrics of a committed turn (spec/04 §8.3).
void report_turn(State& state, const TurnPlan& plan, const LockedOrchestrationItem& locked) {
  auto& telemetry = *state.telemetry;
  if (!telemetry.enabled()) return;
  const auto& instance = locked.item.instance;
  telemetry.turn_committed(instance);
  if (plan.started_execution) {
    telemetry.execution_started(plan.orchestration_name, plan.orchestration_version, plan.started_by_continue_as_new);
  }
  std::string_view status;
  switch (plan.outcome) {
    case TurnOutcome::Completed:
      status = "success";
      break;
    case TurnOutcome::ContinuedAsNew:
      status = "continuedAsNew";
      break;
    case TurnOutcome::Poisoned:
      telemetry.orchestration_poisoned();
      status = "failed";
      break;
    case TurnOutcome::Failed:
      status = "failed";
      break;
    default:
      return;
  }
  // Duration from the execution's OrchestrationStarted (stored, or appended by this very turn).
  std::uint64_t started_ms = 0;
  for (const auto* events : {&locked.item.history, &plan.ack.history_delta}) {
    for (const auto& e : *events) {
      if (e.is<events::OrchestrationStarted>()) started_ms = e.timestamp_ms;
    }
    if (started_ms != 0) break;
  }
  const auto now = static_cast<std::uint64_t>(wall_ms());
  const double duration_s = started_ms != 0 && now > started_ms ? static_cast<double>(now - started_ms) / 1000.0 : 0.0;
  telemetry.execution_ended(instance, plan.orchestration_name, plan.orchestration_version, status, duration_s,
                            plan.history_events, plan.failure ? &*plan.failure : nullptr, plan.ack.execution_id);
}

void process_item(State& state, LockedOrchestrationItem locked, const std::string& worker_id) {
  const auto& options = state.options;
  const std::string instance = locked.item.instance;
  const std::string token = locked.lock_token;

  // P2: keep the lock alive while the turn runs.
  auto store = state.store;
  const auto renewal = state.renewer.add(
      lock_renewal_interval(options.orchestrator_lock_timeout, options.orchestrator_lock_renewal_buffer),
      [store, token, timeout = options.orchestrator_lock_timeout] {
        return store->renew_orchestration_item_lock(token, timeout).has_value();
      });

  if (auto delay = test_hooks::get_orch_processing_delay(instance)) std::this_thread::sleep_for(*delay);

  PlannerContext context{state.orchestrations, options,
                         [&state](const std::string& parent, std::uint64_t parent_id, const std::string& child) {
                           return parent_execution(*state.store, parent, parent_id, child);
                         },
                         wall_ms, log_trace};
  TurnPlan plan = plan_turn(locked, context);

  if (plan.outcome == TurnOutcome::Abandoned) {
    state.renewer.remove(renewal);
    runtime_log().warn("abandoning orchestration batch instance_id={} attempt_count={} delay_ms={}: {}", instance,
                       locked.attempt_count, plan.abandon_delay.count(), plan.reason);
    if (auto abandoned = state.store->abandon_orchestration_item(token, plan.abandon_delay, false); !abandoned) {
      runtime_log().warn("abandon failed instance_id={}: {}", instance, abandoned.error().to_string());
    }
    return;
  }
  if (plan.outcome == TurnOutcome::Dropped) {
    runtime_log().warn("dropping {} message(s) instance_id={}: {}", locked.item.messages.size(), instance, plan.reason);
  }

  if (!plan.ack.worker_items.empty()) {
    state.execution_names.remember(instance, plan.ack.execution_id, plan.orchestration_name,
                                   plan.orchestration_version);
  }
  count_outcome(state, plan, +1);
  const int active_delta = active_orchestrations_delta(plan);
  state.telemetry->adjust_active_orchestrations(active_delta);
  auto acked = ack_with_retries(state, token, plan.ack);
  state.renewer.remove(renewal);
  if (acked) {
    log_outcome(plan, instance, worker_id);
    report_turn(state, plan, locked);
    return;
  }
  count_outcome(state, plan, -1);
  state.telemetry->adjust_active_orchestrations(-active_delta);

  // The turn could not be committed.
  ++state.metrics.orch_infrastructure_errors;
  runtime_log().warn("ack of orchestration turn failed instance_id={}: {}", instance, acked.error().to_string());
  if (acked.error().is_retryable()) {
    (void)state.store->abandon_orchestration_item(token, 50ms, false);
    return;
  }
  // Permanent: the failed ack rolled back and the lock is still ours; fail the instance instead.
  auto fallback = infrastructure_failure_ack(plan, acked.error(), plan.ack.execution_id);
  // Counted before the commit, like every outcome; the fallback commits the start too.
  if (plan.started_execution) ++state.metrics.orch_starts;
  ++state.metrics.orch_failures;
  const int fallback_delta = started_instances(plan) - 1;  // the fallback ends the instance
  state.telemetry->adjust_active_orchestrations(fallback_delta);
  if (auto failed = state.store->ack_orchestration_item(token, fallback); !failed) {
    if (plan.started_execution) --state.metrics.orch_starts;
    --state.metrics.orch_failures;
    state.telemetry->adjust_active_orchestrations(-fallback_delta);
    runtime_log().warn("infrastructure-failure ack failed instance_id={}: {}", instance, failed.error().to_string());
    (void)state.store->abandon_orchestration_item(token, 50ms, false);
    return;
  }
}

}  // namespace

void run_orchestration_slot(const std::shared_ptr<State>& state_ptr, std::size_t slot) {
  State& state = *state_ptr;
  const auto& options = state.options;
  const std::string worker_id = fmt::format("orch-{}-{}", slot, state.runtime_id);
  int consecutive_errors = 0;
  while (!state.stop.stop_requested()) {
    const auto cycle_start = std::chrono::steady_clock::now();
    auto fetched = state.store->fetch_orchestration_item(options.orchestrator_lock_timeout,
                                                         options.dispatcher_long_poll_timeout, &state.filter);
    const auto triage = triage_fetch(
        state, fetched, "fetch_orchestration_item", consecutive_errors, cycle_start,
        [&](const std::string& token) { (void)state.store->abandon_orchestration_item(token, std::nullopt, true); });
    if (triage == FetchTriage::Stop) break;
    if (triage == FetchTriage::Retry) continue;
    ++state.metrics.orch_dispatcher_items_fetched;
    process_item(state, std::move(**fetched), worker_id);
  }
}

}  // namespace duroxide::runtime
