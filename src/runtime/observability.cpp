#include "runtime/observability.hpp"

#include "runtime/log_format.hpp"

#include <cstdlib>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace duroxide::runtime {

namespace {

constexpr std::string_view kRuntimeTarget = "duroxide::runtime";
constexpr std::string_view kOrchestrationTarget = "duroxide::orchestration";
constexpr std::string_view kActivityTarget = "duroxide::activity";

struct Loggers {
  std::shared_ptr<spdlog::logger> runtime;
  std::shared_ptr<spdlog::logger> orchestration;
  std::shared_ptr<spdlog::logger> activity;
};

std::once_flag g_once;
Loggers g_loggers;

std::string pattern_for(LogFormat format) {
  switch (format) {
    case LogFormat::Json:  // make_json_formatter() instead; see ensure_loggers
    case LogFormat::Compact:
      return "%Y-%m-%dT%H:%M:%S.%fZ %l %n: %v";
    case LogFormat::Pretty:
      break;
  }
  return "%Y-%m-%d %H:%M:%S.%f %^%-5l%$ %n\n    %v";
}

void apply_filter(const std::string& filter) {
  std::stringstream directives(filter);
  std::string directive;
  while (std::getline(directives, directive, ',')) {
    const auto eq = directive.find('=');
    const auto level = spdlog::level::from_str(eq == std::string::npos ? directive : directive.substr(eq + 1));
    if (eq == std::string::npos) {
      for (auto* logger : {&g_loggers.runtime, &g_loggers.orchestration, &g_loggers.activity}) {
        (*logger)->set_level(level);
      }
      continue;
    }
    const std::string target = directive.substr(0, eq);
    for (auto* logger : {&g_loggers.runtime, &g_loggers.orchestration, &g_loggers.activity}) {
      // A directive for a prefix ("duroxide") applies to every target below it.
      if ((*logger)->name().starts_with(target)) (*logger)->set_level(level);
    }
  }
}

void ensure_loggers(const ObservabilityConfig* config) {
  std::call_once(g_once, [config] {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    auto make = [&](std::string_view name) {
      auto logger = std::make_shared<spdlog::logger>(std::string(name), sink);
      const auto format = config != nullptr ? config->log_format : LogFormat::Pretty;
      if (format == LogFormat::Json) {
        logger->set_formatter(make_json_formatter());
      } else {
        logger->set_pattern(pattern_for(format), spdlog::pattern_time_type::utc);
      }
      return logger;
    };
    g_loggers = {make(kRuntimeTarget), make(kOrchestrationTarget), make(kActivityTarget)};
    const std::string user_level = config != nullptr ? config->log_level : "info";
    g_loggers.runtime->set_level(spdlog::level::warn);
    g_loggers.orchestration->set_level(spdlog::level::from_str(user_level));
    g_loggers.activity->set_level(spdlog::level::from_str(user_level));
    const char* env = std::getenv("DUROXIDE_LOG");
    if (env == nullptr) env = std::getenv("RUST_LOG");
    if (env != nullptr) apply_filter(env);
  });
}

}  // namespace

void init_logging(const ObservabilityConfig& config) { ensure_loggers(&config); }

spdlog::logger& runtime_log() {
  ensure_loggers(nullptr);
  return *g_loggers.runtime;
}
spdlog::logger& orchestration_log() {
  ensure_loggers(nullptr);
  return *g_loggers.orchestration;
}
spdlog::logger& activity_log() {
  ensure_loggers(nullptr);
  return *g_loggers.activity;
}

void add_log_sink_for_tests(const std::shared_ptr<spdlog::sinks::sink>& sink) {
  ensure_loggers(nullptr);
  for (auto* logger : {&g_loggers.runtime, &g_loggers.orchestration, &g_loggers.activity}) {
    (*logger)->sinks().push_back(sink);
  }
}

}  // namespace duroxide::runtime
