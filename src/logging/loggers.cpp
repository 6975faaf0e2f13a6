#include "logging/loggers.hpp"

#include <array>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>

#include <spdlog/sinks/stdout_color_sinks.h>

#include "logging/log_format.hpp"

namespace duroxide::logging {

namespace {

enum Target : std::size_t { kRuntime, kOrchestration, kActivity, kProvider, kClient, kTargetCount };

constexpr std::array<std::string_view, kTargetCount> kTargetNames{
    "duroxide::runtime", "duroxide::orchestration", "duroxide::activity", "duroxide::provider", "duroxide::client"};

std::once_flag g_once;
std::array<std::shared_ptr<spdlog::logger>, kTargetCount> g_loggers;

std::string pattern_for(LogFormat format) {
  switch (format) {
    case LogFormat::Json:  // make_json_formatter() instead; see set_up
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
    const std::string target = eq == std::string::npos ? std::string() : directive.substr(0, eq);
    for (auto& logger : g_loggers) {
      // A directive for a prefix ("duroxide") applies to every target below it; none to all.
      if (logger->name().starts_with(target)) logger->set_level(level);
    }
  }
}

void set_up(const ObservabilityConfig& config) {
  std::shared_ptr<spdlog::sinks::sink> sink = config.log_sink;
  if (!sink) sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  for (std::size_t i = 0; i < kTargetCount; ++i) {
    auto logger = std::make_shared<spdlog::logger>(std::string(kTargetNames[i]), sink);
    if (config.log_format == LogFormat::Json) {
      logger->set_formatter(make_json_formatter());
    } else {
      logger->set_pattern(pattern_for(config.log_format), spdlog::pattern_time_type::utc);
    }
    const bool user_trace = i == kOrchestration || i == kActivity;
    logger->set_level(user_trace ? spdlog::level::from_str(config.log_level) : spdlog::level::warn);
    g_loggers[i] = std::move(logger);
  }
  const char* env = std::getenv("DUROXIDE_LOG");
  if (env == nullptr) env = std::getenv("RUST_LOG");
  if (env != nullptr) apply_filter(env);
}

spdlog::logger& logger(Target target) {
  std::call_once(g_once, [] { set_up(ObservabilityConfig{}); });
  return *g_loggers[target];
}

}  // namespace

spdlog::logger& runtime() { return logger(kRuntime); }
spdlog::logger& orchestration() { return logger(kOrchestration); }
spdlog::logger& activity() { return logger(kActivity); }
spdlog::logger& provider() { return logger(kProvider); }
spdlog::logger& client() { return logger(kClient); }

void add_sink_for_tests(const std::shared_ptr<spdlog::sinks::sink>& sink) {
  for (std::size_t i = 0; i < kTargetCount; ++i) logger(static_cast<Target>(i)).sinks().push_back(sink);
}

void remove_sink_for_tests(const std::shared_ptr<spdlog::sinks::sink>& sink) {
  for (std::size_t i = 0; i < kTargetCount; ++i) std::erase(logger(static_cast<Target>(i)).sinks(), sink);
}

}  // namespace duroxide::logging

namespace duroxide {

bool configure_logging(const ObservabilityConfig& config) {
  bool configured = false;
  std::call_once(logging::g_once, [&] {
    logging::set_up(config);
    configured = true;
  });
  return configured;
}

}  // namespace duroxide
