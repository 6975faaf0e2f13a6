// terminate_instance: end a stuck instance and its children at once (docs/terminate.md).
// A batch starts two parts as sub-orchestrations; each waits for a sign-off that will never come.
// An operator terminates the batch: it ends Terminated without running its code again, and its
// parts are terminated with it. Cancelling instead would have let the code run its clean-up.
//
//   terminate_instance [STORE-URL]   sqlite:PATH (default sqlite:terminate_instance.db) or postgres://…
#include <cstdio>

#include <duroxide/duroxide.hpp>

using namespace duroxide;
using namespace std::chrono_literals;

// One part: waits for its sign-off.
Task<Result<std::string>> part(OrchestrationContext ctx, std::string name) {
  auto signed_off = co_await ctx.schedule_wait("SignOff");
  co_return name + " signed off by " + signed_off;
}

// The batch: starts its parts, says so in its custom status, and waits for both.
Task<Result<std::string>> batch(OrchestrationContext ctx, std::string id) {
  auto first = ctx.schedule_sub_orchestration_with_id("Part", id + "-part-1", "part 1");
  auto second = ctx.schedule_sub_orchestration_with_id("Part", id + "-part-2", "part 2");
  ctx.set_custom_status("waiting for 2 parts");
  auto both = co_await OrchestrationContext::join2(std::move(first), std::move(second));
  auto& [a, b] = both;
  if (!a || !b) co_return Err("a part failed");
  co_return *a + "; " + *b;
}

void print_status(const Client& client, const std::string& instance) {
  auto status = client.get_orchestration_status(instance);
  if (!status) {
    std::printf("%s: %s\n", instance.c_str(), status.error().to_string().c_str());
  } else if (const auto* terminated = status->get_if<status::Terminated>()) {
    std::printf("%s: Terminated (%s)\n", instance.c_str(), terminated->reason.c_str());
  } else {
    std::printf("%s: %s\n", instance.c_str(), std::string(status->name()).c_str());
  }
}

int main(int argc, char** argv) {
  const std::string url = argc > 1 ? argv[1] : "sqlite:terminate_instance.db";
  auto store = open_store(url);
  if (!store) {
    std::fprintf(stderr, "cannot open %s: %s\n", url.c_str(), store.error().to_string().c_str());
    return 1;
  }
  auto orchestrations = OrchestrationRegistry::builder().add("Batch", batch).add("Part", part).build();
  auto runtime = Runtime::start(*store, ActivityRegistry::builder().build(), orchestrations);
  Client client(*store);

  const std::string id = "batch-" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  if (auto started = client.start_orchestration(id, "Batch", id); !started) {
    std::fprintf(stderr, "start failed: %s\n", started.error().to_string().c_str());
    return 1;
  }
  // The custom status says the parts were started.
  if (auto running = client.wait_for_status_change(id, 0, 10ms, 10s); !running || !running->is_running()) {
    std::fprintf(stderr, "the batch did not start its parts\n");
    return 1;
  }
  print_status(client, id);

  // The operator's decision: this batch is superseded. Its parts go with it (the default).
  if (auto terminated = client.terminate_instance(id, "superseded by a newer batch"); !terminated) {
    std::fprintf(stderr, "terminate failed: %s\n", terminated.error().to_string().c_str());
    return 1;
  }
  bool all_terminated = true;
  for (const auto& instance : {id, id + "-part-1", id + "-part-2"}) {
    auto status = client.wait_for_orchestration(instance, 10s);
    all_terminated = all_terminated && status && status->is_terminated();
    print_status(client, instance);
  }
  runtime->shutdown();
  return all_terminated ? 0 : 1;
}
