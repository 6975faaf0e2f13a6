// The worker dispatcher's slot loop (docs/runtime.md): fetch an activity, run it on the slot's own
// thread while the renewer keeps its lock, and ack its result. A failed renewal (the orchestration
// ended and the ack deleted the row, or the lock was lost) cancels the activity cooperatively; past
// the grace period its result is discarded and the slot goes on with a new thread.
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <duroxide/activity_context.hpp>
#include <duroxide/utf8.hpp>
#include <duroxide/wire.hpp>

#include "logging/loggers.hpp"
#include "observability/trace_ids.hpp"
#include "runtime/dispatcher_backoff.hpp"
#include "runtime/runtime_state.hpp"
#include "runtime/spans.hpp"

namespace duroxide::runtime {

namespace {

using namespace std::chrono_literals;
using State = Runtime::State;
using Clock = std::chrono::steady_clock;

/// Why an activity was asked to stop, by whichever came first.
enum class CancelReason { None, LockLost, Shutdown };

/// An activity running inline on its slot's thread, shared with whoever may take the slot over
/// from that thread: the grace-period timer (on the renewer's thread) when the lock was lost, and
/// shutdown's deadline (docs/runtime.md, "Worker slots run activities inline").
struct InlineRun {
  std::mutex mutex;
  bool running = true;       ///< the activity code has not returned yet
  bool handed_over = false;  ///< the slot went on without this thread, which exits once the activity returns
  std::atomic<CancelReason> cancel_reason{CancelReason::None};

  /// Records `reason` unless another came first.
  void cancel_for(CancelReason reason) {
    auto expected = CancelReason::None;
    cancel_reason.compare_exchange_strong(expected, reason);
  }
};

/// The orchestration an activity belongs to: remembered from the turn that scheduled it, else read
/// from the stored history.
std::pair<std::string, std::string> orchestration_of(State& state, const work_items::ActivityExecute& activity) {
  if (auto known = state.execution_names.find(activity.instance, activity.execution_id)) {
    return {std::move(known->name), std::move(known->version)};
  }
  auto history = state.store->read(activity.instance);
  if (history) {
    for (auto it = history->rbegin(); it != history->rend(); ++it) {
      if (const auto* started = it->get_if<events::OrchestrationStarted>()) return {started->name, started->version};
    }
  }
  return {"unknown", "unknown"};
}

/// Hands back an activity whose result could not be acked. A transient store error is not the
/// activity's fault and does not count towards poisoning; a permanent one does.
void abandon_after_failed_ack(State& state, const std::string& token, const ProviderError& error) {
  (void)state.store->abandon_work_item(token, 100ms, error.is_retryable());
}

void ack_or_abandon(State& state, const std::string& token, const WorkItem& completion, const std::string& what,
                    const std::string& activity_name) {
  if (auto acked = state.store->ack_work_item(token, completion); !acked) {
    ++state.metrics.activity_infra_errors;
    state.telemetry->activity_infrastructure_error(activity_name);
    logging::runtime().warn("ack of {} failed, abandoning: {}", what, acked.error().to_string());
    abandon_after_failed_ack(state, token, acked.error());
  }
}

void poison_activity(State& state, const LockedWorkItem& locked, const work_items::ActivityExecute& activity) {
  ErrorDetails details =
      error::Poison{locked.attempt_count, state.options.max_attempts,
                    poison::Activity{activity.instance, activity.execution_id, activity.name, activity.id},
                    serialize_work_item(locked.item)};
  ++state.metrics.activity_poison;
  state.telemetry->activity_poisoned();
  logging::runtime().warn("Activity poisoned instance_id={} activity_name={} activity_id={} attempt_count={}",
                          activity.instance, activity.name, activity.id, locked.attempt_count);
  ack_or_abandon(state, locked.lock_token,
                 work_items::ActivityFailed{activity.instance, activity.execution_id, activity.id, details},
                 "poisoned activity", activity.name);
}

/// A corrupt row (the store kept its text as a dead letter): the orchestration is told that this
/// activity failed, with the store's reason, so it can handle the error or fail; nothing runs.
/// Application/ActivityFailed because only that category reaches orchestration code (any other
/// aborts the turn); not retryable: the stored bytes are bad, running again cannot help
/// (docs/failure-modes-corrupt-rows.md).
void fail_corrupt_activity(State& state, const LockedWorkItem& locked, const work_items::ActivityExecute& activity) {
  ErrorDetails details = ErrorDetails::activity_failed("activity could not run: " + locked.corrupt->error);
  ++state.metrics.activity_infra_errors;
  state.telemetry->activity_infrastructure_error(activity.name);
  logging::runtime().error("corrupt activity row delivered as ActivityFailed instance_id={} activity_id={} error={}",
                           activity.instance, activity.id, locked.corrupt->error);
  ack_or_abandon(state, locked.lock_token,
                 work_items::ActivityFailed{activity.instance, activity.execution_id, activity.id, details},
                 "corrupt activity", activity.name);
}

/// What the slot's thread does once execute_activity returns.
enum class SlotGoesOn { Yes, RetiredThread };

/// The bookkeeping of an activity whose result is discarded because its lock was lost: counted as
/// cancelled, and its row released (usually already deleted by the ack that ended the
/// orchestration; that failure is expected and not counted).
void record_cancelled(State& state, const std::string& token, const work_items::ActivityExecute& activity,
                      Clock::time_point started_at) {
  ++state.metrics.activity_cancelled;
  state.telemetry->activity_finished(activity.name, "cancelled", activity.tag.value_or(""),
                                     std::chrono::duration<double>(Clock::now() - started_at).count());
  (void)state.store->ack_work_item(token, std::nullopt);
}

/// Takes the slot away from the thread still running `run`'s activity, if it still runs: the thread
/// is retired (shutdown stops waiting for it; it counts as an activity thread until the activity
/// returns, and then exits), and `successor`, when given, is started as the slot's new thread.
/// Everything under run.mutex, so the activity's return sees either all of it or none.
void hand_over(const std::shared_ptr<State>& state, InlineRun& run, RuntimeThread& thread,
               const std::function<void()>& successor) {
  {
    std::lock_guard lock(run.mutex);
    if (!run.running || run.handed_over) return;
    run.handed_over = true;
    state->activity_threads->add();
    retire_runtime_thread(*state, thread);
  }
  if (successor) successor();
}

SlotGoesOn execute_activity(const std::shared_ptr<State>& state_ptr, const LockedWorkItem& locked,
                            const work_items::ActivityExecute& activity, const std::string& worker_id, std::size_t slot,
                            RuntimeThread& self, Clock::time_point fetch_started) {
  State& state = *state_ptr;
  const auto& options = state.options;
  const std::string token = locked.lock_token;

  auto handler = state.activities.resolve_handler(activity.name);
  if (!handler) {
    const auto delay =
        std::chrono::duration_cast<std::chrono::milliseconds>(options.unregistered_backoff.delay(locked.attempt_count));
    logging::runtime().warn(
        "activity '{}' is not registered; abandoning with backoff attempt_count={} max_attempts={} "
        "backoff_ms={}",
        activity.name, locked.attempt_count, options.max_attempts, delay.count());
    (void)state.store->abandon_work_item(token, delay, false);
    return SlotGoesOn::Yes;
  }

  auto cancel = std::make_shared<std::stop_source>();
  auto run = std::make_shared<InlineRun>();
  const auto started_at = Clock::now();
  std::weak_ptr<State> weak = state_ptr;
  // The slot's next thread, should this one be retired while the activity overstays its grace
  // period: it first records the abandoned activity as cancelled, then runs the slot's loop.
  auto successor = [weak, slot, token, activity, started_at] {
    auto live = weak.lock();
    if (!live) return;
    (void)spawn_runtime_thread(live, fmt::format("worker slot {}", slot),
                               [weak, slot, token, activity, started_at](RuntimeThread& next) {
                                 auto s = weak.lock();
                                 if (!s) return;
                                 record_cancelled(*s, token, activity, started_at);
                                 if (activity.session_id) s->sessions.release(*activity.session_id);
                                 run_worker_slot(s, slot, next);
                               });
  };
  auto store = state.store;
  // Renewed while the activity runs, and not a moment longer (however this returns); the schedule
  // counts from the fetch, which may have spent long reading a big input after locking the item.
  // A lost lock asks the activity to stop and gives it its grace period; past that, the slot goes
  // on with a new thread (hand_over) and this one follows the activity out.
  auto renewal = state.renewer.add_scoped(
      fetch_started, lock_renewal_interval(options.worker_lock_timeout, options.worker_lock_renewal_buffer),
      [store, token, timeout = options.worker_lock_timeout] {
        return store->renew_work_item_lock(token, timeout).has_value();
      },
      [weak, cancel, run, token, &self, successor, instance = activity.instance, name = activity.name,
       grace = options.activity_cancellation_grace_period] {
        run->cancel_for(CancelReason::LockLost);
        cancel->request_stop();
        logging::runtime().info(
            "activity lock lost (orchestration ended or lock expired); cancelling, grace period {} ms "
            "instance_id={} activity_name={} lock_token={}",
            grace.count(), instance, name, token);
        auto live = weak.lock();
        if (!live) return;
        // `self` outlives this timer: its thread stays in execute_activity until the activity
        // returns, and once retired the record is kept alive by the thread's spawn.
        live->renewer.run_once_at(Clock::now() + grace, [weak, run, &self, successor] {
          if (auto s = weak.lock()) hand_over(s, *run, self, successor);
        });
      });
  // Shutdown asks the activity to stop and keeps a result it still produces until shutdown's
  // deadline; past that the runtime stops waiting for this thread, and the row's lock expires.
  std::stop_callback on_shutdown(state.stop.get_token(), [run, cancel] {
    run->cancel_for(CancelReason::Shutdown);
    cancel->request_stop();
  });
  std::stop_callback on_deadline(
      state.abandon.get_token(), [&state_ptr, run, &self, instance = activity.instance, name = activity.name] {
        logging::runtime().warn(
            "activity still running at shutdown deadline; its lock will expire instance_id={} activity_name={}",
            instance, name);
        hand_over(state_ptr, *run, self, nullptr);
      });

  const auto started_wall = std::chrono::system_clock::now();
  auto [orchestration_name, orchestration_version] = orchestration_of(state, activity);
  ActivityContext::Info info{
      activity.instance,
      activity.execution_id,
      std::move(orchestration_name),
      std::move(orchestration_version),
      activity.name,
      activity.id,
      worker_id,
      activity.session_id,
      activity.tag,
      observability::activity_trace(activity.trace_parent, activity.instance, activity.id, locked.attempt_count)};
  logging::runtime().debug("Activity started instance_id={} activity_name={} activity_id={} worker_id={}",
                           activity.instance, activity.name, activity.id, worker_id);
  Result<std::string> result = Err("activity did not finish");
  {
    ActivityContext context(
        info, cancel->get_token(),
        [](const ActivityContext::Info& i, const ActivityTraceRecord& record) {
          const auto level = spdlog::level::from_str(record.level);
          logging::activity().log(level,
                                  "{} instance_id={} execution_id={} orchestration_name={} activity_name={} "
                                  "activity_id={} worker_id={}{}",
                                  record.message, i.instance_id, i.execution_id, i.orchestration_name, i.activity_name,
                                  i.activity_id, i.worker_id, trace_fields(i.trace));
        },
        state.store);
    try {
      result = handler->handler(context, activity.input);
    } catch (const std::exception& e) {
      result = Err(fmt::format("activity threw: {}", e.what()));
    } catch (...) {
      result = Err("activity threw a non-standard exception");
    }
  }
  // An activity that honours its stop token returns right after the cancellation: that still
  // counts as "cancellation came first".
  const auto reason = run->cancel_reason.load();
  {
    std::lock_guard lock(run->mutex);
    run->running = false;
    if (run->handed_over) {
      // The slot went on without this thread (grace period or shutdown's deadline passed): the
      // result is discarded, and nothing of the runtime is touched any more.
      state.activity_threads->remove();
      return SlotGoesOn::RetiredThread;
    }
  }
  renewal.release();
  SpanSink* spans = options.observability.span_sink.get();
  if (reason == CancelReason::LockLost) {
    send_activity_span(spans, info, started_wall, false, "cancelled");
    // The orchestration no longer wants this result (returned within its grace period).
    record_cancelled(state, token, activity, started_at);
    return SlotGoesOn::Yes;
  }
  if (!result && (reason == CancelReason::Shutdown || state.stop.stop_requested())) {
    // Failed while shutdown asked it to stop, most likely because of that request: hand it back
    // untouched (docs/runtime.md, "Shutdown") instead of recording a failure the orchestration would act on.
    (void)state.store->abandon_work_item(token, std::nullopt, true);
    return SlotGoesOn::Yes;
  }
  const auto elapsed_s = std::chrono::duration<double>(Clock::now() - started_at).count();
  const std::string tag = activity.tag.value_or("");
  // Stored strings must be UTF-8 (docs/core.md): an output or error that is not fails the
  // activity with a message naming the problem, instead of storing altered bytes.
  if (result) {
    if (auto problem = invalid_utf8_problem(fmt::format("output of activity '{}'", activity.name), *result)) {
      result = Err(std::move(*problem));
    }
  } else if (auto problem =
                 invalid_utf8_problem(fmt::format("error of activity '{}'", activity.name), result.error())) {
    result = Err(std::move(*problem));
  }
  const auto duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_at).count();
  send_activity_span(spans, info, started_wall, result.has_value(), result ? "" : result.error());
  if (result) {
    logging::runtime().debug("Activity completed instance_id={} activity_name={} duration_ms={} result_size={}",
                             activity.instance, activity.name, duration_ms, result->size());
    ++state.metrics.activity_success;  // before the ack: whoever sees its effect sees the count
    auto acked = state.store->ack_work_item(
        token, work_items::ActivityCompleted{activity.instance, activity.execution_id, activity.id, *result});
    if (acked) {
      state.telemetry->activity_finished(activity.name, "success", tag, elapsed_s);
      return SlotGoesOn::Yes;
    }
    --state.metrics.activity_success;
    ++state.metrics.activity_infra_errors;
    state.telemetry->activity_infrastructure_error(activity.name);
    logging::runtime().warn("ack of completed activity failed instance_id={} activity_name={}: {}", activity.instance,
                            activity.name, acked.error().to_string());
    abandon_after_failed_ack(state, token, acked.error());
    return SlotGoesOn::Yes;
  }
  logging::runtime().warn("Activity failed (application error) instance_id={} activity_name={} duration_ms={} error={}",
                          activity.instance, activity.name, duration_ms, result.error());
  ++state.metrics.activity_app_errors;
  auto acked = state.store->ack_work_item(
      token, work_items::ActivityFailed{activity.instance, activity.execution_id, activity.id,
                                        ErrorDetails::activity_failed(result.error())});
  if (acked) {
    state.telemetry->activity_finished(activity.name, "app_error", tag, elapsed_s);
    return SlotGoesOn::Yes;
  }
  --state.metrics.activity_app_errors;
  ++state.metrics.activity_infra_errors;
  state.telemetry->activity_infrastructure_error(activity.name);
  logging::runtime().warn("ack of failed activity failed instance_id={} activity_name={}: {}", activity.instance,
                          activity.name, acked.error().to_string());
  abandon_after_failed_ack(state, token, acked.error());
  return SlotGoesOn::Yes;
}

}  // namespace

void run_worker_slot(const std::shared_ptr<State>& state_ptr, std::size_t slot, RuntimeThread& self) {
  State& state = *state_ptr;
  const auto& options = state.options;
  const std::string worker_id = fmt::format("work-{}-{}", slot, options.worker_node_id.value_or(state.runtime_id));
  const std::string session_owner = options.worker_node_id.value_or(worker_id);
  int consecutive_errors = 0;
  while (!state.stop.stop_requested()) {
    const auto cycle_start = Clock::now();
    std::optional<SessionFetchConfig> session;
    if (state.sessions.distinct() < options.max_sessions_per_runtime) {
      session = SessionFetchConfig{session_owner, options.session_lock_timeout};
    }
    auto fetched = state.store->fetch_work_item(options.worker_lock_timeout, options.dispatcher_long_poll_timeout,
                                                session, options.worker_tag_filter);
    const auto triage = triage_fetch(
        state, fetched, "fetch_work_item", consecutive_errors, cycle_start,
        [&](const std::string& token) { (void)state.store->abandon_work_item(token, std::nullopt, true); });
    if (triage == FetchTriage::Stop) break;
    if (triage == FetchTriage::Retry) continue;
    ++state.metrics.worker_dispatcher_items_fetched;
    const LockedWorkItem& locked = **fetched;
    const auto* activity = std::get_if<work_items::ActivityExecute>(&locked.item);
    if (activity == nullptr) {
      logging::runtime().error("worker queue delivered a {} item; abandoning it", work_item_type_name(locked.item));
      (void)state.store->abandon_work_item(locked.lock_token, std::nullopt, false);
      continue;
    }
    if (locked.corrupt) {
      fail_corrupt_activity(state, locked, *activity);
      continue;
    }
    std::optional<std::string> session_id = activity->session_id;
    if (session_id) {
      if (state.sessions.acquire(*session_id) > options.max_sessions_per_runtime) {
        // Another slot claimed a session meanwhile: give this one back untouched.
        state.sessions.release(*session_id);
        logging::runtime().debug("session capacity exceeded after fetch session_id={} worker_id={}", *session_id,
                                 worker_id);
        (void)state.store->abandon_work_item(locked.lock_token, 100ms, true);
        continue;
      }
    }
    // Whatever processing throws (a user callback, a bug) is caught here: the activity is handed
    // back (the attempt counts, so one that always throws ends poisoned) and the slot goes on.
    try {
      if (locked.attempt_count > options.max_attempts) {
        poison_activity(state, locked, *activity);
      } else {
        if (execute_activity(state_ptr, locked, *activity, worker_id, slot, self, cycle_start) ==
            SlotGoesOn::RetiredThread) {
          return;  // the slot's new thread released the session, if any
        }
      }
    } catch (...) {
      run_guarded(state.health, "worker slot", [&] {
        state.health.record_error(fmt::format("activity '{}' of instance '{}'", activity->name, activity->instance),
                                  current_exception_text());
        (void)state.store->abandon_work_item(locked.lock_token, 100ms, false);
      });
    }
    if (session_id) state.sessions.release(*session_id);
  }
}

}  // namespace duroxide::runtime
