// The worker dispatcher's slot loop (docs/runtime.md): fetch an activity, run it on the slot's activity thread while
// the renewer keeps its lock, and ack its result. A failed renewal (the orchestration ended and the
// ack deleted the row, or the lock was lost) cancels the activity cooperatively; after the grace
// period its result is discarded and the slot moves on.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <duroxide/activity_context.hpp>
#include <duroxide/utf8.hpp>
#include <duroxide/wire.hpp>

#include "logging/loggers.hpp"
#include "runtime/activity_thread.hpp"
#include "runtime/dispatcher_backoff.hpp"
#include "runtime/runtime_state.hpp"

namespace duroxide::runtime {

namespace {

using namespace std::chrono_literals;
using State = Runtime::State;
using Clock = std::chrono::steady_clock;

/// Where a running activity's result lands; shared with its thread, which may outlive the slot's
/// interest in it (cancelled past the grace period).
struct ActivityRun {
  std::mutex mutex;
  std::condition_variable_any cv;
  bool done = false;
  /// The activity returned after it had been asked to stop: the cancellation came first, so its
  /// result is discarded like one that arrives after the grace period (docs/runtime.md, "Runtime").
  bool stopped_first = false;
  Result<std::string> result = Err("activity did not finish");
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

void execute_activity(State& state, const LockedWorkItem& locked, const work_items::ActivityExecute& activity,
                      const std::string& worker_id, ActivityThread& worker, Clock::time_point fetch_started) {
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
    return;
  }

  auto cancel = std::make_shared<std::stop_source>();
  auto store = state.store;
  // Renewed while the activity runs, and not a moment longer (however this returns); the schedule
  // counts from the fetch, which may have spent long reading a big input after locking the item.
  auto renewal = state.renewer.add_scoped(
      fetch_started, lock_renewal_interval(options.worker_lock_timeout, options.worker_lock_renewal_buffer),
      [store, token, timeout = options.worker_lock_timeout] {
        return store->renew_work_item_lock(token, timeout).has_value();
      },
      [cancel, token] {
        logging::runtime().info("activity lock lost (orchestration ended or lock expired); cancelling lock_token={}",
                                token);
        cancel->request_stop();
      });

  auto [orchestration_name, orchestration_version] = orchestration_of(state, activity);
  ActivityContext::Info info{activity.instance,
                             activity.execution_id,
                             std::move(orchestration_name),
                             std::move(orchestration_version),
                             activity.name,
                             activity.id,
                             worker_id,
                             activity.session_id,
                             activity.tag};
  auto run = std::make_shared<ActivityRun>();
  const auto started_at = Clock::now();
  logging::runtime().debug("Activity started instance_id={} activity_name={} activity_id={} worker_id={}",
                           activity.instance, activity.name, activity.id, worker_id);
  worker.run(
      [run, fn = handler->handler, info, input = activity.input, stop = cancel->get_token(), store = state.store] {
        ActivityContext context(
            info, stop,
            [](const ActivityContext::Info& i, const ActivityTraceRecord& record) {
              const auto level = spdlog::level::from_str(record.level);
              logging::activity().log(level,
                                      "{} instance_id={} execution_id={} orchestration_name={} activity_name={} "
                                      "activity_id={} worker_id={}",
                                      record.message, i.instance_id, i.execution_id, i.orchestration_name,
                                      i.activity_name, i.activity_id, i.worker_id);
            },
            store);
        Result<std::string> result = Err("activity did not finish");
        try {
          result = fn(context, input);
        } catch (const std::exception& e) {
          result = Err(fmt::format("activity threw: {}", e.what()));
        } catch (...) {
          result = Err("activity threw a non-standard exception");
        }
        std::lock_guard lock(run->mutex);
        run->result = std::move(result);
        run->stopped_first = stop.stop_requested();
        run->done = true;
        run->cv.notify_all();
      });

  // Wait for the result, a lost lock, or shutdown (which also asks the activity to stop).
  std::stop_callback on_shutdown(state.stop.get_token(), [cancel] { cancel->request_stop(); });
  const auto cancel_token = cancel->get_token();
  bool finished = false;
  {
    std::unique_lock lock(run->mutex);
    run->cv.wait(lock, cancel_token, [&] { return run->done; });
    // An activity that honours its stop token returns right after the cancellation: that still
    // counts as "cancellation fired first" (below, shutdown keeps such a result).
    finished = run->done && !run->stopped_first;
  }
  const auto abandon_token = state.abandon.get_token();
  if (!finished && !state.stop.stop_requested()) {
    // The orchestration no longer wants this result: give the activity its grace period.
    logging::runtime().info(
        "Orchestration terminated, waiting for activity grace period instance_id={} "
        "activity_name={} grace_ms={}",
        activity.instance, activity.name, options.activity_cancellation_grace_period.count());
    std::unique_lock lock(run->mutex);
    run->cv.wait_for(lock, abandon_token, options.activity_cancellation_grace_period, [&] { return run->done; });
    finished = false;  // its result is discarded either way
  } else if (!finished) {
    // Shutdown: wait for the activity until shutdown's deadline so a result it still produces is
    // not lost.
    std::unique_lock lock(run->mutex);
    finished = run->cv.wait(lock, abandon_token, [&] { return run->done; });
  }
  renewal.release();
  bool joined = false;
  {
    std::lock_guard lock(run->mutex);
    joined = run->done;
  }
  if (!joined) worker.release();  // past its grace period or shutdown's deadline; it ends on its own

  if (!finished && state.stop.stop_requested() && !joined) {
    // Abandoned at shutdown's deadline while still running: leave the row locked; the lock
    // expires and the next runtime runs it again.
    logging::runtime().warn(
        "activity still running at shutdown deadline; its lock will expire instance_id={} "
        "activity_name={}",
        activity.instance, activity.name);
    return;
  }
  if (finished && !run->result && state.stop.stop_requested()) {
    // Failed while shutdown asked it to stop, most likely because of that request: hand it back
    // untouched (docs/runtime.md, "Shutdown") instead of recording a failure the orchestration would act on.
    (void)state.store->abandon_work_item(token, std::nullopt, true);
    return;
  }
  const auto elapsed_s = std::chrono::duration<double>(Clock::now() - started_at).count();
  const std::string tag = activity.tag.value_or("");
  if (!finished) {
    ++state.metrics.activity_cancelled;
    state.telemetry->activity_finished(activity.name, "cancelled", tag, elapsed_s);
    // Usually fails: the ack that ended the orchestration deleted the row. Expected, not counted.
    (void)state.store->ack_work_item(token, std::nullopt);
    return;
  }
  // Stored strings must be UTF-8 (docs/core.md): an output or error that is not fails the
  // activity with a message naming the problem, instead of storing altered bytes.
  if (run->result) {
    if (auto problem = invalid_utf8_problem(fmt::format("output of activity '{}'", activity.name), *run->result)) {
      run->result = Err(std::move(*problem));
    }
  } else if (auto problem =
                 invalid_utf8_problem(fmt::format("error of activity '{}'", activity.name), run->result.error())) {
    run->result = Err(std::move(*problem));
  }
  const auto duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_at).count();
  if (run->result) {
    logging::runtime().debug("Activity completed instance_id={} activity_name={} duration_ms={} result_size={}",
                             activity.instance, activity.name, duration_ms, run->result->size());
    ++state.metrics.activity_success;  // before the ack: whoever sees its effect sees the count
    auto acked = state.store->ack_work_item(
        token, work_items::ActivityCompleted{activity.instance, activity.execution_id, activity.id, *run->result});
    if (acked) {
      state.telemetry->activity_finished(activity.name, "success", tag, elapsed_s);
      return;
    }
    --state.metrics.activity_success;
    ++state.metrics.activity_infra_errors;
    state.telemetry->activity_infrastructure_error(activity.name);
    logging::runtime().warn("ack of completed activity failed instance_id={} activity_name={}: {}", activity.instance,
                            activity.name, acked.error().to_string());
    abandon_after_failed_ack(state, token, acked.error());
    return;
  }
  logging::runtime().warn("Activity failed (application error) instance_id={} activity_name={} duration_ms={} error={}",
                          activity.instance, activity.name, duration_ms, run->result.error());
  ++state.metrics.activity_app_errors;
  auto acked = state.store->ack_work_item(
      token, work_items::ActivityFailed{activity.instance, activity.execution_id, activity.id,
                                        ErrorDetails::activity_failed(run->result.error())});
  if (acked) {
    state.telemetry->activity_finished(activity.name, "app_error", tag, elapsed_s);
    return;
  }
  --state.metrics.activity_app_errors;
  ++state.metrics.activity_infra_errors;
  state.telemetry->activity_infrastructure_error(activity.name);
  logging::runtime().warn("ack of failed activity failed instance_id={} activity_name={}: {}", activity.instance,
                          activity.name, acked.error().to_string());
  abandon_after_failed_ack(state, token, acked.error());
}

}  // namespace

void run_worker_slot(const std::shared_ptr<State>& state_ptr, std::size_t slot) {
  State& state = *state_ptr;
  const auto& options = state.options;
  const std::string worker_id = fmt::format("work-{}-{}", slot, options.worker_node_id.value_or(state.runtime_id));
  const std::string session_owner = options.worker_node_id.value_or(worker_id);
  int consecutive_errors = 0;
  ActivityThread activity_thread(state.activity_threads);
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
        execute_activity(state, locked, *activity, worker_id, activity_thread, cycle_start);
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
