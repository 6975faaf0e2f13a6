// ActivityContext: what an activity function knows about the call it serves, and how it learns
// that it should stop (docs/runtime.md, "Runtime").
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <utility>

#include <duroxide/client.hpp>
#include <duroxide/tracing.hpp>

namespace duroxide {

/// A log record written by activity code through trace_*; the runtime routes it to the
/// `duroxide::activity` log target with the call's correlation fields.
struct ActivityTraceRecord {
  std::string level;  ///< "info", "warn", "error" or "debug"
  std::string message;
};

/// Passed by reference to every activity function. Activities run on worker threads; the context
/// is valid for the duration of the call.
class ActivityContext {
 public:
  /// Identity of one activity execution.
  struct Info {
    std::string instance_id;
    std::uint64_t execution_id = 0;
    std::string orchestration_name;     ///< "unknown" when it cannot be read
    std::string orchestration_version;  ///< "unknown" when it cannot be read
    std::string activity_name;
    std::uint64_t activity_id = 0;  ///< event_id of the ActivityScheduled event
    std::string worker_id;
    std::optional<std::string> session_id;
    std::optional<std::string> tag;
    /// This attempt's span (docs/tracing.md); nothing for work queued before tracing existed.
    std::optional<TraceContext> trace = std::nullopt;
  };
  using TraceSink = std::function<void(const Info&, const ActivityTraceRecord&)>;

  /// Built by the runtime; tests may build one directly. `stop` is triggered when the activity
  /// should stop (its orchestration ended, its lock was stolen, or the runtime shuts down).
  explicit ActivityContext(Info info, std::stop_token stop = {}, TraceSink sink = {},
                           std::shared_ptr<Provider> store = nullptr)
      : info_(std::move(info)), stop_(std::move(stop)), sink_(std::move(sink)), store_(std::move(store)) {}

  const std::string& instance_id() const { return info_.instance_id; }
  std::uint64_t execution_id() const { return info_.execution_id; }
  const std::string& orchestration_name() const { return info_.orchestration_name; }
  const std::string& orchestration_version() const { return info_.orchestration_version; }
  const std::string& activity_name() const { return info_.activity_name; }
  std::uint64_t activity_id() const { return info_.activity_id; }
  const std::string& worker_id() const { return info_.worker_id; }
  /// Set when scheduled with schedule_activity_on_session.
  const std::optional<std::string>& session_id() const { return info_.session_id; }
  /// Set when scheduled with `.with_tag()`.
  const std::optional<std::string>& tag() const { return info_.tag; }
  /// This attempt's span: pass `trace()->traceparent()` on with calls the activity makes, so
  /// their spans join the orchestration's trace (docs/tracing.md).
  const std::optional<TraceContext>& trace() const { return info_.trace; }
  const Info& info() const { return info_; }

  /// True once the activity has been asked to stop. Long-running activities should check it (or
  /// wait on stop_token()) and return early; their result is discarded anyway.
  bool is_cancelled() const { return stop_.stop_requested(); }

  /// A client over the runtime's store (e.g. to start another orchestration or read KV).
  /// Throws std::logic_error for a context made without a store (unit tests).
  Client get_client() const {
    if (!store_) throw std::logic_error("ActivityContext has no store: it was not created by a runtime");
    return Client(store_);
  }
  /// For std::stop_callback or std::condition_variable_any waits.
  std::stop_token stop_token() const { return stop_; }

  void trace_info(std::string message) const { trace("info", std::move(message)); }
  void trace_warn(std::string message) const { trace("warn", std::move(message)); }
  void trace_error(std::string message) const { trace("error", std::move(message)); }
  void trace_debug(std::string message) const { trace("debug", std::move(message)); }

 private:
  void trace(const char* level, std::string message) const {
    if (sink_) sink_(info_, ActivityTraceRecord{level, std::move(message)});
  }

  Info info_;
  std::stop_token stop_;
  TraceSink sink_;
  std::shared_ptr<Provider> store_;
};

}  // namespace duroxide
