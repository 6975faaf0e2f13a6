// Runtime::wait_for_activity_threads (issue #12 item 12): an activity that ignores its stop token
// outlives shutdown on its own thread; after the wait returns, its code has finished, so nothing
// of it runs after `main` returns.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

std::atomic<bool> g_started{false};
std::atomic<bool> g_release{false};
std::atomic<bool> g_returned{false};

/// Ignores its stop token: runs until the test releases it, then works a little more.
Result<std::string> stubborn(ActivityContext&, std::string) {
  g_started = true;
  g_started.notify_all();
  g_release.wait(false);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the activity's remaining work
  g_returned = true;
  return std::string("done");
}

Task<Result<std::string>> call_stubborn(OrchestrationContext ctx, std::string) {
  co_return co_await ctx.schedule_activity("Stubborn", "");
}

/// A runtime whose one instance is running the stubborn activity (it has started and waits to be
/// released).
struct StubbornRunning {
  StubbornRunning() {
    g_started = false;
    g_release = false;
    g_returned = false;
    const bool started = env.client.start_orchestration("s", "CallStubborn", "").has_value();
    EXPECT_TRUE(started);
    if (started) g_started.wait(false);
  }
  E2eEnv env{ActivityRegistry::builder().add("Stubborn", stubborn).build(),
             OrchestrationRegistry::builder().add("CallStubborn", call_stubborn).build()};
};

TEST(E2eActivityThreads, WaitForActivityThreadsReturnsOnlyAfterActivityCodeFinished) {
  StubbornRunning running;
  auto& env = running.env;
  // Shutdown gives up on the activity at once: it keeps running on its own thread.
  env.runtime->shutdown(std::chrono::milliseconds(0));
  EXPECT_FALSE(g_returned.load());
  std::thread releaser([] {
    g_release = true;
    g_release.notify_all();
  });
  const bool none_left = env.runtime->wait_for_activity_threads();
  releaser.join();
  EXPECT_TRUE(none_left);
  EXPECT_TRUE(g_returned.load()) << "activity code still running after wait_for_activity_threads returned";
}

TEST(E2eActivityThreads, BoundedWaitReportsAnActivityStillRunning) {
  StubbornRunning running;
  auto& env = running.env;
  EXPECT_FALSE(env.runtime->wait_for_activity_threads(std::chrono::milliseconds(0)));
  g_release = true;
  g_release.notify_all();
  EXPECT_TRUE(env.runtime->wait_for_activity_threads());
  EXPECT_TRUE(g_returned.load());
}

}  // namespace
}  // namespace duroxide::testing
