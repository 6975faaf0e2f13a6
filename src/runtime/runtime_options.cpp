#include <duroxide/runtime_options.hpp>

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "runtime/listen_address.hpp"
#include "runtime/metrics_token.hpp"

namespace duroxide {

Millis UnregisteredBackoffConfig::delay(std::uint32_t attempt) const {
  const std::uint32_t exponent = std::min<std::uint32_t>(attempt == 0 ? 0 : attempt - 1, 6);
  return std::min(base_delay * (std::int64_t{1} << exponent), max_delay);
}

namespace {

/// Durations are added to clocks (lock expiry, deadlines, backoff): beyond about a century that
/// overflows the nanosecond clocks, and nothing sensible needs more.
constexpr Millis kMaxOptionDuration = std::chrono::duration_cast<Millis>(std::chrono::hours(24 * 365 * 100));

/// The first duration option that is negative or too large to add to a clock, as an error naming it.
Result<void> check_durations(const RuntimeOptions& o) {
  const std::pair<const char*, Millis> durations[] = {
      {"dispatcher_min_poll_interval", o.dispatcher_min_poll_interval},
      {"dispatcher_long_poll_timeout", o.dispatcher_long_poll_timeout},
      {"orchestrator_lock_timeout", o.orchestrator_lock_timeout},
      {"orchestrator_lock_renewal_buffer", o.orchestrator_lock_renewal_buffer},
      {"worker_lock_timeout", o.worker_lock_timeout},
      {"worker_lock_renewal_buffer", o.worker_lock_renewal_buffer},
      {"activity_cancellation_grace_period", o.activity_cancellation_grace_period},
      {"session_lock_timeout", o.session_lock_timeout},
      {"session_lock_renewal_buffer", o.session_lock_renewal_buffer},
      {"session_idle_timeout", o.session_idle_timeout},
      {"session_cleanup_interval", o.session_cleanup_interval},
      {"unregistered_backoff.base_delay", o.unregistered_backoff.base_delay},
      {"unregistered_backoff.max_delay", o.unregistered_backoff.max_delay},
      {"observability.gauge_poll_interval", o.observability.gauge_poll_interval},
  };
  for (const auto& [name, value] : durations) {
    if (value < Millis(0)) {
      return Err(fmt::format("invalid RuntimeOptions: {} ({} ms) must not be negative", name, value.count()));
    }
    if (value > kMaxOptionDuration) {
      return Err(fmt::format("invalid RuntimeOptions: {} ({} ms) is too large: at most {} ms (100 years)", name,
                             value.count(), kMaxOptionDuration.count()));
    }
  }
  return {};
}

}  // namespace

Result<void> RuntimeOptions::validate() const {
  if (auto durations = check_durations(*this); !durations) return durations;
  if (orchestration_batch_size == 0) {
    return Err("invalid RuntimeOptions: orchestration_batch_size must be at least 1 (1: one instance per turn)");
  }
  const Millis renewal = worker_lock_timeout > worker_lock_renewal_buffer
                             ? worker_lock_timeout - worker_lock_renewal_buffer
                             : Millis(1000);
  if (session_idle_timeout <= renewal) {
    return Err(fmt::format(
        "invalid RuntimeOptions: session_idle_timeout ({:.3f} s) must be greater than the worker lock renewal "
        "interval (worker_lock_timeout - worker_lock_renewal_buffer = {:.3f} s)",
        static_cast<double>(session_idle_timeout.count()) / 1000.0, static_cast<double>(renewal.count()) / 1000.0));
  }
  if (metrics_listen) {
    if (auto address = runtime::parse_listen_address(*metrics_listen); !address) {
      return Err("invalid RuntimeOptions: metrics_listen " + address.error());
    }
  }
  if (metrics_token) {
    if (auto token = runtime::check_metrics_token(*metrics_token, "metrics_token"); !token) {
      return Err("invalid RuntimeOptions: " + token.error());
    }
  }
  if ((observability.metrics_sink || metrics_listen) && observability.gauge_poll_interval <= Millis(0)) {
    return Err(fmt::format("invalid RuntimeOptions: observability.gauge_poll_interval ({} ms) must be positive",
                           observability.gauge_poll_interval.count()));
  }
  return {};
}

Millis lock_renewal_interval(Millis timeout, Millis buffer) {
  constexpr Millis kOneSecond{1000};
  if (timeout >= Millis(15000)) return std::max(kOneSecond, timeout - std::min(buffer, timeout));
  const auto half_seconds_ceil = (timeout.count() + 1999) / 2000;  // ceil(timeout_seconds × 0.5)
  return std::max(kOneSecond, Millis(half_seconds_ceil * 1000));
}

}  // namespace duroxide
