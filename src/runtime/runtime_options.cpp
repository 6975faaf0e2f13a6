#include <duroxide/runtime_options.hpp>

#include <algorithm>

#include <fmt/format.h>

namespace duroxide {

Millis UnregisteredBackoffConfig::delay(std::uint32_t attempt) const {
  const std::uint32_t exponent = std::min<std::uint32_t>(attempt == 0 ? 0 : attempt - 1, 6);
  return std::min(base_delay * (std::int64_t{1} << exponent), max_delay);
}

Result<void> RuntimeOptions::validate() const {
  const Millis renewal = worker_lock_timeout > worker_lock_renewal_buffer
                             ? worker_lock_timeout - worker_lock_renewal_buffer
                             : Millis(1000);
  if (session_idle_timeout <= renewal) {
    return Err(fmt::format(
        "invalid RuntimeOptions: session_idle_timeout ({:.3f} s) must be greater than the worker lock renewal "
        "interval (worker_lock_timeout - worker_lock_renewal_buffer = {:.3f} s)",
        static_cast<double>(session_idle_timeout.count()) / 1000.0, static_cast<double>(renewal.count()) / 1000.0));
  }
  if (observability.metrics_sink && observability.gauge_poll_interval <= Millis(0)) {
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
