// RetryPolicy and BackoffStrategy for activity retries (docs/core.md, "Retry policy").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <variant>

namespace duroxide {

/// Durations are whole nanoseconds; arithmetic saturates at the largest representable value
/// (about 292 years) instead of overflowing.
using Duration = std::chrono::nanoseconds;

namespace backoff {
/// No delay between attempts.
struct None {
  bool operator==(const None&) const = default;
};
/// The same delay before every retry.
struct Fixed {
  Duration delay{};
  bool operator==(const Fixed&) const = default;
};
/// base × n, capped at max.
struct Linear {
  Duration base{};
  Duration max{};
  bool operator==(const Linear&) const = default;
};
/// base × multiplier^(n−1), capped at max.
struct Exponential {
  Duration base{};
  double multiplier = 2.0;
  Duration max{};
  bool operator==(const Exponential&) const = default;
};
}  // namespace backoff

/// How long to wait between attempts. Default: Exponential{100 ms, ×2, max 30 s}.
struct BackoffStrategy {
  std::variant<backoff::None, backoff::Fixed, backoff::Linear, backoff::Exponential> value =
      backoff::Exponential{std::chrono::milliseconds(100), 2.0, std::chrono::seconds(30)};

  BackoffStrategy() = default;
  BackoffStrategy(backoff::None v) : value(v) {}         // NOLINT(google-explicit-constructor)
  BackoffStrategy(backoff::Fixed v) : value(v) {}        // NOLINT(google-explicit-constructor)
  BackoffStrategy(backoff::Linear v) : value(v) {}       // NOLINT(google-explicit-constructor)
  BackoffStrategy(backoff::Exponential v) : value(v) {}  // NOLINT(google-explicit-constructor)

  /// Delay after `failed_attempts` failures (1 after the first failure). Exact duroxide formulas:
  /// Linear saturates; Exponential is computed in floating point on nanoseconds and truncated.
  Duration delay_for_attempt(std::uint32_t failed_attempts) const;

  bool operator==(const BackoffStrategy&) const = default;
};

/// Retry configuration for schedule_activity_with_retry*.
struct RetryPolicy {
  /// Attempts including the first; at least 1.
  std::uint32_t max_attempts = 3;
  BackoffStrategy backoff;
  /// Per-attempt timeout: an attempt racing past it fails with "timeout: activity timed out" and
  /// is never retried. Absent = no timeout.
  std::optional<Duration> timeout;

  RetryPolicy() = default;
  /// Throws std::invalid_argument when max_attempts is 0 (a programming error).
  explicit RetryPolicy(std::uint32_t attempts) : max_attempts(attempts) {
    if (attempts == 0) throw std::invalid_argument("RetryPolicy: max_attempts must be at least 1");
  }
  RetryPolicy& with_timeout(Duration t) & {
    timeout = t;
    return *this;
  }
  RetryPolicy&& with_timeout(Duration t) && {
    timeout = t;
    return std::move(*this);
  }
  RetryPolicy& with_backoff(BackoffStrategy b) & {
    backoff = b;
    return *this;
  }
  RetryPolicy&& with_backoff(BackoffStrategy b) && {
    backoff = b;
    return std::move(*this);
  }
  Duration delay_for_attempt(std::uint32_t failed_attempts) const { return backoff.delay_for_attempt(failed_attempts); }

  bool operator==(const RetryPolicy&) const = default;
};

}  // namespace duroxide
