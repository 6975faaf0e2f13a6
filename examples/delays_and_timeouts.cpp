// delays_and_timeouts: durable timers used correctly. A delay is a timer you await (never a sleep
// in orchestration code: it would not survive a restart and would block replay). A timeout is a
// select2 between the work and a timer.
//
//   delays_and_timeouts [STORE-URL]     (sqlite:PATH or postgres://…; default: a private in-memory store)
#include <cstdio>
#include <thread>

#include "example_support.hpp"

using namespace duroxide;
using namespace std::chrono_literals;

Task<Result<std::string>> with_timeouts(OrchestrationContext ctx, std::string) {
  // A delay: recorded in history, so a restart resumes with the remaining time only.
  co_await ctx.schedule_timer(100ms);

  auto fast = co_await OrchestrationContext::select2(ctx.schedule_activity("Work", "fast"), ctx.schedule_timer(5s));
  std::string report = fast.is_first() ? "fast work: " + fast.first_value().value_or("error") : "fast work: timed out";

  auto slow = co_await OrchestrationContext::select2(ctx.schedule_activity("Work", "slow"), ctx.schedule_timer(200ms));
  report += slow.is_first() ? "; slow work: finished" : "; slow work: timed out";
  co_return report;
}

int main(int argc, char** argv) {
  auto store = example::open_store(argc, argv);
  auto activities = ActivityRegistry::builder()
                        .add("Work",
                             [](ActivityContext& ctx, std::string speed) -> Result<std::string> {
                               if (speed == "slow") {
                                 // Long work should watch its stop token: the runtime cancels it
                                 // once the orchestration no longer waits for it.
                                 for (int i = 0; i < 300 && !ctx.is_cancelled(); ++i) std::this_thread::sleep_for(10ms);
                               }
                               return "done";
                             })
                        .build();
  auto orchestrations = OrchestrationRegistry::builder().add("WithTimeouts", with_timeouts).build();
  RuntimeOptions options;
  options.activity_cancellation_grace_period = 1s;
  auto runtime = Runtime::start(store, activities, orchestrations, options);
  Client client(store);

  example::check(client.start_orchestration("timeouts-1", "WithTimeouts", ""), "start");
  std::printf("%s\n", example::outcome(client, "timeouts-1").c_str());
  runtime->shutdown();
  return 0;
}
