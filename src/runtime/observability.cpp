#include "runtime/observability.hpp"

#include "logging/loggers.hpp"

namespace duroxide::runtime {

void init_logging(const ObservabilityConfig& config) { (void)logging::configure(config); }

spdlog::logger& runtime_log() { return logging::runtime(); }
spdlog::logger& orchestration_log() { return logging::orchestration(); }
spdlog::logger& activity_log() { return logging::activity(); }

void add_log_sink_for_tests(const std::shared_ptr<spdlog::sinks::sink>& sink) { logging::add_sink_for_tests(sink); }

}  // namespace duroxide::runtime
