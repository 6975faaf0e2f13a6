// offline_replay: catch a nondeterministic change before it is deployed (docs/offline-replay.md).
// Version 1 of an orchestration runs an order through a store; its history is exported to a JSON
// file, the way `duroxide history ID --json > FILE` exports one from production. That file is then
// replayed, with no store and no runtime, against version 1 (deterministic) and against a version 2
// that reordered two steps, which would break every order still in flight: the report names the
// recorded event and what the new code did there instead.
//
//   offline_replay [STORE-URL] [HISTORY-FILE]   sqlite:PATH (default sqlite:offline_replay.db) or
//                                               postgres://…; the file defaults to offline_replay.json
#include <cstdio>
#include <fstream>

#include <duroxide/duroxide.hpp>
#include <duroxide/offline_replay.hpp>
#include <duroxide/wire.hpp>

using namespace duroxide;
using namespace std::chrono_literals;

// Version 1: reserve the stock, then charge the card.
Task<Result<std::string>> process_order_v1(OrchestrationContext ctx, std::string order) {
  auto reserved = co_await ctx.schedule_activity("Reserve", order);
  if (!reserved) co_return Err(reserved.error());
  auto charged = co_await ctx.schedule_activity("Charge", order);
  if (!charged) co_return Err(charged.error());
  co_return *reserved + ", " + *charged;
}

// Version 2 charges first: harmless for new orders, nondeterministic for the ones recorded by v1.
Task<Result<std::string>> process_order_v2(OrchestrationContext ctx, std::string order) {
  auto charged = co_await ctx.schedule_activity("Charge", order);
  if (!charged) co_return Err(charged.error());
  auto reserved = co_await ctx.schedule_activity("Reserve", order);
  if (!reserved) co_return Err(reserved.error());
  co_return *reserved + ", " + *charged;
}

int main(int argc, char** argv) {
  const std::string url = argc > 1 ? argv[1] : "sqlite:offline_replay.db";
  const std::string file = argc > 2 ? argv[2] : "offline_replay.json";
  auto store = open_store(url);
  if (!store) {
    std::fprintf(stderr, "cannot open %s: %s\n", url.c_str(), store.error().to_string().c_str());
    return 1;
  }

  // 1. Production, version 1: one order runs to completion.
  auto activities =
      ActivityRegistry::builder()
          .add("Reserve",
               [](ActivityContext&, std::string order) -> Result<std::string> { return "reserved " + order; })
          .add("Charge", [](ActivityContext&, std::string order) -> Result<std::string> { return "charged " + order; })
          .build();
  const auto v1 = OrchestrationRegistry::builder().add("ProcessOrder", process_order_v1).build();
  auto runtime = Runtime::start(*store, activities, v1);
  Client client(*store);
  const std::string instance = "order-" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  if (auto started = client.start_orchestration(instance, "ProcessOrder", "A-17"); !started) {
    std::fprintf(stderr, "start failed: %s\n", started.error().to_string().c_str());
    return 1;
  }
  auto status = client.wait_for_orchestration(instance, 10s);
  runtime->shutdown();
  if (!status || !status->is_completed()) {
    std::fprintf(stderr, "the order did not complete\n");
    return 1;
  }

  // 2. Export its history as a test fixture (what `duroxide history ID --json` writes, too).
  auto history = client.read_execution_history(instance, 1);
  if (!history) {
    std::fprintf(stderr, "cannot read the history: %s\n", history.error().to_string().c_str());
    return 1;
  }
  std::ofstream(file) << serialize_history(*history);
  std::printf("exported %zu events of the order to %s\n", history->size(), file.c_str());

  // 3. Before a deploy (in CI): replay the fixture against each version of the code.
  auto fixture = load_history_file(file);
  if (!fixture) {
    std::fprintf(stderr, "%s\n", fixture.error().c_str());
    return 1;
  }
  const auto v2 = OrchestrationRegistry::builder().add("ProcessOrder", process_order_v2).build();
  const auto with_v1 = replay_history(v1, *fixture);
  const auto with_v2 = replay_history(v2, *fixture);
  std::printf("v1: %s\nv2: %s\n", with_v1.ok() ? "deterministic" : with_v1.to_string().c_str(),
              with_v2.ok() ? "deterministic" : with_v2.to_string().c_str());
  return with_v1.ok() && !with_v2.ok() ? 0 : 1;
}
