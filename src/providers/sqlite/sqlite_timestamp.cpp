#include "providers/sqlite/sqlite_timestamp.hpp"

#include <charconv>
#include <chrono>

namespace duroxide::sqlite {

namespace {

/// Reads exactly `digits` decimal digits at `pos`, advancing it; nullopt if they are not there.
std::optional<int> fixed_digits(std::string_view text, std::size_t& pos, std::size_t digits) {
  if (pos + digits > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += digits;
  return value;
}

bool take(std::string_view text, std::size_t& pos, char expected) {
  if (pos >= text.size() || text[pos] != expected) return false;
  ++pos;
  return true;
}

}  // namespace

std::optional<std::int64_t> timestamp_text_to_ms(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return std::nullopt;

  // An integer that reached the column as text (e.g. bound as a string) is already milliseconds.
  if (text.find_first_not_of("0123456789-") == std::string_view::npos) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc{} && end == text.data() + text.size()) return value;
    // Otherwise it may be a date such as '2026-12-03': parsed below.
  }

  std::size_t pos = 0;
  const auto year = fixed_digits(text, pos, 4);
  if (!year || !take(text, pos, '-')) return std::nullopt;
  const auto month = fixed_digits(text, pos, 2);
  if (!month || !take(text, pos, '-')) return std::nullopt;
  const auto day = fixed_digits(text, pos, 2);
  if (!day) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{*year}, std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;

  std::int64_t ms_of_day = 0;
  std::int64_t offset_ms = 0;
  if (pos < text.size()) {
    if (text[pos] != ' ' && text[pos] != 'T') return std::nullopt;
    ++pos;
    const auto hour = fixed_digits(text, pos, 2);
    if (!hour || !take(text, pos, ':')) return std::nullopt;
    const auto minute = fixed_digits(text, pos, 2);
    if (!minute || *hour > 23 || *minute > 59) return std::nullopt;
    int second = 0;
    int millis = 0;
    if (take(text, pos, ':')) {
      const auto parsed = fixed_digits(text, pos, 2);
      if (!parsed || *parsed > 59) return std::nullopt;
      second = *parsed;
      if (take(text, pos, '.')) {
        // Milliseconds from the first three fraction digits; further digits are dropped.
        int scale = 100;
        std::size_t count = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
          millis += (text[pos] - '0') * scale;
          scale /= 10;
          ++pos;
          ++count;
        }
        if (count == 0) return std::nullopt;
      }
    }
    ms_of_day = ((static_cast<std::int64_t>(*hour) * 60 + *minute) * 60 + second) * 1000 + millis;
    if (take(text, pos, 'Z')) {
      // UTC, as without a zone.
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
      const int sign = text[pos] == '+' ? 1 : -1;
      ++pos;
      const auto offset_hours = fixed_digits(text, pos, 2);
      if (!offset_hours || !take(text, pos, ':')) return std::nullopt;
      const auto offset_minutes = fixed_digits(text, pos, 2);
      if (!offset_minutes || *offset_hours > 23 || *offset_minutes > 59) return std::nullopt;
      offset_ms = sign * (static_cast<std::int64_t>(*offset_hours) * 60 + *offset_minutes) * 60'000;
    }
  }
  if (pos != text.size()) return std::nullopt;
  const auto days = std::chrono::sys_days{date}.time_since_epoch().count();
  return static_cast<std::int64_t>(days) * 86'400'000 + ms_of_day - offset_ms;
}

}  // namespace duroxide::sqlite
