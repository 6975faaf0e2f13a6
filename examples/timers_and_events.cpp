// timers_and_events: a human-in-the-loop approval. The workflow waits for an "Approval" event but
// gives up after a timeout; select2 takes whichever comes first (the loser is cancelled).
//
//   timers_and_events [STORE-URL]     (sqlite:PATH or postgres://…; default: a private in-memory store)
#include <cstdio>

#include "example_support.hpp"

using namespace duroxide;
using namespace std::chrono_literals;

Task<Result<std::string>> approval(OrchestrationContext ctx, std::string order) {
  ctx.set_custom_status("waiting for approval");
  auto approved = ctx.schedule_wait("Approval");
  auto timeout = ctx.schedule_timer(order == "order-2" ? 200ms : 30s);
  auto winner = co_await OrchestrationContext::select2(std::move(approved), std::move(timeout));
  if (winner.is_first()) co_return order + ": approved by " + winner.first_value();
  co_return order + ": timed out waiting for approval";
}

int main(int argc, char** argv) {
  auto store = example::open_store(argc, argv);
  auto orchestrations = OrchestrationRegistry::builder().add("Approval", approval).build();
  auto runtime = Runtime::start(store, ActivityRegistry::builder().build(), orchestrations);
  Client client(store);

  example::check(client.start_orchestration("order-1", "Approval", "order-1"), "start");
  example::check(client.start_orchestration("order-2", "Approval", "order-2"), "start");

  // Raise the event once the workflow is waiting for it (custom status says so).
  example::check(client.wait_for_status_change("order-1", 0, 10ms, 10s), "wait_for_status_change");
  example::check(client.raise_event("order-1", "Approval", "alice"), "raise_event");

  std::printf("%s\n", example::outcome(client, "order-1").c_str());
  std::printf("%s\n", example::outcome(client, "order-2").c_str());
  runtime->shutdown();
  return 0;
}
