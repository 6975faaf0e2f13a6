// The history shapes of a durable schedule (docs/schedules.md, "How a schedule runs"): the
// built-in schedule orchestration driven turn by turn with the clock readings, timer firings,
// run statuses and control messages a runtime would deliver. No store, no threads.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <duroxide/duroxide.hpp>
#include <duroxide/offline_replay.hpp>
#include <duroxide/schedules.hpp>

#include "planner_driver.hpp"
#include "schedules/schedule_orchestration.hpp"
#include "schedules/schedule_record.hpp"
#include "turn_driver.hpp"

namespace duroxide::testing {
namespace {

using schedules::ScheduleRecord;

constexpr std::uint64_t kMinute = 60'000;
constexpr std::uint64_t k0900 = 1'796'547'600'000;  // 2026-12-06T09:00:00Z
constexpr std::uint64_t k0915 = k0900 + 15 * kMinute;
constexpr std::uint64_t k0930 = k0900 + 30 * kMinute;
constexpr std::uint64_t k0945 = k0900 + 45 * kMinute;

ScheduleRecord record(std::string spec, OverlapPolicy overlap = OverlapPolicy::Skip) {
  ScheduleRecord r;
  r.id = "report";
  r.spec = std::move(spec);
  r.orchestration = "Report";
  r.input = R"({"pages":3})";
  r.overlap = overlap;
  return r;
}

template <class A>
std::vector<A> actions(const TurnOutput& out) {
  std::vector<A> found;
  for (const auto& a : out.pending_actions)
    if (const auto* k = std::get_if<A>(&a)) found.push_back(*k);
  return found;
}

std::vector<actions::CallActivity> calls(const TurnOutput& out, std::string_view name) {
  std::vector<actions::CallActivity> found;
  for (const auto& a : actions<actions::CallActivity>(out))
    if (a.name == name) found.push_back(a);
  return found;
}

/// Drives the schedule orchestration the way a runtime would, one delivery per turn.
class ScheduleRun {
 public:
  explicit ScheduleRun(const ScheduleRecord& r) : driver_(&schedules::run_schedule, schedules::encode_record(r)) {
    last_ = driver_.turn();
  }

  /// Answers the clock reading the code asked for with `now_ms` (the runtime's clock agrees).
  const TurnOutput& clock(std::uint64_t now_ms) {
    const auto asked = calls(last_, kSyscallUtcNowMs);
    EXPECT_EQ(asked.size(), 1u) << "the code should be reading the clock";
    if (asked.empty()) return last_;
    driver_.set_clock(now_ms);
    return next({activity_ok(asked[0].scheduling_event_id, std::to_string(now_ms))});
  }
  /// Fires the timer the code is waiting on; returns its fire time.
  std::uint64_t fire_timer() {
    const auto timers = actions<actions::CreateTimer>(last_);
    EXPECT_EQ(timers.size(), 1u) << "the code should be waiting on a timer";
    if (timers.empty()) return 0;
    next({timer_fired(timers[0].scheduling_event_id)});
    return timers[0].fire_at_ms;
  }
  /// Answers the code's question about its last run.
  const TurnOutput& run_status(std::string status) {
    const auto asked = calls(last_, kSyscallInstanceStatus);
    EXPECT_EQ(asked.size(), 1u) << "the code should be asking for its last run's status";
    if (asked.empty()) return last_;
    EXPECT_EQ(asked[0].input, R"({"instance_id":")" + record_now().last_run_instance.value_or("") + R"("})");
    return next({activity_ok(asked[0].scheduling_event_id, std::move(status))});
  }
  const TurnOutput& control(std::string message) {
    return next({queued(std::string(kScheduleControlQueue), std::move(message))});
  }
  const TurnOutput& next(std::vector<WorkItem> messages) {
    last_ = driver_.turn(std::move(messages));
    return last_;
  }

  /// The record the schedule last published as its custom status.
  ScheduleRecord record_now() const {
    for (auto it = driver_history().rbegin(); it != driver_history().rend(); ++it) {
      if (const auto* update = it->get_if<events::CustomStatusUpdated>(); update && update->status) {
        auto decoded = schedules::decode_record(*update->status);
        EXPECT_TRUE(decoded) << decoded.error();
        return decoded.value_or(ScheduleRecord{});
      }
    }
    ADD_FAILURE() << "no published record";
    return {};
  }
  /// Runs started by the last turn.
  std::vector<actions::StartOrchestrationDetached> started() const {
    return actions<actions::StartOrchestrationDetached>(last_);
  }
  const TurnOutput& last() const { return last_; }
  TurnDriver& driver() { return driver_; }

 private:
  const std::vector<Event>& driver_history() const { return const_cast<TurnDriver&>(driver_).history(); }
  TurnDriver driver_;
  TurnOutput last_;
};

// ---------------------------------------------------------------- ids and the next firing

TEST(ReplaySchedules, RunIdsNameTheScheduleAndTheFiringTimeInUtc) {
  EXPECT_EQ(schedule_run_instance_id("report", k0915), "report@2026-12-06T09:15:00Z");
  EXPECT_EQ(schedule_run_instance_id("report", k0915 + 250), "report@2026-12-06T09:15:00.250Z");
  EXPECT_EQ(schedule_instance_id("report"), "schedule:report");
}

TEST(ReplaySchedules, MissedCronFiringsAreCountedAndTheNextIsAfterNow) {
  const auto spec = ScheduleSpec::parse("*/15 * * * *").value();
  const auto on_time = schedules::next_firing(spec, k0915, k0915 + 300);
  EXPECT_EQ(on_time.next_ms, k0930);
  EXPECT_EQ(on_time.missed, 0u);
  // Fired at 09:15 but only seen at 10:01: 09:30, 09:45 and 10:00 were missed.
  const auto late = schedules::next_firing(spec, k0915, k0900 + 61 * kMinute);
  EXPECT_EQ(late.next_ms, k0900 + 75 * kMinute);
  EXPECT_EQ(late.missed, 3u);
}

TEST(ReplaySchedules, IntervalFiringsStayOnTheGridOfTheFirst) {
  const auto spec = ScheduleSpec::parse("@every 10s").value();
  // A timer 300 ms late does not move the next firing.
  EXPECT_EQ(schedules::next_firing(spec, k0900, k0900 + 300).next_ms, k0900 + 10'000);
  const auto late = schedules::next_firing(spec, k0900, k0900 + 35'000);
  EXPECT_EQ(late.next_ms, k0900 + 40'000);
  EXPECT_EQ(late.missed, 3u);
}

// ---------------------------------------------------------------- firing

TEST(ReplaySchedules, TheFirstTurnPublishesTheScheduleAndReadsTheClock) {
  ScheduleRun run(record("*/15 * * * *"));
  EXPECT_TRUE(is_continue(run.last()));
  EXPECT_EQ(calls(run.last(), kSyscallUtcNowMs).size(), 1u);
  const auto published = run.record_now();
  EXPECT_EQ(published.id, "report");
  EXPECT_EQ(published.next_fire_ms, 0u) << "not known before the clock is read";
}

TEST(ReplaySchedules, TheScheduleWaitsForItsNextFiringOnATimerAndItsControlQueue) {
  ScheduleRun run(record("*/15 * * * *"));
  const auto& out = run.clock(k0900 + 7 * kMinute + 30'000);
  const auto timers = actions<actions::CreateTimer>(out);
  ASSERT_EQ(timers.size(), 1u);
  EXPECT_EQ(timers[0].fire_at_ms, k0915);
  const auto dequeues = actions<actions::DequeueEvent>(out);
  ASSERT_EQ(dequeues.size(), 1u);
  EXPECT_EQ(dequeues[0].name, kScheduleControlQueue);
  EXPECT_EQ(run.record_now().next_fire_ms, k0915);
  EXPECT_TRUE(run.started().empty());
}

TEST(ReplaySchedules, AFiringStartsTheRunUnderAnIdDerivedFromItsTime) {
  ScheduleRun run(record("*/15 * * * *"));
  run.clock(k0900 + 7 * kMinute);
  run.fire_timer();
  run.clock(k0915 + 200);
  const auto started = run.started();
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].name, "Report");
  EXPECT_EQ(started[0].instance, "report@2026-12-06T09:15:00Z");
  EXPECT_EQ(started[0].input, R"({"pages":3})");
  EXPECT_FALSE(started[0].version);
  const auto published = run.record_now();
  EXPECT_EQ(published.runs_started, 1u);
  EXPECT_EQ(published.last_run_instance, "report@2026-12-06T09:15:00Z");
  EXPECT_EQ(published.last_fire_ms, k0915);
  EXPECT_EQ(published.next_fire_ms, k0930);
  // The same turn waits for 09:30.
  ASSERT_EQ(actions<actions::CreateTimer>(run.last()).size(), 1u);
  EXPECT_EQ(actions<actions::CreateTimer>(run.last())[0].fire_at_ms, k0930);
}

TEST(ReplaySchedules, ARunIsPinnedToTheScheduledVersion) {
  auto r = record("*/15 * * * *");
  r.version = "2.1.0";
  ScheduleRun run(r);
  run.clock(k0915 - 1);
  run.fire_timer();
  run.clock(k0915);
  ASSERT_EQ(run.started().size(), 1u);
  EXPECT_EQ(run.started()[0].version, "2.1.0");
}

TEST(ReplaySchedules, SkipSkipsAFiringWhileTheLastRunHasNotEnded) {
  ScheduleRun run(record("*/15 * * * *", OverlapPolicy::Skip));
  run.clock(k0915 - 1);
  run.fire_timer();
  run.clock(k0915);
  ASSERT_EQ(run.started().size(), 1u);
  run.fire_timer();
  run.clock(k0930);
  EXPECT_TRUE(run.started().empty()) << "the status must be asked first";
  run.run_status("Running");
  EXPECT_TRUE(run.started().empty());
  const auto published = run.record_now();
  EXPECT_EQ(published.skipped, 1u);
  EXPECT_EQ(published.runs_started, 1u);
  EXPECT_EQ(published.next_fire_ms, k0945);
  EXPECT_FALSE(published.buffered_fire_ms);
}

TEST(ReplaySchedules, SkipStartsTheFiringWhenTheLastRunHasEnded) {
  for (const char* ended : {"Completed", "Failed", "Terminated"}) {
    ScheduleRun run(record("*/15 * * * *", OverlapPolicy::Skip));
    run.clock(k0915 - 1);
    run.fire_timer();
    run.clock(k0915);
    run.fire_timer();
    run.clock(k0930);
    run.run_status(ended);
    ASSERT_EQ(run.started().size(), 1u) << ended;
    EXPECT_EQ(run.started()[0].instance, "report@2026-12-06T09:30:00Z");
    EXPECT_EQ(run.record_now().skipped, 0u);
  }
}

TEST(ReplaySchedules, SuspendedAndContinuingRunsHaveNotEnded) {
  for (const char* going : {"Suspended", "ContinuedAsNew", "Running"}) {
    ScheduleRun run(record("*/15 * * * *", OverlapPolicy::Skip));
    run.clock(k0915 - 1);
    run.fire_timer();
    run.clock(k0915);
    run.fire_timer();
    run.clock(k0930);
    run.run_status(going);
    EXPECT_TRUE(run.started().empty()) << going;
  }
}

TEST(ReplaySchedules, ARunTheStoreDoesNotKnowCountsAsGoingUntilTheGraceRunsOut) {
  ScheduleRun run(record("@every 1m", OverlapPolicy::Skip));
  run.clock(k0900);
  run.fire_timer();
  run.clock(k0900 + kMinute);  // starts the first run
  ASSERT_EQ(run.started().size(), 1u);
  run.fire_timer();
  run.clock(k0900 + 2 * kMinute);
  run.run_status("NotFound");  // its start may still be queued
  EXPECT_TRUE(run.started().empty());
  // Five minutes after its start it is taken as deleted.
  for (int minute = 3; minute <= 5; ++minute) {
    run.fire_timer();
    run.clock(k0900 + minute * kMinute);
    run.run_status("NotFound");
    EXPECT_TRUE(run.started().empty()) << minute;
  }
  run.fire_timer();
  run.clock(k0900 + 6 * kMinute);
  run.run_status("NotFound");
  ASSERT_EQ(run.started().size(), 1u);
  EXPECT_EQ(run.record_now().skipped, 4u);
}

TEST(ReplaySchedules, BufferOneStartsTheBufferedFiringOnceTheLastRunEnds) {
  ScheduleRun run(record("*/15 * * * *", OverlapPolicy::BufferOne));
  run.clock(k0915 - 1);
  run.fire_timer();
  run.clock(k0915);
  run.fire_timer();
  run.clock(k0930);
  run.run_status("Running");
  EXPECT_TRUE(run.started().empty());
  auto published = run.record_now();
  EXPECT_EQ(published.buffered_fire_ms, k0930);
  EXPECT_EQ(published.skipped, 0u);
  // It looks again after 1 s, then 2 s, ...
  EXPECT_EQ(actions<actions::CreateTimer>(run.last())[0].fire_at_ms, k0930 + 1'000);
  run.fire_timer();
  run.clock(k0930 + 1'000);
  run.run_status("Running");
  EXPECT_EQ(actions<actions::CreateTimer>(run.last())[0].fire_at_ms, k0930 + 3'000);
  run.fire_timer();
  run.clock(k0930 + 3'000);
  run.run_status("Completed");
  ASSERT_EQ(run.started().size(), 1u);
  EXPECT_EQ(run.started()[0].instance, "report@2026-12-06T09:30:00Z") << "named after the firing it ran for";
  published = run.record_now();
  EXPECT_FALSE(published.buffered_fire_ms);
  EXPECT_EQ(published.runs_started, 2u);
  EXPECT_EQ(actions<actions::CreateTimer>(run.last())[0].fire_at_ms, k0945);
}

TEST(ReplaySchedules, BufferOneHoldsOneFiringAndSkipsTheOthers) {
  ScheduleRun run(record("@every 1m", OverlapPolicy::BufferOne));
  run.clock(k0900);
  run.fire_timer();
  run.clock(k0900 + kMinute);
  run.fire_timer();
  run.clock(k0900 + 2 * kMinute);
  run.run_status("Running");
  EXPECT_EQ(run.record_now().buffered_fire_ms, k0900 + 2 * kMinute);
  // Still running at the next firing (seen late, the re-check timers having been slow).
  run.fire_timer();
  run.clock(k0900 + 3 * kMinute);
  run.run_status("Running");  // the re-check
  EXPECT_TRUE(run.started().empty());
  const auto published = run.record_now();
  EXPECT_EQ(published.buffered_fire_ms, k0900 + 2 * kMinute) << "the first buffered firing is kept";
  EXPECT_EQ(published.skipped, 1u);
}

TEST(ReplaySchedules, AllowAllStartsEveryFiringWithoutLookingAtTheLastRun) {
  ScheduleRun run(record("*/15 * * * *", OverlapPolicy::AllowAll));
  run.clock(k0915 - 1);
  for (std::uint64_t fire : {k0915, k0930, k0945}) {
    EXPECT_EQ(run.fire_timer(), fire);
    run.clock(fire);
    EXPECT_TRUE(calls(run.last(), kSyscallInstanceStatus).empty());
    ASSERT_EQ(run.started().size(), 1u);
    EXPECT_EQ(run.started()[0].instance, schedule_run_instance_id("report", fire));
  }
  EXPECT_EQ(run.record_now().runs_started, 3u);
}

TEST(ReplaySchedules, FiringsMissedWhileNoRuntimeRanAreRunOnceAndCounted) {
  ScheduleRun run(record("*/15 * * * *", OverlapPolicy::AllowAll));
  run.clock(k0915 - 1);
  run.fire_timer();
  run.clock(k0900 + 61 * kMinute);  // the timer was seen at 10:01
  ASSERT_EQ(run.started().size(), 1u);
  EXPECT_EQ(run.started()[0].instance, "report@2026-12-06T09:15:00Z");
  const auto published = run.record_now();
  EXPECT_EQ(published.skipped, 3u);
  EXPECT_EQ(published.next_fire_ms, k0900 + 75 * kMinute);
}

// ---------------------------------------------------------------- pause and resume

TEST(ReplaySchedules, APauseStopsTheTimerAndWaitsOnlyForControl) {
  ScheduleRun run(record("*/15 * * * *"));
  run.clock(k0900);
  const auto& out = run.control(R"({"op":"pause","reason":"maintenance"})");
  EXPECT_TRUE(actions<actions::CreateTimer>(out).empty());
  EXPECT_EQ(actions<actions::DequeueEvent>(out).size(), 1u);
  EXPECT_TRUE(calls(out, kSyscallUtcNowMs).empty());
  const auto published = run.record_now();
  EXPECT_TRUE(published.paused);
  EXPECT_EQ(published.pause_reason, "maintenance");
  EXPECT_EQ(published.next_fire_ms, 0u);
}

TEST(ReplaySchedules, AResumeFiresFromNowOnWithoutMakingUpThePausedFirings) {
  ScheduleRun run(record("*/15 * * * *"));
  run.clock(k0900);
  run.control(R"({"op":"pause"})");
  run.control(R"({"op":"resume"})");
  EXPECT_FALSE(run.record_now().paused);
  const auto& out = run.clock(k0900 + 50 * kMinute);  // resumed at 09:50: 09:15-09:45 passed
  EXPECT_TRUE(run.started().empty());
  ASSERT_EQ(actions<actions::CreateTimer>(out).size(), 1u);
  EXPECT_EQ(actions<actions::CreateTimer>(out)[0].fire_at_ms, k0900 + 60 * kMinute);
  EXPECT_EQ(run.record_now().skipped, 0u);
}

TEST(ReplaySchedules, AMalformedControlMessageIsIgnored) {
  ScheduleRun run(record("*/15 * * * *"));
  run.clock(k0900);
  run.control("not json");
  EXPECT_FALSE(run.record_now().paused);
  EXPECT_TRUE(is_continue(run.last()));
  // It keeps its schedule: the clock is read again and the timer set for 09:15.
  run.clock(k0900 + 1);
  EXPECT_EQ(actions<actions::CreateTimer>(run.last())[0].fire_at_ms, k0915);
}

// ---------------------------------------------------------------- history length and errors

TEST(ReplaySchedules, AfterItsPassesAnExecutionContinuesAsNewWithTheRecord) {
  ScheduleRun run(record("@every 1s", OverlapPolicy::AllowAll));
  std::uint64_t now = k0900;
  run.clock(now);
  std::uint64_t passes = 1;
  while (is_continue(run.last()) && passes < 2 * schedules::kPassesPerExecution) {
    now = run.fire_timer();
    run.clock(now);
    ++passes;
  }
  const auto* cont = std::get_if<tr::ContinueAsNew>(&run.last().result);
  ASSERT_NE(cont, nullptr) << "no continue-as-new after " << passes << " passes";
  auto carried = schedules::decode_record(cont->input);
  ASSERT_TRUE(carried) << carried.error();
  EXPECT_EQ(passes, schedules::kPassesPerExecution + 1);
  EXPECT_EQ(carried->runs_started, schedules::kPassesPerExecution - 1);
  EXPECT_EQ(carried->next_fire_ms, now) << "the firing now due is the next execution's first";
  EXPECT_TRUE(actions<actions::StartOrchestrationDetached>(run.last()).empty())
      << "a continue-as-new turn starts no run (its starts would be discarded)";
}

TEST(ReplaySchedules, AnInputThatIsNoScheduleFailsTheScheduleWithWhy) {
  TurnDriver driver(&schedules::run_schedule, "{}");
  const auto out = driver.turn();
  const auto details = failure(out);
  ASSERT_TRUE(details);
  EXPECT_NE(details->display_message().find("missing field 'id'"), std::string::npos) << details->display_message();
}

TEST(ReplaySchedules, ASpecThatNoLongerParsesFailsTheScheduleWithWhy) {
  TurnDriver driver(&schedules::run_schedule, schedules::encode_record(record("61 * * * *")));
  const auto details = failure(driver.turn());
  ASSERT_TRUE(details);
  EXPECT_NE(details->display_message().find("schedule report"), std::string::npos) << details->display_message();
}

// ---------------------------------------------------------------- the runtime side

TEST(ReplaySchedules, EveryRuntimeRunsTheScheduleOrchestrationWithoutRegisteringIt) {
  Planner planner;  // an empty registry
  const auto plan = planner.plan({}, {work_items::StartOrchestration{"inst-1",
                                                                     std::string(kScheduleOrchestrationName),
                                                                     schedules::encode_record(record("@hourly")),
                                                                     {},
                                                                     {},
                                                                     {},
                                                                     1}});
  ASSERT_EQ(plan.outcome, runtime::TurnOutcome::Continued) << plan.reason;
  ASSERT_EQ(plan.ack.worker_items.size(), 1u);
  const auto* execute = std::get_if<work_items::ActivityExecute>(&plan.ack.worker_items[0]);
  ASSERT_NE(execute, nullptr);
  EXPECT_EQ(execute->name, kSyscallUtcNowMs);
}

TEST(ReplaySchedules, AScheduleHistoryReplaysOfflineWithoutRegisteringIt) {
  ScheduleRun run(record("*/15 * * * *"));
  run.clock(k0915 - 1);
  run.fire_timer();
  run.clock(k0915);
  auto history = run.driver().history();
  for (auto& e : history) {
    if (auto* started = std::get_if<events::OrchestrationStarted>(&e.kind)) {
      started->name = std::string(kScheduleOrchestrationName);
    }
  }
  const auto report = replay_history(OrchestrationRegistry::builder().build(), history);
  EXPECT_TRUE(report.ok()) << report.error.value_or("") << (report.mismatch ? " (a mismatch)" : "");
}

}  // namespace
}  // namespace duroxide::testing
