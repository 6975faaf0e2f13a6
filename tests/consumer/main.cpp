// Uses the installed headers and library as an application would: runs an orchestration with one
// activity to completion on the SQLite store, then round-trips its history through the JSON wire
// format.
#include <chrono>
#include <cstdio>

#include <duroxide/duroxide.hpp>

using namespace duroxide;

namespace {

Task<Result<std::string>> greet_twice(OrchestrationContext ctx, std::string name) {
  auto first = co_await ctx.schedule_activity("Greet", name);
  if (!first) co_return Err(first.error());
  auto second = co_await ctx.schedule_activity("Greet", *first);
  if (!second) co_return Err(second.error());
  co_return *second;
}

}  // namespace

int main() {
  auto store = SqliteProvider::open_in_memory();
  if (!store) {
    std::fprintf(stderr, "cannot open the store: %s\n", store.error().to_string().c_str());
    return 1;
  }
  auto activities =
      ActivityRegistry::builder()
          .add("Greet", [](ActivityContext&, std::string name) -> Result<std::string> { return "hello " + name; })
          .build();
  auto orchestrations = OrchestrationRegistry::builder().add("GreetTwice", greet_twice).build();
  auto runtime = Runtime::start(*store, activities, orchestrations);
  Client client(*store);
  if (!client.start_orchestration("consumer-1", "GreetTwice", "world")) {
    std::fprintf(stderr, "start failed\n");
    return 1;
  }
  auto status = client.wait_for_orchestration("consumer-1", std::chrono::seconds(60));
  runtime->shutdown();
  if (!status || !status->is_completed() || status->get_if<status::Completed>()->output != "hello hello world") {
    std::fprintf(stderr, "the orchestration did not complete with 'hello hello world'\n");
    return 1;
  }
  auto history = (*store)->read("consumer-1");
  if (!history || history->empty()) {
    std::fprintf(stderr, "no history\n");
    return 1;
  }
  for (const auto& event : *history) {
    auto parsed = parse_event(serialize_event(event));
    if (!parsed || *parsed != event) {
      std::fprintf(stderr, "round trip failed\n");
      return 1;
    }
  }
  std::printf("consumer ok: %s after %zu events\n", status->get_if<status::Completed>()->output.c_str(),
              history->size());
  return 0;
}
