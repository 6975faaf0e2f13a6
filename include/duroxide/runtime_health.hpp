// Runtime::health(): whether every dispatcher thread of a runtime is still running, and the
// errors the runtime caught on its threads (a throwing MetricsSink, any exception while a turn or
// an activity was processed). Such an error never stops a thread: the item is handed back and the
// loop goes on; health() is where it shows besides the error log.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace duroxide {

struct RuntimeHealth {
  /// Dispatcher and maintenance threads the runtime started, and how many of them still run
  /// (fewer only after shutdown).
  std::size_t threads_started = 0;
  std::size_t threads_alive = 0;
  /// Every started thread is still running.
  bool all_threads_alive = false;
  /// Names of the started threads that no longer run ("worker slot 0", "orchestration slot 1",
  /// "lock renewer"), in start order: all of them after shutdown.
  std::vector<std::string> stopped_threads;
  /// Exceptions caught on runtime threads since start.
  std::uint64_t errors_caught = 0;
  /// The latest of them: where it was caught and what it said, and when.
  std::optional<std::string> last_error;
  std::optional<std::chrono::system_clock::time_point> last_error_at;
};

}  // namespace duroxide
