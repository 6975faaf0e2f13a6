// Parsing cron expressions and intervals, and finding their next firing (docs/schedules.md).
// Debian packages no C or C++ cron parser, so this one is ours, tested against a table of
// expressions (tests/unit/schedule_spec_test.cpp).
#include <duroxide/schedule_spec.hpp>

#include <array>
#include <cctype>
#include <chrono>
#include <limits>
#include <vector>

#include <fmt/format.h>

namespace duroxide {

namespace {

struct FieldRule {
  const char* name;
  unsigned min;
  unsigned max;
  const std::array<std::string_view, 12>* names;  ///< names for min, min+1, ... (nullptr: none)
  unsigned first_named;                           ///< the value of names[0]
};

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 12> kDayNames = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

constexpr FieldRule kMinute{"minute", 0, 59, nullptr, 0};
constexpr FieldRule kHour{"hour", 0, 23, nullptr, 0};
constexpr FieldRule kDayOfMonth{"day-of-month", 1, 31, nullptr, 0};
constexpr FieldRule kMonth{"month", 1, 12, &kMonthNames, 1};
constexpr FieldRule kDayOfWeek{"day-of-week", 0, 7, &kDayNames, 0};  // 7 is Sunday too

constexpr std::uint64_t kMinuteMs = 60'000;
constexpr std::uint64_t kDayMs = 86'400'000;

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == separator) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

std::vector<std::string_view> split_whitespace(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const std::size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) parts.push_back(text.substr(start, i - start));
  }
  return parts;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

/// A whole number (at most 9 digits, so it cannot overflow), or nothing.
std::optional<std::uint64_t> whole_number(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

/// One value of a field: a number in its range, or one of its names.
Result<unsigned> field_value(std::string_view text, const FieldRule& rule, std::string_view field) {
  if (rule.names != nullptr) {
    for (std::size_t i = 0; i < rule.names->size(); ++i)
      if (!(*rule.names)[i].empty() && equals_ignoring_case(text, (*rule.names)[i]))
        return rule.first_named + static_cast<unsigned>(i);
  }
  const auto number = whole_number(text);
  if (!number)
    return Err(fmt::format("cron field {} '{}': '{}' is not a number{}", rule.name, field, text,
                           rule.names != nullptr ? " or a name" : ""));
  if (*number < rule.min || *number > rule.max)
    return Err(fmt::format("cron field {} '{}': {} is outside {}-{}", rule.name, field, *number, rule.min, rule.max));
  return static_cast<unsigned>(*number);
}

/// The values a field selects, as bits, and whether it starts with `*` (unrestricted, for the
/// day-of-month / day-of-week rule).
struct ParsedField {
  std::uint64_t bits = 0;
  bool star = false;
};

Result<ParsedField> parse_field(std::string_view field, const FieldRule& rule) {
  ParsedField parsed;
  parsed.star = !field.empty() && field.front() == '*';
  for (std::string_view item : split(field, ',')) {
    if (item.empty()) return Err(fmt::format("cron field {} '{}': an empty list item", rule.name, field));
    std::string_view range = item;
    unsigned step = 1;
    if (const auto slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      const auto value = whole_number(item.substr(slash + 1));
      if (!value || *value == 0 || *value > rule.max)
        return Err(fmt::format("cron field {} '{}': the step '{}' must be a number from 1 to {}", rule.name, field,
                               item.substr(slash + 1), rule.max));
      step = static_cast<unsigned>(*value);
    }
    unsigned low = rule.min;
    unsigned high = rule.max;
    if (range != "*") {
      const auto dash = range.find('-');
      auto first = field_value(range.substr(0, dash), rule, field);
      if (!first) return Err(std::move(first.error()));
      low = *first;
      if (dash != std::string_view::npos) {
        auto last = field_value(range.substr(dash + 1), rule, field);
        if (!last) return Err(std::move(last.error()));
        high = *last;
        if (high < low)
          return Err(fmt::format("cron field {} '{}': the range {} runs backwards", rule.name, field, range));
      } else if (range.size() == item.size()) {
        high = low;  // a single value; "A/S" runs from A to the field's end
      }
    }
    for (unsigned value = low; value <= high; value += step) parsed.bits |= std::uint64_t{1} << value;
  }
  return parsed;
}

/// `@every D`: D a sum of whole units d, h, m, s.
Result<std::uint64_t> parse_interval(std::string_view text, std::string_view duration) {
  if (duration.empty()) return Err(fmt::format("'{}': @every needs a duration such as 90s or 1h30m", text));
  std::uint64_t total = 0;
  std::size_t i = 0;
  while (i < duration.size()) {
    const std::size_t start = i;
    while (i < duration.size() && duration[i] >= '0' && duration[i] <= '9') ++i;
    const auto amount = whole_number(duration.substr(start, i - start));
    if (!amount || i == duration.size())
      return Err(
          fmt::format("'{}': the duration '{}' must be whole numbers each followed by d, h, m or s", text, duration));
    std::uint64_t unit = 0;
    switch (duration[i]) {
      case 'd':
        unit = kDayMs;
        break;
      case 'h':
        unit = 3'600'000;
        break;
      case 'm':
        unit = kMinuteMs;
        break;
      case 's':
        unit = 1'000;
        break;
      default:
        return Err(fmt::format("'{}': '{}' is not a unit of the duration (d, h, m or s)", text, duration[i]));
    }
    ++i;
    const std::uint64_t part = *amount * unit;  // at most 9 digits times a day: no overflow
    if (total > std::numeric_limits<std::uint64_t>::max() / 2 - part)
      return Err(fmt::format("'{}': the duration is too long", text));
    total += part;
  }
  if (total < 1'000) return Err(fmt::format("'{}': an interval must be at least one second", text));
  return total;
}

constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kMacros = {{
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
}};

unsigned days_in_month_at_most(unsigned month) {
  static constexpr std::array<unsigned, 13> kDays = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return kDays[month];
}

}  // namespace

Result<ScheduleSpec> ScheduleSpec::parse(std::string_view input) {
  const std::string_view text = trim(input);
  ScheduleSpec spec;
  spec.text_ = std::string(text);
  if (text.empty()) return Err("a schedule needs a cron expression (such as '0 * * * *') or '@every 90s'");
  std::string_view cron = text;
  if (text.front() == '@') {
    const auto words = split_whitespace(text);
    if (words.front() == "@every") {
      if (words.size() > 2)
        return Err(fmt::format("'{}': write the duration without spaces, as in @every 1h30m", text));
      auto interval = parse_interval(text, words.size() == 2 ? words[1] : std::string_view());
      if (!interval) return Err(std::move(interval.error()));
      spec.interval_ms_ = *interval;
      return spec;
    }
    cron = {};
    for (const auto& [macro, expansion] : kMacros)
      if (words.size() == 1 && equals_ignoring_case(words.front(), macro)) cron = expansion;
    if (cron.empty())
      return Err(
          fmt::format("'{}' is not a schedule macro: @yearly, @annually, @monthly, @weekly, @daily, @midnight, "
                      "@hourly or @every D",
                      text));
  }
  const auto fields = split_whitespace(cron);
  if (fields.size() != 5)
    return Err(fmt::format("'{}': a cron expression has 5 fields (minute hour day-of-month month day-of-week), not {}",
                           text, fields.size()));
  auto minute = parse_field(fields[0], kMinute);
  if (!minute) return Err(std::move(minute.error()));
  auto hour = parse_field(fields[1], kHour);
  if (!hour) return Err(std::move(hour.error()));
  auto day_of_month = parse_field(fields[2], kDayOfMonth);
  if (!day_of_month) return Err(std::move(day_of_month.error()));
  auto month = parse_field(fields[3], kMonth);
  if (!month) return Err(std::move(month.error()));
  auto day_of_week = parse_field(fields[4], kDayOfWeek);
  if (!day_of_week) return Err(std::move(day_of_week.error()));
  if (day_of_week->bits & (std::uint64_t{1} << 7)) day_of_week->bits = (day_of_week->bits | 1) & 0x7f;  // 7 = Sunday
  spec.minutes_ = std::bitset<60>(minute->bits);
  spec.hours_ = std::bitset<24>(hour->bits);
  spec.days_of_month_ = std::bitset<32>(day_of_month->bits);
  spec.months_ = std::bitset<13>(month->bits);
  spec.days_of_week_ = std::bitset<7>(day_of_week->bits);
  spec.day_of_month_any_ = day_of_month->star;
  spec.day_of_week_any_ = day_of_week->star;
  // Only the day of month can make an expression that never fires (the 30th of February): refuse
  // it here rather than schedule nothing.
  if (!spec.day_of_month_any_ && spec.day_of_week_any_) {
    bool possible = false;
    for (unsigned m = 1; m <= 12 && !possible; ++m)
      for (unsigned d = 1; d <= days_in_month_at_most(m) && !possible; ++d)
        possible = spec.months_[m] && spec.days_of_month_[d];
    if (!possible) return Err(fmt::format("'{}' never fires: none of its months has any of its days of month", text));
  }
  return spec;
}

bool ScheduleSpec::day_matches(unsigned day_of_month, unsigned weekday) const {
  // As cron does: when both day fields are restricted a day matches either; when one starts
  // with '*' (`*`, `*/2`) it must match both.
  if (day_of_month_any_ || day_of_week_any_) return days_of_month_[day_of_month] && days_of_week_[weekday];
  return days_of_month_[day_of_month] || days_of_week_[weekday];
}

std::optional<std::uint64_t> ScheduleSpec::next_after(std::uint64_t after_ms) const {
  if (interval_ms_) {
    if (after_ms > std::numeric_limits<std::uint64_t>::max() - *interval_ms_) return std::nullopt;
    return after_ms + *interval_ms_;
  }
  using namespace std::chrono;
  const std::uint64_t first = (after_ms / kMinuteMs + 1) * kMinuteMs;  // the next whole minute
  sys_days day{days(static_cast<int>(first / kDayMs))};
  auto minute_of_day = static_cast<unsigned>((first % kDayMs) / kMinuteMs);
  const sys_days limit = day + days(366 * 8 + 2);
  while (day < limit) {
    const year_month_day date{day};
    if (!months_[static_cast<unsigned>(date.month())]) {
      day = sys_days{(year_month{date.year(), date.month()} + months(1)) / 1};
      minute_of_day = 0;
      continue;
    }
    if (day_matches(static_cast<unsigned>(date.day()), weekday{day}.c_encoding())) {
      for (unsigned m = minute_of_day; m < 24 * 60; ++m) {
        if (hours_[m / 60] && minutes_[m % 60])
          return static_cast<std::uint64_t>(day.time_since_epoch().count()) * kDayMs + m * kMinuteMs;
      }
    }
    day += days(1);
    minute_of_day = 0;
  }
  return std::nullopt;
}

}  // namespace duroxide
