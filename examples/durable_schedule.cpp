// durable_schedule: start an orchestration again and again on a schedule (docs/schedules.md).
// A schedule "heartbeat" runs the orchestration CheckHealth every second; the example waits for
// three runs, pauses the schedule, lists it, and deletes it. The schedule is itself an
// orchestration: it survives restarts, and any runtime on the store carries it on.
//
//   durable_schedule [STORE-URL]   sqlite:PATH (default sqlite:durable_schedule.db) or postgres://…
#include <cstdio>
#include <thread>

#include <duroxide/duroxide.hpp>

using namespace duroxide;
using namespace std::chrono_literals;

Task<Result<std::string>> check_health(OrchestrationContext ctx, std::string service) {
  co_return co_await ctx.schedule_activity("Ping", service);
}

/// Polls (the example's only waiting loop) until `done` says yes or 20 s have passed.
template <class Done>
bool poll_until(Done done) {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

int main(int argc, char** argv) {
  const std::string url = argc > 1 ? argv[1] : "sqlite:durable_schedule.db";
  auto store = open_store(url);
  if (!store) {
    std::fprintf(stderr, "cannot open %s: %s\n", url.c_str(), store.error().to_string().c_str());
    return 1;
  }
  auto activities =
      ActivityRegistry::builder()
          .add("Ping", [](ActivityContext&, std::string service) -> Result<std::string> { return service + " is up"; })
          .build();
  // No registration is needed for the schedule itself: every runtime runs it.
  auto runtime =
      Runtime::start(*store, activities, OrchestrationRegistry::builder().add("CheckHealth", check_health).build());
  Client client(*store);

  // Every second (a cron expression such as "*/5 * * * *" works the same way, in UTC); a firing
  // that comes while the last run is still going is skipped.
  if (auto created = client.create_schedule("heartbeat", "@every 1s", "CheckHealth", "billing", OverlapPolicy::Skip);
      !created) {
    std::fprintf(stderr, "create_schedule: %s\n", created.error().to_string().c_str());
    return 1;
  }
  std::printf("created schedule heartbeat (@every 1s)\n");

  ScheduleInfo info;
  const bool three_runs = poll_until([&] {
    auto read = client.get_schedule("heartbeat");  // InstanceNotFound until a runtime has taken it up
    if (read) info = *read;
    return read && info.runs_started >= 3;
  });
  if (!three_runs) {
    std::fprintf(stderr, "the schedule did not fire three times\n");
    return 1;
  }
  // Each run is an instance of its own, named after the schedule and its firing time.
  auto last = client.wait_for_orchestration(*info.last_run_instance, 10s);
  if (!last || !last->is_completed()) {
    std::fprintf(stderr, "the last run did not complete\n");
    return 1;
  }
  std::printf("3 runs started; the last (heartbeat@<firing time>) said: %s\n",
              last->get_if<status::Completed>()->output.c_str());

  (void)client.pause_schedule("heartbeat", "maintenance window");
  poll_until([&] { return client.get_schedule("heartbeat")->status == ScheduleStatus::Paused; });
  for (const auto& schedule : client.list_schedules().value_or(std::vector<ScheduleInfo>{})) {
    std::printf("%s: %s, %s, starts %s\n", schedule.id.c_str(), std::string(to_string(schedule.status)).c_str(),
                schedule.spec.c_str(), schedule.orchestration.c_str());
  }

  (void)client.delete_schedule("heartbeat");
  poll_until([&] { return client.get_schedule("heartbeat")->status == ScheduleStatus::Deleted; });
  std::printf("deleted; schedules left: %zu\n", client.list_schedules().value_or(std::vector<ScheduleInfo>{}).size());
  runtime->shutdown();
  return 0;
}
