// metrics_cli: what an operator sees through the client's management API: system metrics, queue
// depths, every instance with its status, and one instance's executions. Runs a few workflows
// first so there is something to show; point it at an existing store to inspect that instead.
//
//   metrics_cli [STORE-URL]     (sqlite:PATH or postgres://…; default: a private in-memory store)
#include <cstdio>

#include "example_support.hpp"

using namespace duroxide;

Task<Result<std::string>> step(OrchestrationContext ctx, std::string input) {
  const int n = std::stoi(input);
  if (n < 0) co_return Err("negative input");
  if (n > 0) co_await ctx.continue_as_new(std::to_string(n - 1));  // one execution per step
  co_return "done";
}

int main(int argc, char** argv) {
  auto store = example::open_store(argc, argv);
  {
    auto runtime = Runtime::start(store, ActivityRegistry::builder().build(),
                                  OrchestrationRegistry::builder().add("Step", step).build());
    Client client(store);
    example::check(client.start_orchestration("job-a", "Step", "2"), "start");
    example::check(client.start_orchestration("job-b", "Step", "0"), "start");
    example::check(client.start_orchestration("job-c", "Step", "-1"), "start");
    for (const char* id : {"job-a", "job-b", "job-c"}) (void)example::outcome(client, id);
    runtime->shutdown();
  }

  Client client(store);
  const auto metrics = example::check(client.get_system_metrics(), "get_system_metrics");
  std::printf(
      "total_instances: %llu\ntotal_executions: %llu\nrunning: %llu\ncompleted: %llu\nfailed: %llu\n"
      "total_events: %llu\n",
      static_cast<unsigned long long>(metrics.total_instances),
      static_cast<unsigned long long>(metrics.total_executions),
      static_cast<unsigned long long>(metrics.running_instances),
      static_cast<unsigned long long>(metrics.completed_instances),
      static_cast<unsigned long long>(metrics.failed_instances), static_cast<unsigned long long>(metrics.total_events));
  const auto depths = example::check(client.get_queue_depths(), "get_queue_depths");
  std::printf("orchestrator_queue: %llu\nworker_queue: %llu\n",
              static_cast<unsigned long long>(depths.orchestrator_queue),
              static_cast<unsigned long long>(depths.worker_queue));
  for (const auto& id : example::check(client.list_all_instances(), "list_all_instances")) {
    const auto info = example::check(client.get_instance_info(id), "get_instance_info");
    const std::string status(info.status ? duroxide::to_string(*info.status) : "unknown");
    std::printf("%s  %s %s  %s  executions: %llu\n", id.c_str(), info.orchestration_name.c_str(),
                info.orchestration_version.c_str(), status.c_str(),
                static_cast<unsigned long long>(info.current_execution_id));
  }
  return 0;
}
