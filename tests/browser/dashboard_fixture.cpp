// The browser test's store (tests/browser/dashboard.test.cjs): starts a Runtime on a fresh SQLite
// file, writes known instances, prints "ready" once they are in the states the test expects, and
// keeps the runtime running (so that an event raised through the page completes its instance)
// until its standard input closes: the test's end, or the test process dying.
//
//   dashboard_fixture sqlite:PATH
//
// The instances:
//   fanout-1        FanOut, Completed: three "Square" activities at once, then a 150 ms timer
//   approval-1      Approval, Running: custom status and KV set, waits for the event "Approve"
//   xss-1           Markup, Completed: output, custom status and a KV value that are HTML
//   parent-1        Parent, Completed, with the sub-orchestration parent-1-child
// and the orchestration Flaky, which the test starts: its activity fails the first time it runs
// and succeeds once rewound.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <duroxide/duroxide.hpp>

using namespace duroxide;
using namespace std::chrono_literals;

namespace {

/// Stops a hung set-up; not a performance bound.
constexpr auto kHangGuard = std::chrono::milliseconds(120s);

Task<Result<std::string>> fan_out(OrchestrationContext ctx, std::string) {
  std::vector<DurableFuture<Result<std::string>>> squares;
  for (const char* n : {"2", "3", "4"}) squares.push_back(ctx.schedule_activity("Square", n));
  auto results = co_await OrchestrationContext::join(std::move(squares));
  int sum = 0;
  for (auto& result : results) {
    if (!result) co_return Err(result.error());
    sum += std::stoi(*result);
  }
  co_await ctx.schedule_timer(std::chrono::milliseconds(150));
  co_return "sum of squares: " + std::to_string(sum);
}

Task<Result<std::string>> approval(OrchestrationContext ctx, std::string) {
  ctx.set_custom_status("waiting for approval");
  ctx.set_kv_value("stage", "waiting");
  auto decision = co_await ctx.schedule_wait("Approve");
  co_return "approved: " + decision;
}

Task<Result<std::string>> markup(OrchestrationContext ctx, std::string) {
  ctx.set_custom_status("<img src=x onerror=alert(2)>");
  ctx.set_kv_value("html", "<b>bold</b>");
  co_return std::string("<script>alert(1)</script>");
}

Task<Result<std::string>> child(OrchestrationContext, std::string input) { co_return "child saw " + input; }

Task<Result<std::string>> parent(OrchestrationContext ctx, std::string input) {
  auto result = co_await ctx.schedule_sub_orchestration_with_id("Child", "parent-1-child", input);
  if (!result) co_return Err(result.error());
  co_return "parent got: " + *result;
}

/// Set once FailsOnce has failed: the "bug" is then fixed.
std::atomic<bool> g_failed_once{false};

Task<Result<std::string>> flaky(OrchestrationContext ctx, std::string input) {
  auto result = co_await ctx.schedule_activity("FailsOnce", input);
  if (!result) co_return Err(result.error());
  co_return *result;
}

void check(const ClientResult<void>& result, const char* what) {
  if (!result) throw std::runtime_error(std::string(what) + ": " + result.error().to_string());
}

void expect_completed(const Client& client, const char* id) {
  auto status = client.wait_for_orchestration(id, kHangGuard);
  if (!status || !status->is_completed()) throw std::runtime_error(std::string(id) + " did not complete");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: dashboard_fixture sqlite:PATH\n");
    return 2;
  }
  try {
    auto store = open_store(argv[1]);
    if (!store) throw std::runtime_error(store.error().to_string());
    auto activities = ActivityRegistry::builder()
                          .add("Square",
                               [](ActivityContext&, std::string n) -> Result<std::string> {
                                 const int value = std::stoi(n);
                                 return std::to_string(value * value);
                               })
                          .add("FailsOnce",
                               [](ActivityContext&, std::string input) -> Result<std::string> {
                                 if (!g_failed_once.exchange(true)) return Err("a bug, fixed since");
                                 return "recovered: " + input;
                               })
                          .build();
    auto orchestrations = OrchestrationRegistry::builder()
                              .add("FanOut", fan_out)
                              .add("Approval", approval)
                              .add("Markup", markup)
                              .add("Parent", parent)
                              .add("Child", child)
                              .add("Flaky", flaky)
                              .build();
    RuntimeOptions options;
    options.dispatcher_min_poll_interval = std::chrono::milliseconds(10);
    auto runtime = Runtime::start(*store, activities, orchestrations, options);
    Client client(*store);

    check(client.start_orchestration("fanout-1", "FanOut", ""), "start fanout-1");
    check(client.start_orchestration("approval-1", "Approval", "order 7"), "start approval-1");
    check(client.start_orchestration("xss-1", "Markup", "<i>input</i>"), "start xss-1");
    check(client.start_orchestration("parent-1", "Parent", "p"), "start parent-1");
    expect_completed(client, "fanout-1");
    expect_completed(client, "xss-1");
    expect_completed(client, "parent-1");
    // approval-1 waits once its first turn committed: that turn sets the custom status.
    auto waiting = client.wait_for_status_change("approval-1", 0, 10ms, kHangGuard);
    if (!waiting || !waiting->is_running()) throw std::runtime_error("approval-1 is not waiting");

    std::cout << "ready" << std::endl;
    for (std::string line; std::getline(std::cin, line);) {
    }
    runtime->shutdown(5s);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "dashboard_fixture: %s\n", error.what());
    return 1;
  }
}
