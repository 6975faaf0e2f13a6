// Crash recovery (issue #5 item 8): a runtime in a child process is SIGKILLed at random moments
// while 200 instances of a mixed workflow run, restarted each time, and finally left to finish.
// Every instance must complete with the right output, and every history must be well formed: no
// activity scheduled twice, no completion lost or recorded twice.
#include <random>

#include <gtest/gtest.h>

#include "crash_worker/mixed_workflow.hpp"
#include "crash_worker/well_formed_history.hpp"
#include "crash_worker/worker_process.hpp"
#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

constexpr int kInstances = 200;
constexpr int kMinKills = 5;
constexpr int kMaxKills = 20;
/// The first kill comes within this many ms of the worker's start: before any instance can have
/// passed the workload's 200 ms timer, so it always lands on work in progress, however fast the
/// runtime is. Later kills come 50-400 ms apart.
constexpr int kFirstKillMaxMs = 150;

std::string instance_id(int i) { return "crash-" + std::to_string(i); }

/// Raises the event to every instance that waits for it and has not received it yet.
void raise_pending_events(Provider& store, Client& client) {
  for (int i = 0; i < kInstances; ++i) {
    auto history = store.read(instance_id(i));
    if (!history) continue;
    bool subscribed = false;
    bool received = false;
    for (const auto& event : *history) {
      subscribed = subscribed || event.is<events::ExternalSubscribed>();
      received = received || event.is<events::ExternalEvent>();
    }
    if (subscribed && !received) (void)client.raise_event(instance_id(i), crash::kEvent, "go");
  }
}

int completed_count(Client& client) {
  int done = 0;
  for (int i = 0; i < kInstances; ++i) {
    auto status = client.get_orchestration_status(instance_id(i));
    if (status && status->is_terminal()) ++done;
  }
  return done;
}

bool all_completed(Client& client) { return completed_count(client) == kInstances; }

TEST(E2eCrashRecovery, RandomKillsLoseNothingAndDuplicateNothing) {
  TempDir dir;
  const auto url = dir.url();
  auto store = disk_store(url);
  Client client(store);
  for (int i = 0; i < kInstances; ++i) {
    ASSERT_TRUE(client.start_orchestration(instance_id(i), crash::kOrchestration, std::to_string(i)));
  }

  const auto seed = std::random_device{}();
  SCOPED_TRACE("kill schedule seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> run_ms(50, 400);
  std::vector<int> completed_at_kill;
  // At least kMinKills kills, and more while work remains, so kills land on work in progress.
  for (int round = 0; round < kMaxKills; ++round) {
    if (round >= kMinKills && completed_at_kill.back() == kInstances) break;
    WorkerProcess worker(url);
    // The kill moment is what is being randomised; nothing waits on it.
    const int run_for = round == 0 ? std::uniform_int_distribution<int>(20, kFirstKillMaxMs)(rng) : run_ms(rng);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(run_for);
    while (std::chrono::steady_clock::now() < deadline) {
      raise_pending_events(*store, client);
      std::this_thread::sleep_for(20ms);
    }
    worker.kill_hard();
    completed_at_kill.push_back(completed_count(client));
  }
  // The kills must have hit work in progress, or the test proves nothing.
  ASSERT_LT(completed_at_kill.front(), kInstances) << "the workload finished before the first kill";
  std::string progress;
  for (int done : completed_at_kill) progress += std::to_string(done) + " ";
  RecordProperty("completed_at_each_kill", progress);

  WorkerProcess survivor(url);
  const bool finished = wait_until(
      [&] {
        raise_pending_events(*store, client);
        return all_completed(client);
      },
      120s);
  survivor.stop();
  ASSERT_TRUE(finished) << "not every instance completed after the restarts";

  for (int i = 0; i < kInstances; ++i) {
    const auto id = instance_id(i);
    auto status = client.get_orchestration_status(id);
    ASSERT_TRUE(status && status->is_completed()) << id;
    EXPECT_EQ(status->get_if<status::Completed>()->output, crash::expected_output(i, "go")) << id;
    auto history = store->read(id);
    ASSERT_TRUE(history) << id;
    expect_well_formed(id, *history, crash::kMixedActivities, 1, 1);
    for (const auto& event : *history) {
      if (const auto* sub = event.get_if<events::SubOrchestrationScheduled>()) {
        const auto child_id = build_child_instance_id(id, sub->instance);
        auto child_history = store->read(child_id);
        ASSERT_TRUE(child_history) << child_id;
        expect_well_formed(child_id, *child_history, 1, 0, 0);
      }
    }
  }
}

}  // namespace
}  // namespace duroxide::testing
