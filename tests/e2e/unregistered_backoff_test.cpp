// Mirrors duroxide's tests/unregistered_backoff_tests.rs (6): items whose orchestration or activity (or version)
// is not registered are abandoned with UnregisteredBackoffConfig delays and poisoned after
// max_attempts (no Configuration error), plus the backoff formula itself (docs/runtime-features.md).
#include <gtest/gtest.h>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

using namespace std::chrono_literals;

/// Low max_attempts and 10-50 ms backoff so an unregistered item poisons within a fraction of a second.
RuntimeOptions fast_backoff_options() {
  auto options = fast_options();
  options.max_attempts = 3;
  options.unregistered_backoff.base_delay = 10ms;
  options.unregistered_backoff.max_delay = 50ms;
  return options;
}

Task<Result<std::string>> versioned_v1(OrchestrationContext, std::string input) { co_return "v1: " + input; }

Task<Result<std::string>> calls_unknown_activity(OrchestrationContext ctx, std::string) {
  co_return co_await ctx.schedule_activity("UnknownActivity", "input");
}

Task<Result<std::string>> can_to_missing(OrchestrationContext ctx, std::string) {
  co_await ctx.continue_as_new_versioned("3.0.0", "new-input");
  co_return std::string("unreachable");
}

bool is_poison_failure(const Event& event) {
  const auto* failed = event.get_if<events::OrchestrationFailed>();
  return failed != nullptr && failed->details.get_if<error::Poison>() != nullptr;
}

TEST(E2eUnregisteredBackoff, unknown_orchestration_fails_with_poison) {
  DurableStore dir;
  E2eEnv env(dir.open(), ActivityRegistry::builder().build(),
             OrchestrationRegistry::builder().add_versioned("VersionedOrch", "1.0.0", versioned_v1).build(),
             fast_backoff_options());
  ASSERT_TRUE(env.client.start_orchestration("inst-unknown-name", "DoesNotExist", ""));
  ASSERT_TRUE(env.client.start_orchestration_versioned("inst-unknown-version", "VersionedOrch", "9.9.9", "input"));
  for (const std::string instance : {"inst-unknown-name", "inst-unknown-version"}) {
    const auto status = env.wait(instance);
    const auto* failed = status.get_if<status::Failed>();
    ASSERT_NE(failed, nullptr) << instance << " ended " << status.name();
    const auto* poison = failed->details.get_if<error::Poison>();
    ASSERT_NE(poison, nullptr) << instance << ": expected Poison, got " << failed->details.display_message();
    EXPECT_GT(poison->attempt_count, poison->max_attempts) << instance;
    EXPECT_EQ(poison->max_attempts, 3u) << instance;

    auto history = env.client.read_execution_history(instance, 1);
    ASSERT_TRUE(history) << history.error().to_string();
    ASSERT_FALSE(history->empty()) << instance;
    EXPECT_TRUE(is_poison_failure(history->back())) << instance << ": history must end OrchestrationFailed{Poison}";
    for (const auto& event : *history) {
      if (const auto* f = event.get_if<events::OrchestrationFailed>()) {
        EXPECT_EQ(f->details.get_if<error::Configuration>(), nullptr)
            << instance << ": no Configuration error is written for a missing handler";
      }
    }
  }
}

TEST(E2eUnregisteredBackoff, unknown_activity_fails_with_poison) {
  DurableStore dir;
  E2eEnv env(dir.open(), ActivityRegistry::builder().build(),
             OrchestrationRegistry::builder().add("SimpleOrch", calls_unknown_activity).build(),
             fast_backoff_options());
  ASSERT_TRUE(env.client.start_orchestration("inst-activity-unknown", "SimpleOrch", ""));
  const auto status = env.wait("inst-activity-unknown");
  const auto* failed = status.get_if<status::Failed>();
  ASSERT_NE(failed, nullptr) << status.name();
  const auto* poison = failed->details.get_if<error::Poison>();
  ASSERT_NE(poison, nullptr) << "expected Poison from the activity, got " << failed->details.display_message();
  const auto* activity = std::get_if<poison::Activity>(&poison->message_type);
  ASSERT_NE(activity, nullptr);
  EXPECT_EQ(activity->activity_name, "UnknownActivity");
}

TEST(E2eUnregisteredBackoff, test_backoff_calculation) {
  const UnregisteredBackoffConfig config{1s, 60s};
  const std::pair<std::uint32_t, Millis> expected[] = {{1, 1s},  {2, 2s},  {3, 4s},  {4, 8s},  {5, 16s},
                                                       {6, 32s}, {7, 60s}, {8, 60s}, {10, 60s}};
  for (const auto& [attempt, delay] : expected) EXPECT_EQ(config.delay(attempt), delay) << "attempt " << attempt;
}

TEST(E2eUnregisteredBackoff, test_backoff_custom_config) {
  const UnregisteredBackoffConfig config{100ms, 500ms};
  const std::pair<std::uint32_t, Millis> expected[] = {{1, 100ms}, {2, 200ms}, {3, 400ms},
                                                       {4, 500ms}, {5, 500ms}, {10, 500ms}};
  for (const auto& [attempt, delay] : expected) EXPECT_EQ(config.delay(attempt), delay) << "attempt " << attempt;
}

TEST(E2eUnregisteredBackoff, continue_as_new_to_missing_version_fails_with_poison) {
  DurableStore dir;
  E2eEnv env(dir.open(), ActivityRegistry::builder().build(),
             OrchestrationRegistry::builder().add_versioned("CanToMissing", "1.0.0", can_to_missing).build(),
             fast_backoff_options());
  ASSERT_TRUE(env.client.start_orchestration_versioned("can-missing-test", "CanToMissing", "1.0.0", "start"));
  const auto status = env.wait("can-missing-test");
  const auto* failed = status.get_if<status::Failed>();
  ASSERT_NE(failed, nullptr) << status.name();
  const auto* poison = failed->details.get_if<error::Poison>();
  ASSERT_NE(poison, nullptr) << "expected Poison from the CAN to 3.0.0, got " << failed->details.display_message();
  EXPECT_NE(poison->message.find("3.0.0"), std::string::npos)
      << "the poisoned batch is the ContinueAsNew to 3.0.0: " << poison->message;
  // The 1.0.0 execution itself ran and continued; the missing version only stops the next one.
  // (As in duroxide, the poison failure of the unstarted execution is appended to the current one.)
  auto first = env.client.read_execution_history("can-missing-test", 1);
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_TRUE(std::any_of(first->begin(), first->end(),
                          [](const Event& e) { return e.is<events::OrchestrationContinuedAsNew>(); }));
}

TEST(E2eUnregisteredBackoff, delete_poisoned_orchestration) {
  DurableStore dir;
  E2eEnv env(dir.open(), ActivityRegistry::builder().build(), OrchestrationRegistry::builder().build(),
             fast_backoff_options());
  const std::string instance = "delete-after-poison";
  ASSERT_TRUE(env.client.start_orchestration(instance, "UnregisteredOrch", "input"));
  const auto status = env.wait(instance);
  ASSERT_TRUE(status.is_failed()) << status.name();
  auto deleted = env.client.delete_instance(instance, false);
  ASSERT_TRUE(deleted) << "a poisoned (Failed) instance deletes without force: " << deleted.error().to_string();
  auto after = env.client.get_orchestration_status(instance);
  ASSERT_TRUE(after) << after.error().to_string();
  EXPECT_TRUE(after->get_if<status::NotFound>() != nullptr) << after->name();
}

}  // namespace
}  // namespace duroxide::testing
