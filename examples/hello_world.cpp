// hello_world: the smallest durable workflow. An orchestration calls one activity and returns its
// result; every step is recorded in the store, so a crash at any point would resume here.
//
//   hello_world [STORE-URL]     sqlite:PATH (default sqlite:hello_world.db) or postgres://…
#include <cstdio>

#include <duroxide/duroxide.hpp>

using namespace duroxide;
using namespace std::chrono_literals;

// Orchestrations are coroutines: deterministic code that awaits durable steps.
Task<Result<std::string>> hello(OrchestrationContext ctx, std::string name) {
  auto greeting = co_await ctx.schedule_activity("Greet", name);
  if (!greeting) co_return Err(greeting.error());
  co_return *greeting;
}

int main(int argc, char** argv) {
  const std::string url = argc > 1 ? argv[1] : "sqlite:hello_world.db";
  auto store = open_store(url);
  if (!store) {
    std::fprintf(stderr, "cannot open %s: %s\n", url.c_str(), store.error().to_string().c_str());
    return 1;
  }

  // Activities do the real work, on worker threads.
  auto activities =
      ActivityRegistry::builder()
          .add("Greet",
               [](ActivityContext&, std::string name) -> Result<std::string> { return "Hello, " + name + "!"; })
          .build();
  auto orchestrations = OrchestrationRegistry::builder().add("HelloWorld", hello).build();
  auto runtime = Runtime::start(*store, activities, orchestrations);

  // The client talks to the runtime only through the store.
  Client client(*store);
  const std::string instance = "hello-" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  if (auto started = client.start_orchestration(instance, "HelloWorld", "World"); !started) {
    std::fprintf(stderr, "start failed: %s\n", started.error().to_string().c_str());
    return 1;
  }
  auto status = client.wait_for_orchestration(instance, 10s);
  runtime->shutdown();
  if (!status || !status->is_completed()) {
    std::fprintf(stderr, "orchestration did not complete: %s\n",
                 status ? std::string(status->name()).c_str() : status.error().to_string().c_str());
    return 1;
  }
  std::printf("%s\n", status->get_if<status::Completed>()->output.c_str());
  return 0;
}
