#pragma once
// What both dispatchers do between fetches (docs/runtime.md, "Dispatcher loops").

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <duroxide/provider_types.hpp>

#include "logging/loggers.hpp"
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

/// What a slot does with the result of a fetch.
enum class FetchTriage {
  Retry,    ///< failed or found nothing; the backoff or idle wait has already been taken
  Stop,     ///< fetched while shutting down; the item was handed back untouched
  Process,  ///< an item to process
};

/// The error backoff and the idle wait of a fetch's triage: Retry when the fetch failed or found
/// nothing, Process when it found work.
inline FetchTriage triage_error_or_idle(Runtime::State& state, const ProviderError* error, bool found,
                                        std::string_view operation, int& consecutive_errors,
                                        std::chrono::steady_clock::time_point cycle_start) {
  if (error != nullptr) {
    ++state.metrics.provider_errors;
    const auto delay = fetch_error_backoff(*error, consecutive_errors);
    logging::runtime().warn("{} failed ({} ms backoff): {}", operation, delay.count(), error->to_string());
    state.sleep_for(delay);
    return FetchTriage::Retry;
  }
  consecutive_errors = 0;
  if (!found) {
    wait_out_min_poll(state, cycle_start);
    return FetchTriage::Retry;
  }
  return FetchTriage::Process;
}

/// The shared part of both slot loops after a fetch (docs/runtime.md, "Dispatcher loops"):
/// error backoff, idle wait, and handing back an item fetched during shutdown via `give_back`.
template <class Item, class GiveBack>
FetchTriage triage_fetch(Runtime::State& state, const ProviderResult<std::optional<Item>>& fetched,
                         std::string_view operation, int& consecutive_errors,
                         std::chrono::steady_clock::time_point cycle_start, GiveBack give_back) {
  const auto triage = triage_error_or_idle(state, fetched ? nullptr : &fetched.error(), fetched && fetched->has_value(),
                                           operation, consecutive_errors, cycle_start);
  if (triage != FetchTriage::Process) return triage;
  if (state.stop.stop_requested()) {
    give_back((*fetched)->lock_token);
    return FetchTriage::Stop;
  }
  return FetchTriage::Process;
}

/// triage_fetch for a batched fetch (docs/runtime.md, "Batched turns"): every item fetched during
/// shutdown is handed back.
template <class Item, class GiveBack>
FetchTriage triage_fetch(Runtime::State& state, const ProviderResult<std::vector<Item>>& fetched,
                         std::string_view operation, int& consecutive_errors,
                         std::chrono::steady_clock::time_point cycle_start, GiveBack give_back) {
  const auto triage = triage_error_or_idle(state, fetched ? nullptr : &fetched.error(), fetched && !fetched->empty(),
                                           operation, consecutive_errors, cycle_start);
  if (triage != FetchTriage::Process) return triage;
  if (state.stop.stop_requested()) {
    for (const auto& item : *fetched) give_back(item.lock_token);
    return FetchTriage::Stop;
  }
  return FetchTriage::Process;
}

}  // namespace duroxide::runtime
