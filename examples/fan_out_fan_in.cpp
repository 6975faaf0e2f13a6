// fan_out_fan_in: process a batch of items in parallel and gather the results, tolerating the
// items that fail. Each item is its own activity; join waits for all of them.
//
//   fan_out_fan_in [STORE-URL]     (sqlite:PATH or postgres://…; default: a private in-memory store)
#include <cstdio>

#include "example_support.hpp"

using namespace duroxide;

Task<Result<std::string>> process_batch(OrchestrationContext ctx, std::string input) {
  const int count = std::stoi(input);
  std::vector<DurableFuture<Result<std::string>>> items;
  for (int i = 1; i <= count; ++i) items.push_back(ctx.schedule_activity("ProcessItem", "item-" + std::to_string(i)));
  auto results = co_await OrchestrationContext::join(std::move(items));

  // Failures are values, not exceptions: count them and keep going.
  int processed = 0;
  std::string failures;
  for (const auto& result : results) {
    if (result) {
      ++processed;
    } else {
      failures += (failures.empty() ? "" : "; ") + result.error();
    }
  }
  co_return "processed " + std::to_string(processed) + " of " + std::to_string(count) + " items" +
      (failures.empty() ? "" : "; failed: " + failures);
}

int main(int argc, char** argv) {
  auto store = example::open_store(argc, argv);
  auto activities = ActivityRegistry::builder()
                        .add("ProcessItem",
                             [](ActivityContext&, std::string item) -> Result<std::string> {
                               if (item == "item-3") return Err(item + " is malformed");
                               return item + " ok";
                             })
                        .build();
  auto orchestrations = OrchestrationRegistry::builder().add("ProcessBatch", process_batch).build();
  auto runtime = Runtime::start(store, activities, orchestrations);
  Client client(store);

  example::check(client.start_orchestration("batch-1", "ProcessBatch", "5"), "start");
  std::printf("%s\n", example::outcome(client, "batch-1").c_str());
  runtime->shutdown();
  return 0;
}
