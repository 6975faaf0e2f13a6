// W3C trace context, derived span ids and the OTLP/JSON file sink (docs/tracing.md).
#include <duroxide/tracing.hpp>

#include <cctype>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "observability/trace_ids.hpp"

namespace duroxide {

namespace {

constexpr std::uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

/// FNV-1a over `text`, from `seed`: stable across platforms and builds, unlike std::hash.
std::uint64_t fnv1a(std::string_view text, std::uint64_t seed = kFnvOffset) {
  std::uint64_t hash = seed;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= kFnvPrime;
  }
  // A final mix so that near inputs differ in every digit.
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdULL;
  hash ^= hash >> 33;
  return hash == 0 ? 1 : hash;
}

std::string hex16(std::uint64_t value) { return fmt::format("{:016x}", value); }

bool all_hex(std::string_view text) {
  for (char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool all_zeros(std::string_view text) { return text.find_first_not_of('0') == std::string_view::npos; }

std::string lowered(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string TraceParent::to_string() const { return fmt::format("00-{}-{}-{:02x}", trace_id, parent_span_id, flags); }

Result<TraceParent> parse_traceparent(std::string_view text) {
  const auto refuse = [&](std::string_view why) {
    return Err(fmt::format("traceparent '{}' is not a W3C traceparent: {}", text.substr(0, 100), why));
  };
  if (text.size() != 55) return refuse("it must be 55 characters, 00-<32 hex>-<16 hex>-<2 hex>");
  if (text[2] != '-' || text[35] != '-' || text[52] != '-') return refuse("the parts must be separated by '-'");
  const auto version = text.substr(0, 2);
  const auto trace_id = text.substr(3, 32);
  const auto parent = text.substr(36, 16);
  const auto flags = text.substr(53, 2);
  if (version != "00") return refuse("only version 00 is known");
  if (!all_hex(trace_id) || !all_hex(parent) || !all_hex(flags)) return refuse("ids and flags must be hex digits");
  if (all_zeros(trace_id)) return refuse("the trace id is all zeros");
  if (all_zeros(parent)) return refuse("the parent span id is all zeros");
  TraceParent parsed;
  parsed.trace_id = lowered(trace_id);
  parsed.parent_span_id = lowered(parent);
  parsed.flags = static_cast<std::uint8_t>(std::stoul(std::string(flags), nullptr, 16));
  return parsed;
}

std::string TraceContext::traceparent() const {
  return fmt::format("00-{}-{}-{}", trace_id, span_id, sampled ? "01" : "00");
}

namespace observability {

TraceContext orchestration_trace(const std::optional<std::string>& recorded, const std::string& instance,
                                 std::uint64_t execution_id) {
  TraceContext context;
  std::optional<TraceParent> parent;
  if (recorded) {
    if (auto parsed = parse_traceparent(*recorded)) parent = std::move(*parsed);
  }
  if (parent) {
    context.trace_id = parent->trace_id;
    context.parent_span_id = parent->parent_span_id;
    context.sampled = (parent->flags & 1) != 0;
  } else {
    // The root of its own trace: the same id on every replay and every execution of the instance.
    const std::string key = "duroxide-trace|" + instance;
    context.trace_id = hex16(fnv1a(key)) + hex16(fnv1a(key, kFnvOffset ^ 0x9e3779b97f4a7c15ULL));
  }
  context.span_id = hex16(fnv1a(fmt::format("orchestration|{}|{}|{}", context.trace_id, instance, execution_id)));
  return context;
}

std::optional<TraceContext> activity_trace(const std::optional<std::string>& trace_parent, const std::string& instance,
                                           std::uint64_t activity_id, std::uint32_t attempt) {
  if (!trace_parent) return std::nullopt;
  auto parent = parse_traceparent(*trace_parent);
  if (!parent) return std::nullopt;
  TraceContext context;
  context.trace_id = parent->trace_id;
  context.parent_span_id = parent->parent_span_id;
  context.sampled = (parent->flags & 1) != 0;
  context.span_id =
      hex16(fnv1a(fmt::format("activity|{}|{}|{}|{}", parent->parent_span_id, instance, activity_id, attempt)));
  return context;
}

}  // namespace observability

// ---- OTLP/JSON file sink ----

Result<std::shared_ptr<OtlpJsonFileSpanSink>> OtlpJsonFileSpanSink::open(const std::string& path,
                                                                         std::string service_name) {
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) return Err(fmt::format("cannot open the span file {}: {}", path, std::strerror(errno)));
  return std::shared_ptr<OtlpJsonFileSpanSink>(new OtlpJsonFileSpanSink(file, std::move(service_name)));
}

OtlpJsonFileSpanSink::~OtlpJsonFileSpanSink() {
  if (file_ != nullptr) std::fclose(file_);
}

std::string OtlpJsonFileSpanSink::to_otlp_json(const SpanRecord& span, std::string_view service_name) {
  using Json = nlohmann::ordered_json;
  const auto string_attribute = [](const std::string& key, const std::string& value) {
    return Json{{"key", key}, {"value", Json{{"stringValue", value}}}};
  };
  Json attributes = Json::array();
  for (const auto& [key, value] : span.attributes) attributes.push_back(string_attribute(key, value));
  Json otlp_span = {{"traceId", span.context.trace_id},
                    {"spanId", span.context.span_id},
                    {"parentSpanId", span.context.parent_span_id},
                    {"name", span.name},
                    // SPAN_KIND_INTERNAL: neither a server nor a client call.
                    {"kind", 1},
                    // OTLP/JSON writes 64-bit integers as strings.
                    {"startTimeUnixNano", std::to_string(span.start_unix_ns)},
                    {"endTimeUnixNano", std::to_string(span.end_unix_ns)},
                    {"attributes", attributes}};
  // STATUS_CODE_OK = 1, STATUS_CODE_ERROR = 2.
  otlp_span["status"] = span.ok ? Json{{"code", 1}} : Json{{"code", 2}, {"message", span.status_message}};
  Json request = {
      {"resourceSpans",
       Json::array(
           {Json{{"resource",
                  Json{{"attributes", Json::array({string_attribute("service.name", std::string(service_name))})}}},
                 {"scopeSpans",
                  Json::array({Json{{"scope", Json{{"name", "duroxide"}}}, {"spans", Json::array({otlp_span})}}})}}})}};
  // Bytes that are not UTF-8 (an activity name taken as is) become U+FFFD rather than an exception.
  return request.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void OtlpJsonFileSpanSink::on_span(const SpanRecord& span) {
  const auto line = to_otlp_json(span, service_name_) + "\n";
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
}

}  // namespace duroxide
