// Reads do not wait for the writer (issue #13 item 3, docs/storage.md): on a file store, history,
// status, KV and management reads run on read-only connections, so they complete while the store's
// mutex, which every write and fetch takes, is held. Before, each of these reads took that mutex
// and this test never finished.
#include <gtest/gtest.h>

#include <future>

#include <duroxide/sqlite_provider.hpp>

#include "provider/validation/validation_helpers.hpp"
#include "providers/sqlite/sqlite_store.hpp"
#include "support/e2e_support.hpp"

namespace duroxide::validation {
namespace {

using testing::TempDir;

TEST(ProviderSqliteReadConnections, ReadsCompleteWhileTheWriterMutexIsHeld) {
  TempDir dir;
  auto p = testing::disk_store(dir.url());
  create_instance(*p, "reader", 5s);
  auto turn = poke(*p, "reader", 5s);
  const auto next = next_event_id(*p, "reader");
  must(p->ack_orchestration_item(turn.lock_token, make_ack(1, {custom_status_event("reader", 1, next, "busy"),
                                                               kv_set_event("reader", 1, next + 1, "k", "v")})),
       "ack");

  std::unique_lock writer(p->store().mutex);
  auto reads = std::async(std::launch::async, [&] {
    EXPECT_EQ(must(p->get_custom_status("reader", 0), "custom status")->status, "busy");
    EXPECT_EQ(must(p->get_kv_value("reader", "k"), "kv"), "v");
    EXPECT_EQ(must(p->get_kv_all_values("reader"), "kv all").size(), 1u);
    EXPECT_EQ(must(p->get_system_metrics(), "metrics").running_instances, 1u);
    EXPECT_EQ(must(p->get_queue_depths(), "depths").orchestrator_queue, 0u);
    EXPECT_EQ(must(p->get_instance_info("reader"), "info").status, ExecutionStatus::Running);
    EXPECT_EQ(must(p->list_instances(), "list").size(), 1u);
    EXPECT_TRUE(must(p->get_instance_stats("reader"), "stats").has_value());
  });
  reads.get();
  writer.unlock();
}

TEST(ProviderSqliteReadConnections, HistoryAndStatusReadsCompleteWhileTheWriterMutexIsHeld) {
  TempDir dir;
  auto p = testing::disk_store(dir.url());
  create_instance(*p, "reader", 5s);
  complete_instance(*p, "reader", 5s, "\"out\"");

  std::unique_lock writer(p->store().mutex);
  auto reads = std::async(std::launch::async, [&] {
    EXPECT_EQ(must(p->read("reader"), "read").size(), 2u);
    EXPECT_EQ(must(p->read_with_execution("reader", 1), "read_with_execution").size(), 2u);
    EXPECT_EQ(must(p->read_history_with_execution_id("reader", 1), "read_history").size(), 2u);
    EXPECT_EQ(must(p->latest_execution_id("reader"), "latest_execution_id"), 1u);
    EXPECT_EQ(must(p->get_instance_status("reader"), "status")->status, ExecutionStatus::Completed);
  });
  reads.get();
  writer.unlock();
}

TEST(ProviderSqliteReadConnections, AReadSeesTheWriteThatJustCommitted) {
  TempDir dir;
  auto p = testing::disk_store(dir.url());
  for (int i = 0; i < 20; ++i) {
    const auto instance = fmt::format("i{}", i);
    create_instance(*p, instance, 5s);
    EXPECT_EQ(must(p->get_instance_info(instance), "info").status, ExecutionStatus::Running) << instance;
    EXPECT_EQ(must(p->get_system_metrics(), "metrics").total_instances, static_cast<std::uint64_t>(i + 1));
  }
}

}  // namespace
}  // namespace duroxide::validation
