// PostgreSQL-only checks: URL handling, connection errors, migrations (newer schema refused,
// concurrent opens serialize) and the concurrent fetch race (never "nothing" because a candidate
// was lost to another fetcher).
#include <gtest/gtest.h>

#include <latch>
#include <set>
#include <thread>

#include <duroxide/postgres_provider.hpp>

#include "provider/postgres_test_session.hpp"
#include "provider/postgres_test_support.hpp"
#include "provider/validation/validation_helpers.hpp"
#include "providers/postgres/pg_schema.hpp"
#include "providers/postgres/pg_url.hpp"

namespace duroxide {
namespace {

using pg_test::SchemaGuard;

TEST(PostgresUrl, OurParametersAreRemovedOthersPassThrough) {
  auto parsed = pg::parse_url("postgres://u:p@h:5/db?schema=tenant_a&sslmode=disable&pool=3");
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  EXPECT_EQ(parsed->schema, "tenant_a");
  EXPECT_EQ(parsed->pool_size, 3u);
  EXPECT_EQ(parsed->conninfo, "postgres://u:p@h:5/db?sslmode=disable");
  auto defaults = pg::parse_url("postgresql://h/db");
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->schema, "public");
  EXPECT_EQ(defaults->pool_size, 8u);
}

TEST(PostgresUrl, BadUrlsAreRefused) {
  for (const std::string url :
       {"mysql://h/db", "postgres://h/db?pool=0", "postgres://h/db?pool=x", "postgres://h/db?schema=", "sqlite:x.db"}) {
    auto opened = PostgresProvider::open(url);
    ASSERT_FALSE(opened) << url;
    EXPECT_FALSE(opened.error().is_retryable()) << url;
    EXPECT_NE(opened.error().message.find("URL"), std::string::npos) << opened.error().message;
  }
}

TEST(PostgresOpen, UnreachableServerNamesHostAndPort) {
  // Port 1 on the loopback: nothing listens there.
  auto opened = PostgresProvider::open("postgres://nobody@127.0.0.1:1/db?connect_timeout=2");
  ASSERT_FALSE(opened);
  EXPECT_TRUE(opened.error().is_retryable());
  EXPECT_NE(opened.error().message.find("127.0.0.1:1"), std::string::npos) << opened.error().message;
}

TEST(PostgresOpen, SchemaNewerThanTheCodeIsRefused) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  auto first = PostgresProvider::open(pg_test::url_with_schema(guard.schema));
  ASSERT_TRUE(first) << first.error().to_string();
  first->reset();
  pg_test::run_sql(guard.schema, "INSERT INTO _duroxide_migrations (version) VALUES (999)", {});
  auto second = PostgresProvider::open(pg_test::url_with_schema(guard.schema));
  ASSERT_FALSE(second);
  EXPECT_FALSE(second.error().is_retryable());
  EXPECT_NE(second.error().message.find("999"), std::string::npos) << second.error().message;
  EXPECT_NE(second.error().message.find(std::to_string(pg::kSchemaVersion)), std::string::npos)
      << second.error().message;
}

TEST(PostgresOpen, ConcurrentOpensOfAFreshSchemaSerialize) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  constexpr int kOpeners = 6;
  std::latch start(kOpeners);
  std::vector<std::thread> threads;
  std::vector<std::string> errors(kOpeners);
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto opened = PostgresProvider::open(pg_test::url_with_schema(guard.schema));
      if (!opened) errors[static_cast<std::size_t>(i)] = opened.error().to_string();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(pg_test::run_sql(guard.schema, "SELECT COUNT(*) FROM _duroxide_migrations", {}),
            std::to_string(pg::kSchemaVersion));
}

// Schema step 2 gave the fetch function a history-tail argument; a process of an older build,
// still running against the upgraded schema, calls the seven-argument form and must keep getting
// the whole history.
TEST(PostgresSchema, TheFetchCallOfAnOlderBuildStillShipsTheWholeHistory) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  auto opened = PostgresProvider::open(pg_test::url_with_schema(guard.schema));
  ASSERT_TRUE(opened) << opened.error().to_string();
  auto& store = **opened;
  validation::create_instance(store, "inst", std::chrono::seconds(5));
  auto item = validation::poke(store, "inst", std::chrono::seconds(5));
  std::vector<Event> delta;
  for (std::uint64_t id = 2; id <= 100; ++id) delta.push_back(validation::external_event("inst", 1, id));
  ASSERT_TRUE(store.ack_orchestration_item(item.lock_token, validation::make_ack(1, std::move(delta))));
  ASSERT_TRUE(store.enqueue_for_orchestrator(validation::external_item("inst"), std::nullopt));
  EXPECT_EQ(pg_test::run_sql(guard.schema,
                             "SELECT COUNT(*) FROM dx_fetch_orchestration('old-build-token', 5000, 10, '{}', false, "
                             "'{0,0,0}', '{0,0,0}') WHERE kind = 'hist'",
                             {}),
            "100");
}

TEST(PostgresFetch, ConcurrentFetchersGetDistinctInstances) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  auto opened = PostgresProvider::open(pg_test::url_with_schema(guard.schema) + "&pool=12");
  ASSERT_TRUE(opened) << opened.error().to_string();
  auto& provider = **opened;
  constexpr int kInstances = 10;
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < kInstances; ++i) {
      const auto id = fmt::format("race-{}-{}", round, i);
      ASSERT_TRUE(provider.enqueue_for_orchestrator(
          WorkItem(work_items::StartOrchestration{id, "Orch", "{}", std::nullopt, std::nullopt, std::nullopt, 1}),
          std::nullopt));
    }
    std::latch start(kInstances);
    std::vector<std::string> got(kInstances);
    std::vector<std::thread> threads;
    for (int i = 0; i < kInstances; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        auto item = provider.fetch_orchestration_item(std::chrono::seconds(30), std::chrono::milliseconds(0), nullptr);
        if (item && *item) got[static_cast<std::size_t>(i)] = (*item)->item.instance;
      });
    }
    for (auto& t : threads) t.join();
    std::set<std::string> distinct;
    for (const auto& g : got) {
      EXPECT_FALSE(g.empty()) << "a fetcher came back empty in round " << round;
      distinct.insert(g);
    }
    EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kInstances)) << "round " << round;
  }
}

}  // namespace
}  // namespace duroxide
