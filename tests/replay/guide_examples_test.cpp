// The orchestration guide's example orchestrations, driven turn by turn through the engine, plus
// the deep-replay stack check (replaying 10,000 completed awaits must not grow the stack).
#include "replay/turn_driver.hpp"

namespace duroxide::testing {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using Ctx = OrchestrationContext;

std::uint64_t scheduled_id(const TurnOutput& out, const std::string& name) {
  for (const auto& action : out.pending_actions)
    if (auto* call = std::get_if<actions::CallActivity>(&action); call && call->name == name)
      return call->scheduling_event_id;
  ADD_FAILURE() << "no activity " << name;
  return 0;
}

// Function chaining: each step's output feeds the next.
Task<Result<std::string>> process_order(Ctx ctx, std::string order) {
  auto validated = co_await ctx.schedule_activity("Validate", order);
  if (!validated) co_return Err(validated.error());
  auto charged = co_await ctx.schedule_activity("Charge", *validated);
  if (!charged) co_return Err(charged.error());
  auto shipped = co_await ctx.schedule_activity("Ship", *charged);
  if (!shipped) co_return Err(shipped.error());
  co_return *shipped;
}

TEST(ReplayGuideExamples, FunctionChaining) {
  TurnDriver driver(process_order, "order-1");
  auto out = driver.turn();
  out = driver.turn({activity_ok(scheduled_id(out, "Validate"), "valid")});
  out = driver.turn({activity_ok(scheduled_id(out, "Charge"), "charged")});
  EXPECT_EQ(std::get<actions::CallActivity>(out.pending_actions[0]).input, "charged");
  out = driver.turn({activity_ok(scheduled_id(out, "Ship"), "tracking-42")});
  EXPECT_EQ(completed_output(out), "tracking-42");
}

// Fan-out/fan-in: one activity per item, joined, results aggregated in item order.
Task<Result<std::string>> fan_out(Ctx ctx, std::string) {
  std::vector<DurableFuture<Result<std::string>>> work;
  for (int i = 1; i <= 5; ++i) work.push_back(ctx.schedule_activity("Square", std::to_string(i)));
  int total = 0;
  for (auto& r : co_await Ctx::join(std::move(work))) {
    if (!r) co_return Err(r.error());
    total += std::stoi(*r);
  }
  co_return std::to_string(total);
}

TEST(ReplayGuideExamples, FanOutFanIn) {
  TurnDriver driver(fan_out);
  auto out = driver.turn();
  ASSERT_EQ(out.pending_actions.size(), 5u);
  // Completions arrive out of order over two turns.
  EXPECT_TRUE(is_continue(driver.turn({activity_ok(6, "25"), activity_ok(2, "1")})));
  out = driver.turn({activity_ok(4, "9"), activity_ok(3, "4"), activity_ok(5, "16")});
  EXPECT_EQ(completed_output(out), "55");
}

// Human in the loop with timeout: approval event raced against a timer.
Task<Result<std::string>> approval(Ctx ctx, std::string request) {
  co_await ctx.schedule_activity("RequestApproval", request);
  auto race = co_await Ctx::select2(ctx.schedule_wait("ApprovalEvent"), ctx.schedule_timer(hours(24)));
  if (race.is_first()) co_return "approved:" + race.first_value();
  co_await ctx.schedule_activity("Escalate", request);
  co_return "timed_out";
}

TEST(ReplayGuideExamples, HumanInTheLoopApproved) {
  TurnDriver driver(approval, "req");
  driver.turn();
  auto out = driver.turn({activity_ok(2, "sent")});
  EXPECT_EQ(events_of<events::ExternalSubscribed>(out.history_delta).size(), 1u);
  out = driver.turn({raised("ApprovalEvent", "yes")});
  EXPECT_EQ(completed_output(out), "approved:yes");
}

TEST(ReplayGuideExamples, HumanInTheLoopTimesOut) {
  TurnDriver driver(approval, "req");
  driver.turn();
  driver.turn({activity_ok(2, "sent")});
  auto out = driver.turn({timer_fired(5)});
  EXPECT_EQ(events_of<events::ExternalSubscribedCancelled>(out.history_delta).size(), 1u);
  out = driver.turn({raised("ApprovalEvent", "too late"), activity_ok(scheduled_id(out, "Escalate"), "")});
  EXPECT_EQ(completed_output(out), "timed_out");
}

// Saga: on failure, compensate completed steps in reverse order.
Task<Result<std::string>> saga(Ctx ctx, std::string) {
  std::vector<std::string> done;
  for (const char* step : {"ReserveFlight", "ReserveHotel", "ReserveCar"}) {
    auto r = co_await ctx.schedule_activity(step, "trip");
    if (!r) {
      for (auto it = done.rbegin(); it != done.rend(); ++it) co_await ctx.schedule_activity("Undo" + *it, "trip");
      co_return Err(std::string("saga rolled back after ") + step + ": " + r.error());
    }
    done.emplace_back(step);
  }
  co_return "booked";
}

TEST(ReplayGuideExamples, SagaCompensatesInReverseOrder) {
  TurnDriver driver(saga);
  auto out = driver.turn();
  out = driver.turn({activity_ok(2, "f")});
  out = driver.turn({activity_ok(4, "h")});
  out = driver.turn({activity_err(6, "no cars")});
  EXPECT_EQ(std::get<actions::CallActivity>(out.pending_actions.at(0)).name, "UndoReserveHotel");
  out = driver.turn({activity_ok(scheduled_id(out, "UndoReserveHotel"), "")});
  EXPECT_EQ(std::get<actions::CallActivity>(out.pending_actions.at(0)).name, "UndoReserveFlight");
  out = driver.turn({activity_ok(scheduled_id(out, "UndoReserveFlight"), "")});
  EXPECT_EQ(*failure(out), ErrorDetails::orchestration_failed("saga rolled back after ReserveCar: no cars"));
}

// Eternal loop with continue-as-new: process a batch, then restart with the new cursor.
Task<Result<std::string>> monitor(Ctx ctx, std::string cursor) {
  const int position = std::stoi(cursor);
  if (position >= 3) co_return "finished at " + cursor;
  co_await ctx.schedule_activity("Poll", cursor);
  co_await ctx.schedule_timer(seconds(60));
  co_await ctx.continue_as_new(std::to_string(position + 1));
  co_return "unreachable";
}

TEST(ReplayGuideExamples, ContinueAsNewLoop) {
  std::string input = "0";
  for (int generation = 0; generation < 3; ++generation) {
    TurnDriver execution(monitor, input);  // each execution starts with a fresh history
    execution.turn();
    execution.turn({activity_ok(2, "")});
    auto out = execution.turn({timer_fired(4)});
    input = std::get<tr::ContinueAsNew>(out.result).input;
    EXPECT_EQ(input, std::to_string(generation + 1));
  }
  TurnDriver last(monitor, input);
  EXPECT_EQ(completed_output(last.turn()), "finished at 3");
}

// Replaying a long history resumes thousands of ready awaits in a row; the stack must not grow
// with their number (ASan builds would overflow quickly otherwise).
TEST(ReplayDeepHistory, TenThousandCompletedActivitiesReplayWithoutStackGrowth) {
  constexpr int kSteps = 10000;
  auto code = [](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto nested = [](Ctx c, int i) -> Task<std::string> {
      co_return *co_await c.schedule_activity("Step", std::to_string(i));
    };
    std::size_t total = 0;
    for (int i = 0; i < kSteps; ++i) {
      if (i % 2 == 0) {
        total += (co_await ctx.schedule_activity("Step", std::to_string(i)))->size();
      } else {
        total += (co_await nested(ctx, i)).size();
      }
    }
    co_return std::to_string(total);
  };
  std::vector<Event> history{started()};
  std::uint64_t id = 2;
  for (int i = 0; i < kSteps; ++i) {
    history.push_back(ev(id, events::ActivityScheduled{"Step", std::to_string(i), {}, {}}));
    history.push_back(ev(id + 1, events::ActivityCompleted{"ok"}, id));
    id += 2;
  }
  TurnDriver driver(code);
  auto out = driver.replay(history);
  EXPECT_EQ(completed_output(out), std::to_string(2 * kSteps));
  EXPECT_TRUE(out.history_delta.empty());
}

}  // namespace
}  // namespace duroxide::testing
