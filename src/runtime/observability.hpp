#pragma once
// The runtime's loggers (docs/runtime-features.md, "Logs"): the targets of src/logging/loggers.hpp
// that the runtime writes to, set up from the first runtime's ObservabilityConfig.

#include <memory>

#include <spdlog/logger.h>
#include <spdlog/sinks/sink.h>

#include <duroxide/runtime_options.hpp>

namespace duroxide::runtime {

/// Sets up the loggers once per process; later calls (other runtimes) keep the first set-up.
void init_logging(const ObservabilityConfig& config);

spdlog::logger& runtime_log();        ///< target duroxide::runtime
spdlog::logger& orchestration_log();  ///< target duroxide::orchestration (user traces)
spdlog::logger& activity_log();       ///< target duroxide::activity (user traces)

/// Test hook: also send every logger's lines to `sink` (call before starting a runtime).
void add_log_sink_for_tests(const std::shared_ptr<spdlog::sinks::sink>& sink);

}  // namespace duroxide::runtime
