#include "schedules/schedule_record.hpp"

#include <nlohmann/json.hpp>

namespace duroxide::schedules {

namespace {

using nlohmann::json;

template <class T>
void put_optional(json& out, const char* name, const std::optional<T>& value) {
  if (value) out[name] = *value;
}

template <class T>
T required(const json& in, const char* name) {
  if (!in.contains(name)) throw std::invalid_argument(std::string("missing field '") + name + "'");
  return in.at(name).get<T>();
}

template <class T>
std::optional<T> optional_field(const json& in, const char* name) {
  if (!in.contains(name) || in.at(name).is_null()) return std::nullopt;
  return in.at(name).get<T>();
}

}  // namespace

std::string encode_record(const ScheduleRecord& record) {
  json out = {{"id", record.id},
              {"spec", record.spec},
              {"orchestration", record.orchestration},
              {"input", record.input},
              {"overlap", std::string(to_string(record.overlap))},
              {"paused", record.paused},
              {"next_fire_ms", record.next_fire_ms},
              {"runs_started", record.runs_started},
              {"skipped", record.skipped},
              {"recheck_ms", record.recheck_ms},
              {"last_started_ms", record.last_started_ms}};
  put_optional(out, "version", record.version);
  if (record.paused) out["pause_reason"] = record.pause_reason;
  put_optional(out, "last_run_instance", record.last_run_instance);
  put_optional(out, "last_fire_ms", record.last_fire_ms);
  put_optional(out, "buffered_fire_ms", record.buffered_fire_ms);
  return out.dump();
}

Result<ScheduleRecord> decode_record(std::string_view text) {
  const json in = json::parse(text, nullptr, false);
  if (in.is_discarded() || !in.is_object()) return Err("schedule record: not a JSON object");
  try {
    ScheduleRecord record;
    record.id = required<std::string>(in, "id");
    record.spec = required<std::string>(in, "spec");
    record.orchestration = required<std::string>(in, "orchestration");
    record.version = optional_field<std::string>(in, "version");
    record.input = required<std::string>(in, "input");
    const auto overlap = required<std::string>(in, "overlap");
    const auto policy = parse_overlap_policy(overlap);
    if (!policy) return Err("schedule record: unknown overlap policy '" + overlap + "'");
    record.overlap = *policy;
    record.paused = optional_field<bool>(in, "paused").value_or(false);
    record.pause_reason = optional_field<std::string>(in, "pause_reason").value_or("");
    record.next_fire_ms = optional_field<std::uint64_t>(in, "next_fire_ms").value_or(0);
    record.runs_started = optional_field<std::uint64_t>(in, "runs_started").value_or(0);
    record.skipped = optional_field<std::uint64_t>(in, "skipped").value_or(0);
    record.last_run_instance = optional_field<std::string>(in, "last_run_instance");
    record.last_fire_ms = optional_field<std::uint64_t>(in, "last_fire_ms");
    record.buffered_fire_ms = optional_field<std::uint64_t>(in, "buffered_fire_ms");
    record.recheck_ms = optional_field<std::uint64_t>(in, "recheck_ms").value_or(0);
    record.last_started_ms = optional_field<std::uint64_t>(in, "last_started_ms").value_or(0);
    return record;
  } catch (const std::exception& e) {
    return Err(std::string("schedule record: ") + e.what());
  }
}

std::string encode_control(const ControlRequest& request) {
  json out = {{"op", request.op == ControlRequest::Op::Pause ? "pause" : "resume"}};
  if (!request.reason.empty()) out["reason"] = request.reason;
  return out.dump();
}

Result<ControlRequest> decode_control(std::string_view text) {
  const json in = json::parse(text, nullptr, false);
  if (in.is_discarded() || !in.is_object() || !in.contains("op") || !in["op"].is_string()) {
    return Err("not a schedule control request: " + std::string(text.substr(0, 200)));
  }
  ControlRequest request;
  const auto op = in["op"].get<std::string>();
  if (op == "pause") {
    request.op = ControlRequest::Op::Pause;
  } else if (op == "resume") {
    request.op = ControlRequest::Op::Resume;
  } else {
    return Err("unknown schedule control op '" + op + "'");
  }
  if (in.contains("reason") && in["reason"].is_string()) request.reason = in["reason"].get<std::string>();
  return request;
}

}  // namespace duroxide::schedules
