// The orchestration dispatcher's slot loop (docs/runtime.md): fetch a locked batch, plan the turn,
// commit it with one ack (retrying transient failures), and record what happened.
#include <array>
#include <chrono>
#include <map>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include <duroxide/constants.hpp>

#include "logging/loggers.hpp"
#include "runtime/dispatcher_backoff.hpp"
#include "runtime/last_resort.hpp"
#include "runtime/runtime_state.hpp"
#include "runtime/spans.hpp"
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

/// The parent's execution waiting for this child, read from the store (docs/runtime.md, "Departures from duroxide"). A
/// failed read is reported as such: the child's turn is retried, never committed as if the parent
/// had moved on (its completion would be lost and the parent would wait forever).
ParentLookup parent_execution(Provider& store, const std::string& parent, std::uint64_t parent_id,
                              const std::string& child) {
  auto history = store.read(parent);
  if (!history) {
    logging::runtime().warn("cannot read parent {} of finished child {}: {}", parent, child,
                            history.error().to_string());
    return ParentLookup{std::nullopt, history.error()};
  }
  for (const auto& event : *history) {
    const auto* scheduled = event.get_if<events::SubOrchestrationScheduled>();
    if (scheduled != nullptr && event.event_id == parent_id &&
        build_child_instance_id(parent, scheduled->instance) == child) {
      return ParentLookup{event.execution_id, std::nullopt};
    }
  }
  logging::runtime().warn("child {} finished but parent {} no longer waits for it (event {}); notification dropped",
                          child, parent, parent_id);
  return ParentLookup{};
}

void log_trace(const TraceRecord& record) {
  const auto level = spdlog::level::from_str(record.level);
  logging::orchestration().log(level == spdlog::level::off ? spdlog::level::trace : level,
                               "{} instance_id={} execution_id={} orchestration_name={} orchestration_version={}{}",
                               record.message, record.instance_id, record.execution_id, record.orchestration_name,
                               record.orchestration_version, trace_fields(record.trace_id, record.span_id));
}

/// Whether the store holds every event of `ack`'s history delta (same execution, id and kind).
bool delta_is_stored(Provider& store, const OrchestrationAck& ack) {
  if (ack.history_delta.empty()) return false;  // nothing to recognise the turn by
  // execution id -> (event id -> kind index) of the stored history, read once per execution.
  std::map<std::uint64_t, std::map<std::uint64_t, std::size_t>> stored_kinds;
  for (const auto& sent : ack.history_delta) {
    auto [kinds, first_time] = stored_kinds.try_emplace(sent.execution_id);
    if (first_time) {
      auto stored = store.read_with_execution(sent.instance_id, sent.execution_id);
      if (!stored) return false;
      for (const auto& event : *stored) kinds->second.emplace(event.event_id, event.kind.index());
    }
    const auto found = kinds->second.find(sent.event_id);
    if (found == kinds->second.end() || found->second != sent.kind.index()) return false;
  }
  return true;
}

/// Ack with in-place retries for transient errors (10, 20, 40, 80, 160 ms), after a first attempt
/// made alone or in a batch (docs/runtime.md, "Batched turns"). An attempt that failed
/// transiently may still have committed, with only its reply lost (a connection dropped after the
/// COMMIT): the retry then finds the lock token used (LockLost). When the store holds the turn's
/// delta, that attempt did commit, and the ack counts as done rather than as an uncommittable turn.
ProviderResult<void> ack_with_retries(State& state, const std::string& token, const OrchestrationAck& ack,
                                      ProviderResult<void> first_attempt) {
  auto result = std::move(first_attempt);
  bool reply_may_have_been_lost = false;
  for (int retry = 0; !result && result.error().is_retryable() && retry < 5; ++retry) {
    reply_may_have_been_lost = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10 << retry));
    result = state.store->ack_orchestration_item(token, ack);
  }
  if (!result && reply_may_have_been_lost && result.error().kind == ProviderErrorKind::LockLost &&
      delta_is_stored(*state.store, ack)) {
    logging::runtime().info("ack of orchestration turn committed although its reply was lost instance_id={}",
                            ack.history_delta.front().instance_id);
    return {};
  }
  return result;
}

/// What a turn's outcome means for the counters, the active-orchestrations gauge, the log and the
/// labelled metrics, decided in one place from the plan.
struct OutcomeEffects {
  std::array<std::atomic<std::uint64_t> Metrics::*, 2> counters{};  ///< outcome counters to move (null: none)
  bool ends_instance = false;                                       ///< the instance reached a terminal state
  std::string_view status;  ///< status label of the ended execution; empty: no execution ended
  bool poisoned = false;
  spdlog::level::level_enum log_level = spdlog::level::off;  ///< off: nothing to log once committed
  std::string log_line;                                      ///< formatted only when the level is enabled
};

using Counter = std::atomic<std::uint64_t> Metrics::*;

OutcomeEffects outcome_effects(const TurnPlan& plan, const std::string& instance, const std::string& worker_id) {
  OutcomeEffects effects;
  // Formats the log line only when its level is enabled (most of these are debug lines).
  const auto log = [&effects]<class... Args>(spdlog::level::level_enum level, fmt::format_string<Args...> format,
                                             Args&&... args) {
    effects.log_level = level;
    if (logging::runtime().should_log(level)) effects.log_line = fmt::format(format, std::forward<Args>(args)...);
  };
  const std::string failure = plan.failure ? plan.failure->display_message() : std::string();
  switch (plan.outcome) {
    case TurnOutcome::Completed:
      effects.counters = {&Metrics::orch_completions, nullptr};
      effects.ends_instance = true;
      effects.status = "success";
      log(spdlog::level::debug, "Orchestration completed instance_id={} orchestration_name={} version={} worker_id={}",
          instance, plan.orchestration_name, plan.orchestration_version, worker_id);
      break;
    case TurnOutcome::ContinuedAsNew:
      effects.counters = {&Metrics::orch_continue_as_new, nullptr};
      effects.status = "continuedAsNew";
      log(spdlog::level::debug, "Orchestration continued as new instance_id={} orchestration_name={}", instance,
          plan.orchestration_name);
      break;
    case TurnOutcome::Failed: {
      const auto category = plan.failure ? plan.failure->category() : std::string_view("unknown");
      Counter by_category = &Metrics::orch_infrastructure_errors;
      if (category == "application") {
        by_category = &Metrics::orch_application_errors;
      } else if (category == "configuration") {
        by_category = &Metrics::orch_configuration_errors;
      }
      effects.counters = {&Metrics::orch_failures, by_category};
      effects.ends_instance = true;
      effects.status = "failed";
      if (category == "application") {
        log(spdlog::level::warn,
            "Orchestration failed instance_id={} orchestration_name={} error_type=app_error error={}", instance,
            plan.orchestration_name, failure);
      } else {
        log(spdlog::level::err, "Orchestration failed instance_id={} orchestration_name={} error_type={} error={}",
            instance, plan.orchestration_name, category, failure);
      }
      break;
    }
    case TurnOutcome::Terminated:
      effects.counters = {&Metrics::orch_terminations, nullptr};
      effects.ends_instance = true;
      effects.status = "terminated";
      log(spdlog::level::info, "Orchestration terminated instance_id={} orchestration_name={} reason={}", instance,
          plan.orchestration_name, plan.reason);
      break;
    case TurnOutcome::Poisoned:
      effects.counters = {&Metrics::orch_poison, &Metrics::orch_failures};
      effects.ends_instance = true;
      effects.status = "failed";
      effects.poisoned = true;
      log(spdlog::level::warn, "Orchestration poisoned instance_id={} error={}", instance, failure);
      break;
    case TurnOutcome::Suspended:
      log(spdlog::level::debug, "Orchestration suspended: batch recorded instance_id={} orchestration_name={}",
          instance, plan.orchestration_name);
      break;
    case TurnOutcome::Continued:
      if (plan.rewound)
        log(spdlog::level::info, "Orchestration rewound instance_id={} orchestration_name={} reason={}", instance,
            plan.orchestration_name, plan.reason);
      break;
    case TurnOutcome::Dropped:
    case TurnOutcome::Abandoned:
      break;
  }
  return effects;
}

/// The counters of a turn, added (`sign` +1) before its ack so that a client woken by the commit
/// already sees them, and taken back (-1) when the ack fails.
void count_outcome(State& state, const TurnPlan& plan, const OutcomeEffects& effects, int sign) {
  auto& m = state.metrics;
  const auto add = [sign](std::atomic<std::uint64_t>& counter) {
    if (sign > 0) {
      counter.fetch_add(1);
    } else {
      counter.fetch_sub(1);
    }
  };
  if (plan.started_execution) add(m.orch_starts);
  if (plan.rewound) add(m.orch_rewinds);
  for (const auto& e : plan.ack.history_delta) {
    if (e.is<events::SubOrchestrationScheduled>()) add(m.suborchestration_calls);
  }
  for (auto counter : effects.counters) {
    if (counter != nullptr) add(m.*counter);
  }
}

/// How a turn moves the active-orchestrations gauge: +1 when it starts a new instance (not a
/// continue-as-new) or rewinds an ended one, -1 when it ends the instance.
int started_instances(const TurnPlan& plan) {
  return (plan.started_execution && !plan.started_by_continue_as_new) || plan.rewound ? 1 : 0;
}

int active_orchestrations_delta(const TurnPlan& plan, const OutcomeEffects& effects) {
  return started_instances(plan) - (effects.ends_instance ? 1 : 0);
}

/// The labelled metrics of a committed turn (docs/runtime-features.md, "Metrics").
/// The span of an execution the committed turn ended (docs/tracing.md): sent once, after the
/// commit, so a replayed or retried turn sends none.
void send_execution_span(State& state, const TurnPlan& plan, const LockedOrchestrationItem& locked) {
  SpanSink* sink = state.options.observability.span_sink.get();
  if (sink == nullptr) return;
  const char* outcome = nullptr;
  switch (plan.outcome) {
    case TurnOutcome::Completed:
      outcome = "completed";
      break;
    case TurnOutcome::Failed:
    case TurnOutcome::Poisoned:
      outcome = "failed";
      break;
    case TurnOutcome::ContinuedAsNew:
      outcome = "continued_as_new";
      break;
    case TurnOutcome::Terminated:
      outcome = "terminated";
      break;
    default:
      return;
  }
  const auto& events = plan.started_execution ? plan.ack.history_delta : locked.item.history;
  if (events.empty()) return;
  const bool ok = plan.outcome == TurnOutcome::Completed || plan.outcome == TurnOutcome::ContinuedAsNew;
  const std::string message = ok ? "" : plan.failure ? plan.failure->display_message() : plan.reason;
  send_orchestration_span(sink, locked.item.instance, plan.ack.execution_id, events.front(), outcome, ok, message);
}

void report_turn(State& state, const TurnPlan& plan, const OutcomeEffects& effects,
                 const LockedOrchestrationItem& locked) {
  auto& telemetry = *state.telemetry;
  if (!telemetry.enabled()) return;
  const auto& instance = locked.item.instance;
  telemetry.turn_committed(instance);
  if (plan.started_execution) {
    telemetry.execution_started(plan.orchestration_name, plan.orchestration_version, plan.started_by_continue_as_new);
  }
  if (effects.poisoned) telemetry.orchestration_poisoned();
  if (effects.status.empty()) return;
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
  telemetry.execution_ended(instance, plan.orchestration_name, plan.orchestration_version, effects.status, duration_s,
                            plan.history_events, plan.failure ? &*plan.failure : nullptr, plan.ack.execution_id);
}

/// Backoff of a batch that cannot be committed at all: 1 s doubling to 60 s with its attempts.
std::chrono::milliseconds uncommittable_backoff(std::uint32_t attempt_count) {
  const auto doublings = std::min<std::uint32_t>(attempt_count == 0 ? 0 : attempt_count - 1, 6);
  return std::min<std::chrono::milliseconds>(1000ms * (1LL << doublings), 60000ms);
}

/// The batch cannot be committed, not even as a failure: say so loudly, count it, and hand it
/// back with a growing delay (attempts counted) instead of spinning on it.
void give_up_for_now(State& state, const LockedOrchestrationItem& locked, const std::string& why) {
  const auto delay = uncommittable_backoff(locked.attempt_count);
  logging::runtime().error(
      "orchestration instance cannot be committed, not even as failed; retrying later instance_id={} "
      "attempt_count={} retry_in_ms={}: {}",
      locked.item.instance, locked.attempt_count, delay.count(), why);
  ++state.metrics.orch_uncommittable_turns;
  if (auto abandoned = state.store->abandon_orchestration_item(locked.lock_token, delay, false); !abandoned) {
    logging::runtime().warn("abandon failed instance_id={}: {}", locked.item.instance, abandoned.error().to_string());
  }
}

/// One ack of the last resort: counted like an outcome before it commits, taken back if it fails.
ProviderResult<void> commit_failure(State& state, const TurnPlan& plan, const std::string& token,
                                    const OrchestrationAck& ack) {
  if (plan.started_execution) ++state.metrics.orch_starts;
  ++state.metrics.orch_failures;
  const int delta = started_instances(plan) - 1;  // the failure ends the instance
  state.telemetry->adjust_active_orchestrations(delta);
  auto committed = ack_with_retries(state, token, ack, state.store->ack_orchestration_item(token, ack));
  if (!committed) {
    if (plan.started_execution) --state.metrics.orch_starts;
    --state.metrics.orch_failures;
    state.telemetry->adjust_active_orchestrations(-delta);
  }
  return committed;
}

/// The turn's ack failed permanently: end the instance Failed with the store's error (docs/failure-modes-runtime.md),
/// with a variant that cannot carry the start event's payloads if the first also fails.
void commit_last_resort(State& state, const LockedOrchestrationItem& locked, const TurnPlan& plan,
                        const ProviderError& error) {
  const auto& instance = locked.item.instance;
  if (plan.outcome == TurnOutcome::Dropped) {
    // Nothing to fail: the instance already ended or never started.
    give_up_for_now(state, locked, fmt::format("dropping its messages failed: {}", error.to_string()));
    return;
  }
  std::optional<WorkItem> notification;
  if (auto parent = plan_parent_link(locked, plan)) {
    auto lookup = parent_execution(*state.store, parent->instance, parent->scheduling_event_id, instance);
    if (lookup.read_error && lookup.read_error->is_retryable()) {
      (void)state.store->abandon_orchestration_item(locked.lock_token, 100ms, true);
      return;
    }
    if (lookup.read_error) {
      logging::runtime().error("failing instance_id={} without notifying its parent {}, which cannot be read: {}",
                               instance, parent->instance, lookup.read_error->to_string());
    } else if (lookup.waiting_execution) {
      notification = work_items::SubOrchFailed{parent->instance, *lookup.waiting_execution, parent->scheduling_event_id,
                                               error.to_infrastructure_error()};
    }
  }
  const auto& token = locked.lock_token;
  auto first = commit_failure(state, plan, token, last_resort_ack(locked, plan, error, notification));
  if (first) return;
  logging::runtime().warn("infrastructure-failure ack failed instance_id={}: {}", instance, first.error().to_string());
  std::optional<ProviderError> last_error = first.error();
  if (first.error().is_retryable()) {
    (void)state.store->abandon_orchestration_item(token, 50ms, true);
    return;
  }
  if (auto trimmed = trimmed_last_resort_ack(locked, plan, error, first.error(), notification)) {
    auto second = commit_failure(state, plan, token, *trimmed);
    if (second) return;
    logging::runtime().warn("infrastructure-failure ack without the input failed instance_id={}: {}", instance,
                            second.error().to_string());
    if (second.error().is_retryable()) {
      (void)state.store->abandon_orchestration_item(token, 50ms, true);
      return;
    }
    last_error = second.error();
  }
  give_up_for_now(state, locked, fmt::format("turn: {}; its failure: {}", error.to_string(), last_error->to_string()));
}

/// Keeps the fetched history for the execution's next turn, or drops it when the turn ends the
/// execution. Done before the ack: once the ack commits, the next turn may be fetched at once by
/// another slot, which should find it held (docs/runtime.md, "History cache"). Moved, not copied:
/// with the instance cache a turn no longer replays the history, and a copy of it would be the
/// turn's biggest cost on a long history; the rest of the turn does not read it (a failed ack
/// takes it back, take_history). With the history goes the turn's live session (docs/runtime.md,
/// "Instance cache"), valid once the ack commits; an ack that fails drops it (forget_session).
void update_history_cache(State& state, LockedOrchestrationItem& locked, TurnOutcome outcome,
                          orchestration::ReplaySessionPtr session) {
  auto& item = locked.item;
  const bool goes_on = outcome == TurnOutcome::Continued || outcome == TurnOutcome::Abandoned;
  if (goes_on && !item.history_error) {
    state.history_cache->keep(item.instance, item.execution_id, std::move(item.history), std::move(session));
  } else {
    state.history_cache->forget(item.instance);
  }
}

/// A turn planned and waiting for its ack, which it may share with other turns of the slot's batch
/// (docs/runtime.md, "Batched turns"). Its lock is renewed until it is finished.
struct PendingTurn {
  LockedOrchestrationItem* locked;
  TurnPlan plan;
  OutcomeEffects effects;
  int active_delta = 0;
  LockRenewer::Scoped renewal;
};

/// Plans a fetched batch's turn and counts its outcome; nothing to commit (empty) when the batch
/// was handed back instead.
std::optional<PendingTurn> prepare_turn(State& state, LockedOrchestrationItem& locked,
                                        orchestration::ReplaySessionPtr session, const std::string& worker_id,
                                        std::chrono::steady_clock::time_point fetch_started) {
  const auto& options = state.options;
  const std::string instance = locked.item.instance;
  const std::string token = locked.lock_token;

  // Keep the lock alive while the turn runs and waits for its ack, and not a moment longer. The
  // schedule counts from the fetch: reading a big history may take much of the lock's lifetime.
  auto store = state.store;
  auto renewal = state.renewer.add_scoped(
      fetch_started, lock_renewal_interval(options.orchestrator_lock_timeout, options.orchestrator_lock_renewal_buffer),
      [store, token, timeout = options.orchestrator_lock_timeout] {
        return store->renew_orchestration_item_lock(token, timeout).has_value();
      });

  PlannerContext context{state.orchestrations, options,
                         [&state](const std::string& parent, std::uint64_t parent_id, const std::string& child) {
                           return parent_execution(*state.store, parent, parent_id, child);
                         },
                         wall_ms, log_trace};
  TurnPlan plan = plan_turn(locked, context, session);

  update_history_cache(state, locked, plan.outcome, std::move(session));
  if (plan.outcome == TurnOutcome::Abandoned) {
    renewal.release();
    logging::runtime().warn("abandoning orchestration batch instance_id={} attempt_count={} delay_ms={}: {}", instance,
                            locked.attempt_count, plan.abandon_delay.count(), plan.reason);
    if (auto abandoned =
            state.store->abandon_orchestration_item(token, plan.abandon_delay, plan.abandon_ignores_attempt);
        !abandoned) {
      logging::runtime().warn("abandon failed instance_id={}: {}", instance, abandoned.error().to_string());
    }
    return std::nullopt;
  }
  if (plan.outcome == TurnOutcome::Dropped) {
    logging::runtime().warn("dropping {} message(s) instance_id={}: {}", locked.item.messages.size(), instance,
                            plan.reason);
  }
  if (plan.outcome == TurnOutcome::Poisoned && !plan.reason.empty()) {
    logging::runtime().error("poisoning instance_id={}: {}", instance, plan.reason);
  }

  if (!plan.ack.worker_items.empty()) {
    state.execution_names.remember(instance, plan.ack.execution_id, plan.orchestration_name,
                                   plan.orchestration_version);
  }
  OutcomeEffects effects = outcome_effects(plan, instance, worker_id);
  count_outcome(state, plan, effects, +1);
  const int active_delta = active_orchestrations_delta(plan, effects);
  state.telemetry->adjust_active_orchestrations(active_delta);
  return PendingTurn{&locked, std::move(plan), std::move(effects), active_delta, std::move(renewal)};
}

/// Finishes a turn with its first ack attempt's result (made alone or with its batch): retries a
/// transient failure, reports a commit, and fails the instance when the ack cannot commit at all.
void finish_turn(State& state, PendingTurn& turn, ProviderResult<void> first_attempt) {
  auto& locked = *turn.locked;
  const auto& plan = turn.plan;
  const std::string& instance = locked.item.instance;
  const std::string& token = locked.lock_token;
  auto acked = ack_with_retries(state, token, plan.ack, std::move(first_attempt));
  if (acked) {
    turn.renewal.release();
    if (turn.effects.log_level != spdlog::level::off) {
      logging::runtime().log(turn.effects.log_level, "{}", turn.effects.log_line);
    }
    report_turn(state, plan, turn.effects, locked);
    send_execution_span(state, plan, locked);
    return;
  }
  count_outcome(state, plan, turn.effects, -1);
  state.telemetry->adjust_active_orchestrations(-turn.active_delta);

  // The turn could not be committed: the live state ran ahead of the store.
  state.history_cache->forget_session(instance);
  ++state.metrics.orch_infrastructure_errors;
  logging::runtime().warn("ack of orchestration turn failed instance_id={}: {}", instance, acked.error().to_string());
  if (acked.error().is_retryable()) {
    // The store's trouble, not the batch's: it does not count towards poisoning.
    turn.renewal.release();
    (void)state.store->abandon_orchestration_item(token, 50ms, true);
    return;
  }
  // Permanent: the failed ack rolled back and the lock is still ours; fail the instance instead,
  // with the history the turn lent to the cache (read again if the cache let it go meanwhile).
  if (auto kept = state.history_cache->take_history(instance); !kept.empty()) {
    locked.item.history = std::move(kept);
  } else if (locked.item.history.empty() && !plan.started_execution) {
    if (auto read = state.store->read_with_execution(instance, locked.item.execution_id)) {
      locked.item.history = std::move(*read);
    }
  }
  commit_last_resort(state, locked, plan, acked.error());
}

/// A turn that threw (a user callback, a bug; `what` says what): its batch is handed back (the
/// attempt counts, so a batch that always throws ends poisoned) and the slot goes on.
void hand_back_thrown_turn(State& state, const LockedOrchestrationItem& locked, const std::string& what) {
  state.history_cache->forget(locked.item.instance);
  run_guarded(state.health, "orchestration slot", [&] {
    state.health.record_error(fmt::format("orchestration turn of instance '{}'", locked.item.instance), what);
    (void)state.store->abandon_orchestration_item(locked.lock_token, 100ms, false);
  });
}

/// Runs one step of a turn; whatever it throws is caught here (hand_back_thrown_turn).
template <class Step>
void guarded_turn_step(State& state, const LockedOrchestrationItem& locked, Step step) {
  try {
    step();
  } catch (...) {
    hand_back_thrown_turn(state, locked, current_exception_text());
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
    auto fetched = state.store->fetch_orchestration_items(
        options.orchestration_batch_size, options.orchestrator_lock_timeout, options.dispatcher_long_poll_timeout,
        &state.filter, state.history_cache.get());
    const auto triage = triage_fetch(
        state, fetched, "fetch_orchestration_item", consecutive_errors, cycle_start,
        [&](const std::string& token) { (void)state.store->abandon_orchestration_item(token, std::nullopt, true); });
    if (triage == FetchTriage::Stop) break;
    if (triage == FetchTriage::Retry) continue;
    state.metrics.orch_dispatcher_items_fetched += fetched->size();
    // Batched turns (docs/runtime.md): the fetched instances' turns run one after another and their
    // acks are committed together; each turn is still atomic on its own.
    std::vector<PendingTurn> pending;
    pending.reserve(fetched->size());
    for (auto& locked : *fetched) {
      orchestration::ReplaySessionPtr session;
      if (!state.history_cache->complete(locked.item, session)) {
        // The cached copy is gone or no longer the store's history (deleted and written anew): hand
        // the batch back untouched; the next fetch, with nothing cached, ships the whole history.
        logging::runtime().debug("history cache miss instance_id={}; fetching the whole history", locked.item.instance);
        (void)state.store->abandon_orchestration_item(locked.lock_token, std::nullopt, true);
        continue;
      }
      guarded_turn_step(state, locked, [&] {
        if (auto turn = prepare_turn(state, locked, std::move(session), worker_id, cycle_start)) {
          pending.push_back(std::move(*turn));
        }
      });
    }
    if (pending.empty()) continue;
    std::vector<TurnCommit> commits;
    commits.reserve(pending.size());
    for (const auto& turn : pending) commits.push_back(TurnCommit{turn.locked->lock_token, turn.plan.ack});
    std::vector<ProviderResult<void>> results;
    std::optional<std::string> batch_failure;
    try {
      if (pending.size() == 1) {
        results.push_back(state.store->ack_orchestration_item(commits.front().lock_token, commits.front().ack));
      } else {
        results = state.store->ack_orchestration_items(commits);
      }
      // A store whose batched ack broke its contract: nothing is known of the turns.
      if (results.size() != pending.size()) {
        batch_failure = "ack_orchestration_items returned a result count unlike its turns'";
      }
    } catch (...) {
      // A store that throws instead of returning an error.
      batch_failure = current_exception_text();
    }
    if (batch_failure) {
      // Every turn of the batch is handed back, like a turn that threw (one whose ack did commit
      // finds its lock gone, which abandon shrugs off).
      for (auto& turn : pending) {
        turn.renewal.release();
        hand_back_thrown_turn(state, *turn.locked, *batch_failure);
      }
      continue;
    }
    for (std::size_t i = 0; i < pending.size(); ++i) {
      guarded_turn_step(state, *pending[i].locked, [&] { finish_turn(state, pending[i], std::move(results[i])); });
    }
  }
}

}  // namespace duroxide::runtime
