#pragma once
// Logging of the runtime (docs/runtime-features.md, "Logs"): three spdlog loggers named after duroxide's targets,
// sharing one stderr sink. Default filter: warn for the runtime, ObservabilityConfig::log_level for
// user traces (orchestration and activity). DUROXIDE_LOG (or RUST_LOG) overrides it with
// "level" or "target=level" directives separated by commas.

#include <memory>
#include <string_view>

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
