// Idle fetches are read-only (issue #12 item 11): a fetch that finds nothing must not take the
// file's write lock, so idle runtime slots (one fetch per slot every 100 ms) do not compete with
// the processes that have work. Shown by holding the write lock on another connection: an idle
// fetch must still return at once, empty.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <duroxide/sqlite_provider.hpp>

#include "support/e2e_support.hpp"

namespace duroxide {
namespace {

using testing::TempDir;
using namespace std::chrono_literals;

/// Another connection to the file holding its write lock (BEGIN IMMEDIATE) while it lives.
class WriteLockHolder {
 public:
  explicit WriteLockHolder(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK ||
        sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("cannot take the write lock: ") + sqlite3_errmsg(db_));
    }
  }
  ~WriteLockHolder() {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close_v2(db_);
  }
  WriteLockHolder(const WriteLockHolder&) = delete;
  WriteLockHolder& operator=(const WriteLockHolder&) = delete;

 private:
  sqlite3* db_ = nullptr;
};

TEST(ProviderSqliteIdleFetch, IdleFetchesDoNotTakeTheWriteLock) {
  TempDir dir;
  auto store = testing::disk_store(dir.url());
  WriteLockHolder writer((dir.path() / "store.db").string());

  // Before the fix each of these waited for the lock (the 60 s busy timeout), then failed BUSY.
  auto orchestration = store->fetch_orchestration_item(30s, 0ms, nullptr);
  ASSERT_TRUE(orchestration.has_value()) << orchestration.error().to_string();
  EXPECT_FALSE(orchestration->has_value());
  auto work = store->fetch_work_item(30s, 0ms, std::nullopt, TagFilter::default_only());
  ASSERT_TRUE(work.has_value()) << work.error().to_string();
  EXPECT_FALSE(work->has_value());
  auto session_work = store->fetch_work_item(30s, 0ms, SessionFetchConfig{"owner", 30s}, TagFilter::any());
  ASSERT_TRUE(session_work.has_value()) << session_work.error().to_string();
  EXPECT_FALSE(session_work->has_value());
}

}  // namespace
}  // namespace duroxide
