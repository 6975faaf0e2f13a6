// Captures the runtime's log lines (all three targets) for tests that assert on logs.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/sinks/base_sink.h>

#include "logging/loggers.hpp"

namespace duroxide::testing {

struct CapturedLine {
  std::string target;
  spdlog::level::level_enum level;
  std::string text;
};

/// An spdlog sink that keeps every line it receives (thread-safe).
class CaptureSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<CapturedLine> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  std::vector<CapturedLine> containing(const std::string& needle) {
    std::vector<CapturedLine> out;
    for (auto& line : lines()) {
      if (line.text.find(needle) != std::string::npos) out.push_back(line);
    }
    return out;
  }
  std::optional<CapturedLine> find(const std::function<bool(const CapturedLine&)>& predicate) {
    std::lock_guard lock(mutex_);
    for (const auto& line : lines_) {
      if (predicate(line)) return line;
    }
    return std::nullopt;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    lines_.push_back({std::string(msg.logger_name.begin(), msg.logger_name.end()), msg.level,
                      std::string(msg.payload.begin(), msg.payload.end())});
  }
  void flush_() override {}

 private:
  std::vector<CapturedLine> lines_;
};

/// A sink attached to every logger of the process from now on (sinks cannot be detached).
inline std::shared_ptr<CaptureSink> attach_capture_sink() {
  auto sink = std::make_shared<CaptureSink>();
  logging::add_sink_for_tests(sink);
  return sink;
}

}  // namespace duroxide::testing
