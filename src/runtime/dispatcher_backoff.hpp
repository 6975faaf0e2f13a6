#pragma once
// What both dispatchers do between fetches (spec/04 §3.1 steps 3 and 6).

#include <algorithm>
#include <chrono>
#include <cstdint>

#include <duroxide/provider_types.hpp>

#include "runtime/runtime_state.hpp"

namespace duroxide::runtime {

/// Backoff after a failed fetch: retryable errors grow 200 ms, 400 ms ... up to 3 s (the counter
/// resets on success); permanent ones wait 100 ms.
inline std::chrono::milliseconds fetch_error_backoff(const ProviderError& error, int& consecutive) {
  if (!error.is_retryable()) {
    consecutive = 0;
    return std::chrono::milliseconds(100);
  }
  ++consecutive;
  return std::chrono::milliseconds(std::min<std::int64_t>(100LL << std::min(consecutive, 5), 3000));
}

/// After an empty poll that returned sooner than dispatcher_min_poll_interval (a short-poll store),
/// sleeps the rest, waking early on shutdown. Long-poll stores have already waited.
inline void wait_out_min_poll(Runtime::State& state, std::chrono::steady_clock::time_point cycle_start) {
  const auto elapsed = std::chrono::steady_clock::now() - cycle_start;
  if (elapsed < state.options.dispatcher_min_poll_interval) {
    state.sleep_for(
        std::chrono::duration_cast<std::chrono::milliseconds>(state.options.dispatcher_min_poll_interval - elapsed));
  }
}

}  // namespace duroxide::runtime
