// Reads and fetches on one SQLite file through two providers (as two processes would have): each
// sees what the other appended, deleted or wrote anew. These guarded the store's own parsed-history
// cache, which has moved to the runtime (docs/runtime.md, "History cache"); they stay as checks
// that nothing in the store serves a stale history.
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <duroxide/sqlite_provider.hpp>

#include "provider/validation/validation_helpers.hpp"

namespace duroxide::validation {
namespace {

/// Two providers (two connections, as two processes would have) on one fresh file.
class ProviderSqliteHistoryCache : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("duroxide-history-cache-{}-{}", ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                       ::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    const auto url = "sqlite:" + (dir_ / "store.db").string();
    first_ = must(SqliteProvider::open(url), "open first");
    second_ = must(SqliteProvider::open(url), "open second");
  }
  void TearDown() override {
    first_.reset();
    second_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::vector<std::string> names(Provider& provider, const std::string& instance) {
    std::vector<std::string> out;
    for (const auto& e : must(provider.read(instance), "read")) out.emplace_back(e.type_name());
    return out;
  }

  std::filesystem::path dir_;
  std::shared_ptr<SqliteProvider> first_;
  std::shared_ptr<SqliteProvider> second_;
};

TEST_F(ProviderSqliteHistoryCache, EventsAppendedByAnotherConnectionAreRead) {
  create_instance(*first_, "inst", 1s);
  EXPECT_EQ(names(*first_, "inst"), (std::vector<std::string>{"OrchestrationStarted"}));  // now cached
  auto turn = poke(*second_, "inst", 1s);
  must(second_->ack_orchestration_item(turn.lock_token,
                                       make_ack(1, {external_event("inst", 1, 2), completed_event("inst", 1, 3)},
                                                status_metadata("Completed", "\"done\""))),
       "ack on the second connection");
  EXPECT_EQ(names(*first_, "inst"),
            (std::vector<std::string>{"OrchestrationStarted", "ExternalEvent", "OrchestrationCompleted"}));
}

TEST_F(ProviderSqliteHistoryCache, HistoryRecreatedByAnotherConnectionIsNotServedStale) {
  create_instance(*first_, "inst", 1s, "FirstName");
  const auto cached = must(first_->read("inst"), "read");
  ASSERT_EQ(cached.size(), 1u);
  ASSERT_EQ(cached[0].get_if<events::OrchestrationStarted>()->name, "FirstName");
  // Same instance, same execution, same number of events: only the content differs.
  must(admin(*second_).delete_instance("inst", true), "delete on the second connection");
  create_instance(*second_, "inst", 1s, "SecondName");
  const auto reread = must(first_->read("inst"), "reread");
  ASSERT_EQ(reread.size(), 1u);
  EXPECT_EQ(reread[0].get_if<events::OrchestrationStarted>()->name, "SecondName");
}

TEST_F(ProviderSqliteHistoryCache, DeletedHistoryIsGoneForTheDeletingConnection) {
  create_instance(*first_, "inst", 1s);
  ASSERT_EQ(must(first_->read("inst"), "read").size(), 1u);
  must(admin(*first_).delete_instance("inst", true), "delete");
  EXPECT_TRUE(must(first_->read("inst"), "read after delete").empty());
}

TEST_F(ProviderSqliteHistoryCache, FetchReturnsTheWholeHistoryAfterManyTurns) {
  create_instance(*first_, "inst", 1s);
  for (std::uint64_t id = 2; id <= 40; ++id) {
    auto turn = poke(*first_, "inst", 1s);
    ASSERT_EQ(turn.item.history.size(), id - 1);
    must(first_->ack_orchestration_item(turn.lock_token, make_ack(1, {external_event("inst", 1, id)})), "ack");
  }
  const auto history = must(first_->read("inst"), "read");
  ASSERT_EQ(history.size(), 40u);
  for (std::uint64_t i = 0; i < history.size(); ++i) EXPECT_EQ(history[i].event_id, i + 1);
}

}  // namespace
}  // namespace duroxide::validation
