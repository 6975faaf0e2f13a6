#include <duroxide/retry_policy.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/overloaded.hpp"

namespace duroxide {
namespace {
using detail::Overloaded;

constexpr auto kMaxNanos = std::numeric_limits<Duration::rep>::max();

Duration saturating_mul(Duration d, std::uint32_t n) {
  // Durations are never negative in duroxide (Rust's Duration is unsigned): clamp to zero.
  if (d.count() <= 0 || n == 0) return Duration(0);
  if (d.count() > kMaxNanos / static_cast<Duration::rep>(n)) return Duration(kMaxNanos);
  return Duration(d.count() * static_cast<Duration::rep>(n));
}

// Float-to-integer conversion that saturates like Rust's `as` casts: NaN and negatives give 0.
Duration saturating_from_double_nanos(double nanos) {
  if (std::isnan(nanos) || nanos <= 0.0) return Duration(0);
  if (nanos >= static_cast<double>(kMaxNanos)) return Duration(kMaxNanos);
  return Duration(static_cast<Duration::rep>(nanos));
}
}  // namespace

Duration BackoffStrategy::delay_for_attempt(std::uint32_t failed_attempts) const {
  return std::visit(
      Overloaded{[](const backoff::None&) { return Duration(0); }, [](const backoff::Fixed& b) { return b.delay; },
                 [&](const backoff::Linear& b) { return std::min(saturating_mul(b.base, failed_attempts), b.max); },
                 [&](const backoff::Exponential& b) {
                   // delay = base × multiplier^(n−1); n = 0 is treated as exponent 0. The exponent is
                   // clamped to int's range (duroxide's cast wraps it negative past 2^31 attempts).
                   const auto exponent = static_cast<int>(
                       std::min<std::uint32_t>(failed_attempts == 0 ? 0 : failed_attempts - 1,
                                               static_cast<std::uint32_t>(std::numeric_limits<int>::max())));
                   const double factor = std::pow(b.multiplier, exponent);
                   const auto delay = saturating_from_double_nanos(static_cast<double>(b.base.count()) * factor);
                   return std::min(delay, b.max);
                 }},
      value);
}

}  // namespace duroxide
