// When a durable schedule fires: a cron expression or a fixed interval (docs/schedules.md).
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <duroxide/result.hpp>

namespace duroxide {

/// A parsed schedule specification, in UTC:
///
/// - a five-field cron expression `MINUTE HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK` (each field `*`, a
///   number, a range `A-B`, a step `*/S`, `A-B/S` or `A/S`, or a comma list of those; months
///   `JAN`-`DEC` and days `SUN`-`SAT` by name too, in any case; day-of-week 0 and 7 are Sunday).
///   When both day fields are restricted a day matches either; when one starts with `*` a day
///   must match both (as cron does);
/// - a macro: `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`), `@hourly`;
/// - a fixed interval `@every D`, D a sum of whole units `d`, `h`, `m`, `s` (`90s`, `1h30m`), at
///   least one second.
///
/// Cron expressions fire on whole minutes; an interval fires D after the time it is asked from.
class ScheduleSpec {
 public:
  /// The specification, or a message that names the field and what is wrong with it.
  static Result<ScheduleSpec> parse(std::string_view text);

  /// The first firing strictly after `after_ms` (ms since the Unix epoch, UTC); nothing if none
  /// comes within the next eight years (parse refuses the expressions that never fire).
  std::optional<std::uint64_t> next_after(std::uint64_t after_ms) const;

  /// The text it was parsed from, trimmed.
  const std::string& text() const { return text_; }
  /// The interval of `@every`, in ms; nothing for a cron expression.
  std::optional<std::uint64_t> interval_ms() const { return interval_ms_; }

  bool operator==(const ScheduleSpec& other) const { return text_ == other.text_; }

 private:
  std::string text_;
  std::optional<std::uint64_t> interval_ms_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  ///< 1-31
  std::bitset<13> months_;         ///< 1-12
  std::bitset<7> days_of_week_;    ///< 0 = Sunday
  bool day_of_month_any_ = true;   ///< the field starts with '*'
  bool day_of_week_any_ = true;

  bool day_matches(unsigned day_of_month, unsigned weekday) const;
};

}  // namespace duroxide
