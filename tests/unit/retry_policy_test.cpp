// Backoff formulas (docs/core.md, "Retry policy"): exact values, caps and saturation.
#include <gtest/gtest.h>

#include <limits>

#include <duroxide/retry_policy.hpp>

using namespace duroxide;
using namespace std::chrono_literals;

TEST(UnitRetryPolicy, DefaultsAreThreeAttemptsExponential100msDoublingCappedAt30s) {
  const RetryPolicy policy;
  EXPECT_EQ(policy.max_attempts, 3u);
  EXPECT_FALSE(policy.timeout.has_value());
  const auto* exp = std::get_if<backoff::Exponential>(&policy.backoff.value);
  ASSERT_NE(exp, nullptr);
  EXPECT_EQ(exp->base, 100ms);
  EXPECT_EQ(exp->multiplier, 2.0);
  EXPECT_EQ(exp->max, 30s);
}

TEST(UnitRetryPolicy, ZeroMaxAttemptsIsRejected) {
  EXPECT_THROW(RetryPolicy(0), std::invalid_argument);
  EXPECT_EQ(RetryPolicy(5).max_attempts, 5u);
}

TEST(UnitRetryPolicy, BuildersSetTimeoutAndBackoff) {
  const auto policy = RetryPolicy(5).with_timeout(30s).with_backoff(backoff::Fixed{1s});
  EXPECT_EQ(policy.timeout, Duration(30s));
  EXPECT_EQ(policy.delay_for_attempt(1), 1s);
  EXPECT_EQ(policy.delay_for_attempt(4), 1s);
}

TEST(UnitRetryPolicy, NoneIsAlwaysZero) {
  const BackoffStrategy none = backoff::None{};
  for (std::uint32_t n : {0u, 1u, 2u, 100u}) EXPECT_EQ(none.delay_for_attempt(n), 0ns);
}

TEST(UnitRetryPolicy, LinearTable) {
  const BackoffStrategy linear = backoff::Linear{100ms, 350ms};
  const Duration expected[] = {0ms, 100ms, 200ms, 300ms, 350ms, 350ms};
  for (std::uint32_t n = 0; n < std::size(expected); ++n) EXPECT_EQ(linear.delay_for_attempt(n), expected[n]) << n;
}

TEST(UnitRetryPolicy, LinearSaturatesInsteadOfOverflowing) {
  const auto huge = Duration(std::numeric_limits<Duration::rep>::max() / 2);
  const BackoffStrategy linear = backoff::Linear{huge, Duration(std::numeric_limits<Duration::rep>::max())};
  EXPECT_EQ(linear.delay_for_attempt(3), Duration(std::numeric_limits<Duration::rep>::max()));
  const BackoffStrategy capped = backoff::Linear{huge, 5s};
  EXPECT_EQ(capped.delay_for_attempt(std::numeric_limits<std::uint32_t>::max()), 5s);
}

TEST(UnitRetryPolicy, ExponentialTableWithCap) {
  const BackoffStrategy exp = backoff::Exponential{100ms, 2.0, 1s};
  // n = 0 is treated as exponent 0, like n = 1.
  const Duration expected[] = {100ms, 100ms, 200ms, 400ms, 800ms, 1s, 1s};
  for (std::uint32_t n = 0; n < std::size(expected); ++n) EXPECT_EQ(exp.delay_for_attempt(n), expected[n]) << n;
}

TEST(UnitRetryPolicy, ExponentialUsesFloatingPointTruncatedToNanoseconds) {
  const BackoffStrategy exp = backoff::Exponential{Duration(10), 1.5, 10s};
  EXPECT_EQ(exp.delay_for_attempt(2), Duration(15));
  EXPECT_EQ(exp.delay_for_attempt(3), Duration(22)) << "10 × 1.5² = 22.5 truncates to 22";
  EXPECT_EQ(exp.delay_for_attempt(4), Duration(33)) << "10 × 1.5³ = 33.75 truncates to 33";
}

TEST(UnitRetryPolicy, ExponentialSaturatesHugeExponentsAtTheCap) {
  const BackoffStrategy exp = backoff::Exponential{100ms, 2.0, 30s};
  EXPECT_EQ(exp.delay_for_attempt(1000), 30s);
  EXPECT_EQ(exp.delay_for_attempt(std::numeric_limits<std::uint32_t>::max()), 30s);
  const BackoffStrategy uncapped =
      backoff::Exponential{100ms, 10.0, Duration(std::numeric_limits<Duration::rep>::max())};
  EXPECT_EQ(uncapped.delay_for_attempt(400), Duration(std::numeric_limits<Duration::rep>::max()));
}

TEST(UnitRetryPolicy, DefaultBackoffSequence) {
  const RetryPolicy policy;
  EXPECT_EQ(policy.delay_for_attempt(1), 100ms);
  EXPECT_EQ(policy.delay_for_attempt(2), 200ms);
  EXPECT_EQ(policy.delay_for_attempt(9), 25600ms);
  EXPECT_EQ(policy.delay_for_attempt(10), 30s);
}
