// Names and ids of durable schedules (docs/schedules.md).
#include <duroxide/schedules.hpp>

#include <chrono>

#include <fmt/format.h>

namespace duroxide {

std::string_view to_string(OverlapPolicy policy) {
  switch (policy) {
    case OverlapPolicy::Skip:
      return "skip";
    case OverlapPolicy::BufferOne:
      return "buffer_one";
    case OverlapPolicy::AllowAll:
      return "allow_all";
  }
  return "skip";
}

std::optional<OverlapPolicy> parse_overlap_policy(std::string_view text) {
  for (auto policy : {OverlapPolicy::Skip, OverlapPolicy::BufferOne, OverlapPolicy::AllowAll}) {
    if (text == to_string(policy)) return policy;
  }
  return std::nullopt;
}

std::string_view to_string(ScheduleStatus status) {
  switch (status) {
    case ScheduleStatus::Active:
      return "Active";
    case ScheduleStatus::Paused:
      return "Paused";
    case ScheduleStatus::Deleted:
      return "Deleted";
    case ScheduleStatus::Ended:
      return "Ended";
  }
  return "Active";
}

std::string schedule_instance_id(std::string_view schedule_id) { return fmt::format("schedule:{}", schedule_id); }

std::string schedule_run_instance_id(std::string_view schedule_id, std::uint64_t fire_ms) {
  using namespace std::chrono;
  const sys_days day = floor<days>(sys_time<milliseconds>(milliseconds(fire_ms)));
  const year_month_day date(day);
  const hh_mm_ss time(milliseconds(fire_ms) - duration_cast<milliseconds>(day.time_since_epoch()));
  auto text = fmt::format("{}@{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", schedule_id, static_cast<int>(date.year()),
                          static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()), time.hours().count(),
                          time.minutes().count(), time.seconds().count());
  if (const auto ms = time.subseconds().count(); ms != 0) text += fmt::format(".{:03}", ms);
  return text + "Z";
}

}  // namespace duroxide
