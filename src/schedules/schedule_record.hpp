// What a schedule orchestration carries from one firing to the next (docs/schedules.md, "How a
// schedule runs"): its input, and the custom status it publishes after each change, as JSON. The
// client reads the published copy back into a ScheduleInfo.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <duroxide/result.hpp>
#include <duroxide/schedules.hpp>

namespace duroxide::schedules {

struct ScheduleRecord {
  std::string id;
  std::string spec;
  std::string orchestration;
  std::optional<std::string> version;
  std::string input;
  OverlapPolicy overlap = OverlapPolicy::Skip;
  bool paused = false;
  std::string pause_reason;
  /// The next firing; 0 until a turn has computed it from the current time (at creation and
  /// after a resume).
  std::uint64_t next_fire_ms = 0;
  std::uint64_t runs_started = 0;
  std::uint64_t skipped = 0;
  std::optional<std::string> last_run_instance;
  std::optional<std::uint64_t> last_fire_ms;
  std::uint64_t last_started_ms = 0;  ///< the schedule's clock when it started the last run
  std::optional<std::uint64_t> buffered_fire_ms;
  /// BufferOne: how long to wait before looking again whether the last run has ended.
  std::uint64_t recheck_ms = 0;
  bool operator==(const ScheduleRecord&) const = default;
};

std::string encode_record(const ScheduleRecord& record);
/// The record, or what is wrong with the text (not JSON, a field missing or of the wrong type).
Result<ScheduleRecord> decode_record(std::string_view text);

/// A pause or resume request, as sent to kScheduleControlQueue.
struct ControlRequest {
  enum class Op { Pause, Resume } op = Op::Pause;
  std::string reason;
};
std::string encode_control(const ControlRequest& request);
Result<ControlRequest> decode_control(std::string_view text);

}  // namespace duroxide::schedules
