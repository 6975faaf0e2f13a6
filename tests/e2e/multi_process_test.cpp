// Several processes on one SQLite file (issue #12 item 11): opening a new file at the same
// moment, two runtime processes sharing 500 instances, and one of them SIGKILLed mid-run. Every
// instance must complete exactly once (docs/failure-modes-sqlite.md).
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "crash_worker/mixed_workflow.hpp"
#include "crash_worker/well_formed_history.hpp"
#include "crash_worker/worker_process.hpp"
#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

constexpr int kOpenRounds = 40;
constexpr int kOpenProcesses = 8;
constexpr int kInstances = 500;
/// Only bounds a hang: two processes on this machine need well under a minute.
constexpr auto kFinishDeadline = std::chrono::minutes(5);

std::string fan_id(int i) { return "fan-" + std::to_string(i); }

/// Polls `condition` every 50 ms (each check reads the whole store) until it holds or `timeout`.
bool poll_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

std::size_t count_with_status(SqliteProvider& store, ExecutionStatus status) {
  auto ids = store.list_instances_by_status(status);
  return ids ? ids->size() : 0;
}

std::size_t terminal_count(SqliteProvider& store) {
  return count_with_status(store, ExecutionStatus::Completed) + count_with_status(store, ExecutionStatus::Failed);
}

void start_fan_outs(Client& client) {
  for (int i = 0; i < kInstances; ++i) {
    ASSERT_TRUE(client.start_orchestration(fan_id(i), crash::kFanOut, std::to_string(i)));
  }
}

/// Every instance Completed with its output, and its history shows each step ran exactly once.
void expect_each_completed_exactly_once(SqliteProvider& store, Client& client) {
  for (int i = 0; i < kInstances; ++i) {
    const auto id = fan_id(i);
    auto status = client.get_orchestration_status(id);
    ASSERT_TRUE(status && status->is_completed()) << id << " is " << (status ? status->name() : "unreadable");
    EXPECT_EQ(status->get_if<status::Completed>()->output, crash::expected_fan_out_output(i)) << id;
    auto history = store.read(id);
    ASSERT_TRUE(history) << id;
    expect_well_formed(id, *history, 3, 1, 0);
  }
}

TEST(E2eMultiProcess, ProcessesOpeningANewFileAtOnceAllSucceed) {
  TempDir dir;
  int failed_opens = 0;
  std::string failed_rounds;
  for (int round = 0; round < kOpenRounds; ++round) {
    const auto url = dir.url(fmt::format("fresh-{}.db", round));
    std::vector<std::unique_ptr<WorkerProcess>> openers;
    // Each opener is let go as soon as it is started: they overlap by the few milliseconds a
    // start takes, which is when one finds another half-way through creating the file (released
    // all at the same instant they rarely collide).
    for (int i = 0; i < kOpenProcesses; ++i) {
      openers.push_back(std::make_unique<WorkerProcess>(url, std::vector<std::string>{"--open-only"}));
      openers.back()->close_stdin();
    }
    int failed_here = 0;
    for (auto& opener : openers) {
      if (opener->stop(2min) != 0) ++failed_here;
    }
    if (failed_here > 0) failed_rounds += fmt::format("round {}: {} of {}; ", round, failed_here, kOpenProcesses);
    failed_opens += failed_here;
    // Whoever won, the file is a complete store.
    auto store = disk_store(url);
    EXPECT_TRUE(store->enqueue_for_orchestrator(
        work_items::StartOrchestration{"probe", "P", "", std::nullopt, std::nullopt, std::nullopt, 1}, std::nullopt));
  }
  EXPECT_EQ(failed_opens, 0) << failed_opens << " of " << kOpenRounds * kOpenProcesses
                             << " simultaneous opens failed (the worker logs the error): " << failed_rounds;
}

/// A store file on disk with the fan-out instances started, for worker processes to share.
struct FanOutsOnDisk {
  FanOutsOnDisk() { start_fan_outs(client); }
  TempDir dir;
  std::string url = dir.url();
  std::shared_ptr<SqliteProvider> store = disk_store(url);
  Client client{store};
};

TEST(E2eMultiProcess, TwoProcessesCompleteEveryInstanceExactlyOnce) {
  FanOutsOnDisk file;
  const auto& url = file.url;
  auto& store = file.store;
  auto& client = file.client;
  WorkerProcess first(url);
  WorkerProcess second(url);
  const bool finished = poll_until([&] { return terminal_count(*store) == kInstances; }, kFinishDeadline);
  // Both ran to a clean shutdown: neither failed to open the file or crashed on the way.
  EXPECT_EQ(first.stop(), 0);
  EXPECT_EQ(second.stop(), 0);
  ASSERT_TRUE(finished) << terminal_count(*store) << " of " << kInstances << " instances finished";
  expect_each_completed_exactly_once(*store, client);
}

TEST(E2eMultiProcess, ASurvivorFinishesTheWorkOfAKilledProcess) {
  FanOutsOnDisk file;
  const auto& url = file.url;
  auto& store = file.store;
  auto& client = file.client;
  WorkerProcess victim(url);
  WorkerProcess survivor(url);
  // Kill once work is well under way, long before the end.
  ASSERT_TRUE(poll_until([&] { return terminal_count(*store) >= kInstances / 10; }, kFinishDeadline));
  ASSERT_TRUE(victim.running()) << "the process to kill exited by itself";
  victim.kill_hard();
  const auto at_kill = terminal_count(*store);
  ASSERT_LT(at_kill, static_cast<std::size_t>(kInstances)) << "the workload finished before the kill";
  RecordProperty("finished_at_kill", static_cast<int>(at_kill));
  const bool finished = poll_until([&] { return terminal_count(*store) == kInstances; }, kFinishDeadline);
  EXPECT_EQ(survivor.stop(), 0);
  ASSERT_TRUE(finished) << terminal_count(*store) << " of " << kInstances << " instances finished";
  expect_each_completed_exactly_once(*store, client);
}

}  // namespace
}  // namespace duroxide::testing
