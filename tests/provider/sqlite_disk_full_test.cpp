// A full disk and I/O errors (issue #12 item 4): conditions of the machine, not of the data, so
// the store reports them as retryable and the same write succeeds once there is room. A full
// store also checkpoints and truncates its WAL, so that the room deletes free is not eaten by it.
// A real full disk is simulated with PRAGMA max_page_count on the store's connection.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <filesystem>
#include <string>

#include <duroxide/sqlite_provider.hpp>

#include "providers/sqlite/sqlite_database.hpp"
#include "providers/sqlite/sqlite_store.hpp"
#include "support/e2e_support.hpp"

namespace duroxide::sqlite {
namespace {

using testing::TempDir;
using namespace std::chrono_literals;

WorkItem start_with_input(const std::string& instance, std::size_t input_bytes) {
  return work_items::StartOrchestration{instance,     "Orch", std::string(input_bytes, 'x'), std::nullopt, std::nullopt,
                                        std::nullopt, 1};
}

TEST(ProviderSqliteDiskFull, FullAndIoErrorsAreRetryableOthersAreNot) {
  auto db = Database::open_in_memory();
  ASSERT_TRUE(db.has_value()) << db.error().to_string();
  for (int code : {SQLITE_FULL, SQLITE_IOERR, SQLITE_IOERR_WRITE, SQLITE_IOERR_FSYNC, SQLITE_IOERR_SHORT_READ,
                   SQLITE_BUSY, SQLITE_LOCKED}) {
    EXPECT_TRUE((*db)->error("op", code).is_retryable()) << sqlite3_errstr(code);
  }
  for (int code : {SQLITE_CONSTRAINT, SQLITE_CORRUPT, SQLITE_MISMATCH, SQLITE_TOOBIG}) {
    EXPECT_FALSE((*db)->error("op", code).is_retryable()) << sqlite3_errstr(code);
  }
}

TEST(ProviderSqliteDiskFull, AWriteIntoAFullStoreFailsRetryablyAndSucceedsOnceThereIsRoom) {
  TempDir dir;
  auto store = testing::disk_store(dir.url());
  ASSERT_TRUE(store->store().cap_growth_for_tests(0).has_value());

  auto refused = store->enqueue_for_orchestrator(start_with_input("big", 64 * 1024), std::nullopt);
  ASSERT_FALSE(refused.has_value()) << "the capped store accepted 64 KiB";
  EXPECT_TRUE(refused.error().is_retryable()) << refused.error().to_string();
  EXPECT_NE(refused.error().message.find("full"), std::string::npos) << refused.error().to_string();

  ASSERT_TRUE(store->store().cap_growth_for_tests(1'000'000).has_value());
  auto accepted = store->enqueue_for_orchestrator(start_with_input("big", 64 * 1024), std::nullopt);
  ASSERT_TRUE(accepted.has_value()) << accepted.error().to_string();
  auto fetched = store->fetch_orchestration_item(30s, 0ms, nullptr);
  ASSERT_TRUE(fetched.has_value() && fetched->has_value());
  EXPECT_EQ((*fetched)->item.instance, "big");
}

TEST(ProviderSqliteDiskFull, AFullStoreTruncatesItsWal) {
  TempDir dir;
  auto store = testing::disk_store(dir.url());
  const auto wal = dir.path() / "store.db-wal";
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(store->enqueue_for_orchestrator(start_with_input(fmt::format("i{}", i), 4096), std::nullopt));
  }
  ASSERT_GT(std::filesystem::file_size(wal), 0u) << "the writes should sit in the WAL (below the autocheckpoint)";
  ASSERT_TRUE(store->store().cap_growth_for_tests(0).has_value());

  ASSERT_FALSE(store->enqueue_for_orchestrator(start_with_input("big", 64 * 1024), std::nullopt).has_value());
  EXPECT_EQ(std::filesystem::file_size(wal), 0u) << "a full store must give the WAL's room back";
  // Nothing was lost by the checkpoint.
  auto queued = store->get_queue_depths();
  ASSERT_TRUE(queued.has_value());
  EXPECT_EQ(queued->orchestrator_queue, 20u);
}

}  // namespace
}  // namespace duroxide::sqlite
