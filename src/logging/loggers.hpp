#pragma once
// duroxide's loggers (docs/runtime-features.md, "Logs"): one spdlog logger per target, named after
// duroxide's targets and sharing one sink: stderr, or ObservabilityConfig::log_sink. Set up once per
// process, by the first Runtime::start or configure_logging(); every layer logs through them, never
// through spdlog's default logger, which belongs to the application.
//
// Default filter: warn for the library's own targets (runtime, provider, client),
// ObservabilityConfig::log_level for the user traces (orchestration, activity). DUROXIDE_LOG (or
// RUST_LOG) overrides it with "level" or "target=level" directives separated by commas.

#include <memory>

#include <spdlog/logger.h>
#include <spdlog/sinks/sink.h>

#include <duroxide/logging.hpp>

namespace duroxide::logging {

spdlog::logger& runtime();        ///< target duroxide::runtime
spdlog::logger& orchestration();  ///< target duroxide::orchestration (user traces)
spdlog::logger& activity();       ///< target duroxide::activity (user traces)
spdlog::logger& provider();       ///< target duroxide::provider (the stores)
spdlog::logger& client();         ///< target duroxide::client

/// Test hooks: also send every logger's lines to `sink`, and stop again. Not synchronised with
/// logging threads: call them while the process runs no runtime or store threads.
void add_sink_for_tests(const std::shared_ptr<spdlog::sinks::sink>& sink);
void remove_sink_for_tests(const std::shared_ptr<spdlog::sinks::sink>& sink);

}  // namespace duroxide::logging
