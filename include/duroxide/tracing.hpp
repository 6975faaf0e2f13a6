// Trace spans (docs/tracing.md): every orchestration execution and every activity attempt is a
// span of a W3C trace, with ids derived from what history records, so replaying an instance
// makes no new spans. A trace can be continued from a caller's `traceparent`
// (Client::start_orchestration_traced); children continue their parent's trace. Spans reach the
// application through a SpanSink (RuntimeOptions::span_sink); OtlpJsonFileSpanSink writes them
// as OTLP/JSON lines.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <duroxide/result.hpp>

namespace duroxide {

/// A parsed W3C `traceparent` header: version 00, a trace id of 32 lowercase hex digits, a parent
/// span id of 16, and the flags.
struct TraceParent {
  std::string trace_id;
  std::string parent_span_id;
  std::uint8_t flags = 1;  ///< bit 0: sampled

  /// "00-<trace_id>-<parent_span_id>-<flags>".
  std::string to_string() const;
  bool operator==(const TraceParent&) const = default;
};

/// The header, or why it is not one: its form is `00-` + 32 hex + `-` + 16 hex + `-` + 2 hex,
/// neither id all zeros (upper-case hex is accepted and lowered).
Result<TraceParent> parse_traceparent(std::string_view text);

/// Where a piece of work sits in its trace: the trace, its own span, and the span it is part of.
struct TraceContext {
  std::string trace_id;        ///< 32 lowercase hex digits
  std::string span_id;         ///< 16 lowercase hex digits: this orchestration execution's or activity attempt's span
  std::string parent_span_id;  ///< the enclosing span; empty for a trace's root span
  bool sampled = true;

  /// The `traceparent` to send with a call made from here, so the callee's spans are children
  /// of this one: "00-<trace_id>-<span_id>-01".
  std::string traceparent() const;
  bool operator==(const TraceContext&) const = default;
};

/// One finished span, as a SpanSink receives it.
struct SpanRecord {
  enum class Kind { Orchestration, Activity };
  Kind kind = Kind::Orchestration;
  TraceContext context;
  std::string name;  ///< "orchestration <name>" or "activity <name>"
  std::uint64_t start_unix_ns = 0;
  std::uint64_t end_unix_ns = 0;
  bool ok = true;
  std::string status_message;  ///< why it failed (empty when ok)
  /// duroxide.instance_id, duroxide.execution_id, duroxide.orchestration.name, ... (docs/tracing.md).
  std::vector<std::pair<std::string, std::string>> attributes;
};

/// Receives spans as they end. Called from runtime threads, concurrently: an implementation must
/// be thread-safe and quick (it runs on the dispatcher or worker thread that ended the span).
/// An exception it throws is caught and logged; the span is lost, nothing else.
class SpanSink {
 public:
  virtual ~SpanSink() = default;
  virtual void on_span(const SpanRecord& span) = 0;
};

/// Writes each span as one line of OTLP/JSON (an ExportTraceServiceRequest holding one span), the
/// file format of the OpenTelemetry Collector's file exporter and receiver (docs/tracing.md).
class OtlpJsonFileSpanSink : public SpanSink {
 public:
  /// Opens `path` for appending (created if missing); an error names the path and the reason.
  static Result<std::shared_ptr<OtlpJsonFileSpanSink>> open(const std::string& path,
                                                            std::string service_name = "duroxide");
  ~OtlpJsonFileSpanSink() override;
  OtlpJsonFileSpanSink(const OtlpJsonFileSpanSink&) = delete;
  OtlpJsonFileSpanSink& operator=(const OtlpJsonFileSpanSink&) = delete;

  void on_span(const SpanRecord& span) override;
  /// One span as the line written for it (without the newline).
  static std::string to_otlp_json(const SpanRecord& span, std::string_view service_name);

 private:
  OtlpJsonFileSpanSink(std::FILE* file, std::string service_name)
      : file_(file), service_name_(std::move(service_name)) {}
  std::mutex mutex_;
  std::FILE* file_;
  std::string service_name_;
};

}  // namespace duroxide
