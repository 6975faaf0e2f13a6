// RuntimeOptions defaults and validation, the lock-renewal formula, unregistered backoff, and
// TagFilter (docs/runtime.md, docs/runtime-features.md).
#include <gtest/gtest.h>

#include <duroxide/runtime_options.hpp>

using namespace duroxide;
using namespace std::chrono_literals;

TEST(UnitRuntimeOptions, DefaultsMatchDuroxide) {
  const RuntimeOptions o;
  EXPECT_EQ(o.dispatcher_min_poll_interval, 100ms);
  EXPECT_EQ(o.dispatcher_long_poll_timeout, 30s);
  EXPECT_EQ(o.orchestration_concurrency, 2u);
  EXPECT_EQ(o.worker_concurrency, 2u);
  EXPECT_EQ(o.orchestrator_lock_timeout, 5s);
  EXPECT_EQ(o.orchestrator_lock_renewal_buffer, 2s);
  EXPECT_EQ(o.worker_lock_timeout, 30s);
  EXPECT_EQ(o.worker_lock_renewal_buffer, 5s);
  EXPECT_EQ(o.unregistered_backoff.base_delay, 1s);
  EXPECT_EQ(o.unregistered_backoff.max_delay, 60s);
  EXPECT_EQ(o.max_attempts, 10u);
  EXPECT_EQ(o.activity_cancellation_grace_period, 10s);
  EXPECT_FALSE(o.supported_replay_versions.has_value());
  EXPECT_EQ(o.replay_versions(), SemverRange::default_supported());
  EXPECT_EQ(o.session_lock_timeout, 30s);
  EXPECT_EQ(o.session_lock_renewal_buffer, 5s);
  EXPECT_EQ(o.session_idle_timeout, 300s);
  EXPECT_EQ(o.session_cleanup_interval, 300s);
  EXPECT_EQ(o.max_sessions_per_runtime, 10u);
  EXPECT_FALSE(o.worker_node_id.has_value());
  EXPECT_EQ(o.worker_tag_filter.kind(), TagFilter::Kind::DefaultOnly);
  EXPECT_EQ(o.observability.log_format, LogFormat::Pretty);
  EXPECT_EQ(o.observability.log_level, "info");
  EXPECT_EQ(o.observability.service_name, "duroxide");
  EXPECT_EQ(o.observability.gauge_poll_interval, 60s);
  EXPECT_FALSE(o.metrics_listen.has_value());  // no endpoint unless asked for
  EXPECT_FALSE(o.metrics_token.has_value());
  EXPECT_TRUE(o.validate().has_value());
}

TEST(UnitRuntimeOptions, SessionIdleTimeoutMustExceedWorkerRenewalInterval) {
  RuntimeOptions o;
  o.session_idle_timeout = 25s;  // equal to 30 s − 5 s: rejected (strictly greater required)
  auto result = o.validate();
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().find("session_idle_timeout (25.000 s)"), std::string::npos) << result.error();
  EXPECT_NE(result.error().find("25.000 s)"), std::string::npos) << result.error();
  o.session_idle_timeout = 25001ms;
  EXPECT_TRUE(o.validate().has_value());
}

TEST(UnitRuntimeOptions, RenewalIntervalFallsBackToOneSecondWhenBufferExceedsLock) {
  RuntimeOptions o;
  o.worker_lock_timeout = 2s;
  o.worker_lock_renewal_buffer = 5s;
  o.session_idle_timeout = 1s;
  auto result = o.validate();
  ASSERT_FALSE(result.has_value()) << "1 s is not greater than the 1 s fallback interval";
  EXPECT_NE(result.error().find("(worker_lock_timeout - worker_lock_renewal_buffer = 1.000 s)"), std::string::npos)
      << result.error();
  o.session_idle_timeout = 1500ms;
  EXPECT_TRUE(o.validate().has_value());
}

TEST(UnitRuntimeOptions, OtherValuesArePermissive) {
  RuntimeOptions o;
  o.orchestration_concurrency = 0;
  o.worker_concurrency = 0;
  o.max_attempts = 0;
  o.dispatcher_min_poll_interval = 0ms;
  EXPECT_TRUE(o.validate().has_value());
}

TEST(UnitLockRenewal, IntervalTableOfTheSpec) {
  EXPECT_EQ(lock_renewal_interval(30s, 5s), 25s);
  EXPECT_EQ(lock_renewal_interval(15s, 20s), 1s) << "buffer clamped to the timeout, then the 1 s floor";
  EXPECT_EQ(lock_renewal_interval(10s, 1s), 5s);
  EXPECT_EQ(lock_renewal_interval(10s, 9s), 5s) << "below 15 s the buffer is ignored";
  EXPECT_EQ(lock_renewal_interval(5s, 2s), 3s);
  EXPECT_EQ(lock_renewal_interval(2s, 0s), 1s);
  EXPECT_EQ(lock_renewal_interval(1s, 0s), 1s);
  EXPECT_EQ(lock_renewal_interval(500ms, 0s), 1s);
  EXPECT_EQ(lock_renewal_interval(60s, 5s), 55s);
}

TEST(UnitUnregisteredBackoff, DoublesFromOneSecondCappedAtSixty) {
  const UnregisteredBackoffConfig backoff;
  const Millis expected[] = {1s, 1s, 2s, 4s, 8s, 16s, 32s, 60s, 60s, 60s, 60s};
  for (std::uint32_t attempt = 0; attempt < std::size(expected); ++attempt) {
    EXPECT_EQ(backoff.delay(attempt), expected[attempt]) << "attempt " << attempt;
  }
  EXPECT_EQ(backoff.delay(1000), 60s) << "the exponent stops at 6, so huge attempts do not overflow";
  const UnregisteredBackoffConfig custom{10ms, 1s};
  EXPECT_EQ(custom.delay(7), 640ms);
  EXPECT_EQ(custom.delay(8), 640ms) << "exponent capped at 6";
}

TEST(UnitTagFilter, MatchingRules) {
  const std::optional<std::string> untagged;
  const std::optional<std::string> gpu = "gpu";
  const std::optional<std::string> cpu = "cpu";
  EXPECT_TRUE(TagFilter::default_only().matches(untagged));
  EXPECT_FALSE(TagFilter::default_only().matches(gpu));
  EXPECT_TRUE(TagFilter::tags({"gpu"}).matches(gpu));
  EXPECT_FALSE(TagFilter::tags({"gpu"}).matches(untagged));
  EXPECT_FALSE(TagFilter::tags({"gpu"}).matches(cpu));
  EXPECT_TRUE(TagFilter::default_and({"gpu"}).matches(untagged));
  EXPECT_TRUE(TagFilter::default_and({"gpu"}).matches(gpu));
  EXPECT_FALSE(TagFilter::default_and({"gpu"}).matches(cpu));
  EXPECT_TRUE(TagFilter::any().matches(untagged));
  EXPECT_TRUE(TagFilter::any().matches(cpu));
  EXPECT_FALSE(TagFilter::none().matches(untagged));
  EXPECT_FALSE(TagFilter::none().matches(gpu));
  EXPECT_EQ(TagFilter(), TagFilter::default_only());
}

TEST(UnitTagFilter, OneToFiveDistinctTags) {
  EXPECT_THROW(TagFilter::tags({}), std::invalid_argument);
  EXPECT_THROW(TagFilter::default_and({}), std::invalid_argument);
  EXPECT_THROW(TagFilter::tags({"a", "b", "c", "d", "e", "f"}), std::invalid_argument);
  EXPECT_NO_THROW(TagFilter::tags({"a", "b", "c", "d", "e"}));
  EXPECT_EQ(TagFilter::tags({"a", "a"}).tag_set().size(), 1u) << "duplicates collapse";
  try {
    TagFilter::default_and({"1", "2", "3", "4", "5", "6"});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("1 to 5 distinct tags, got 6"), std::string::npos) << e.what();
  }
}
