// ScheduleSpec (docs/schedules.md): cron expressions and intervals, checked against a table of
// expressions with their next firings worked out by hand from a calendar, and the refusals.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include <duroxide/schedule_spec.hpp>

namespace duroxide {
namespace {

/// Milliseconds since the epoch of a UTC date and time.
std::uint64_t utc(int year, unsigned month, unsigned day, int hour = 0, int minute = 0, int second = 0) {
  using namespace std::chrono;
  const sys_days date{year_month_day{std::chrono::year{year}, std::chrono::month{month}, std::chrono::day{day}}};
  const auto time = date + hours(hour) + minutes(minute) + seconds(second);
  return static_cast<std::uint64_t>(duration_cast<milliseconds>(time.time_since_epoch()).count());
}

// 2026-12-06 is a Sunday; 2027-01-01 a Friday; 2028 is the next leap year.
const std::uint64_t kSundayMorning = utc(2026, 12, 6, 5, 25);

struct Case {
  const char* spec;
  std::uint64_t after;
  std::uint64_t expected;
};

TEST(UnitScheduleSpec, EachExpressionFiresNextWhenTheCalendarSays) {
  const std::vector<Case> cases = {
      {"* * * * *", kSundayMorning, utc(2026, 12, 6, 5, 26)},
      {"* * * * *", kSundayMorning + 30'000, utc(2026, 12, 6, 5, 26)},
      {"0 * * * *", kSundayMorning, utc(2026, 12, 6, 6, 0)},
      {"*/15 * * * *", kSundayMorning, utc(2026, 12, 6, 5, 30)},
      {"*/15 * * * *", utc(2026, 12, 6, 5, 45), utc(2026, 12, 6, 6, 0)},
      {"5-10/2 * * * *", kSundayMorning, utc(2026, 12, 6, 6, 5)},
      {"5-10/2 * * * *", utc(2026, 12, 6, 6, 6), utc(2026, 12, 6, 6, 7)},
      {"50/5 * * * *", kSundayMorning, utc(2026, 12, 6, 5, 50)},
      {"50/5 * * * *", utc(2026, 12, 6, 5, 55), utc(2026, 12, 6, 6, 50)},
      {"0,30 9,17 * * *", kSundayMorning, utc(2026, 12, 6, 9, 0)},
      {"30 9 * * 1-5", kSundayMorning, utc(2026, 12, 7, 9, 30)},                 // Monday
      {"30 9 * * MON-fri", utc(2026, 12, 11, 10, 0), utc(2026, 12, 14, 9, 30)},  // Friday after -> Monday
      {"0 0 * * 7", kSundayMorning, utc(2026, 12, 13)},                          // 7 is Sunday
      {"0 0 * * 0", kSundayMorning, utc(2026, 12, 13)},
      {"0 0 1 1 *", kSundayMorning, utc(2027, 1, 1)},
      {"0 12 29 2 *", utc(2026, 3, 1), utc(2028, 2, 29, 12)},  // leap day
      {"0 0 31 * *", kSundayMorning, utc(2026, 12, 31)},
      {"0 0 31 * *", utc(2027, 1, 31), utc(2027, 3, 31)},  // no 31st in February
      {"0 0 13 * 5", kSundayMorning, utc(2026, 12, 11)},   // the 13th or a Friday: Friday first
      {"0 0 13 * 5", utc(2026, 12, 11), utc(2026, 12, 13)},
      {"0 0 */2 * 5", kSundayMorning, utc(2026, 12, 11)},                  // a day field with * : both must match
      {"0 8 * JAN,jul mon", kSundayMorning, utc(2027, 1, 4, 8)},           // 2027's first Monday of January
      {"15 14 1 * *", utc(2026, 12, 1, 14, 15), utc(2027, 1, 1, 14, 15)},  // strictly after
      {"59 23 31 12 *", kSundayMorning, utc(2026, 12, 31, 23, 59)},
      {"@hourly", kSundayMorning, utc(2026, 12, 6, 6, 0)},
      {"@daily", kSundayMorning, utc(2026, 12, 7)},
      {"@midnight", kSundayMorning, utc(2026, 12, 7)},
      {"@weekly", kSundayMorning, utc(2026, 12, 13)},
      {"@monthly", kSundayMorning, utc(2027, 1, 1)},
      {"@yearly", kSundayMorning, utc(2027, 1, 1)},
      {"@annually", utc(2027, 1, 1), utc(2028, 1, 1)},
      {"  0   6  *  *  *  ", kSundayMorning, utc(2026, 12, 6, 6, 0)},  // spaces do not matter
      {"@every 90s", kSundayMorning, kSundayMorning + 90'000},
      {"@every 1h30m", kSundayMorning + 7, kSundayMorning + 7 + 5'400'000},
      {"@every 2d", kSundayMorning, utc(2026, 12, 8, 5, 25)},
  };
  for (const auto& c : cases) {
    auto spec = ScheduleSpec::parse(c.spec);
    ASSERT_TRUE(spec) << c.spec << ": " << spec.error();
    EXPECT_EQ(spec->next_after(c.after), c.expected) << c.spec;
  }
}

TEST(UnitScheduleSpec, AMacroIsTheExpressionItStandsFor) {
  const std::vector<std::pair<const char*, const char*>> pairs = {{"@hourly", "0 * * * *"},
                                                                  {"@daily", "0 0 * * *"},
                                                                  {"@weekly", "0 0 * * 0"},
                                                                  {"@monthly", "0 0 1 * *"},
                                                                  {"@yearly", "0 0 1 1 *"}};
  for (const auto& [macro, expression] : pairs) {
    const auto a = ScheduleSpec::parse(macro);
    const auto b = ScheduleSpec::parse(expression);
    ASSERT_TRUE(a && b) << macro;
    std::uint64_t t = kSundayMorning;
    for (int i = 0; i < 5; ++i) {
      const auto next = a->next_after(t);
      ASSERT_TRUE(next);
      EXPECT_EQ(next, b->next_after(t)) << macro;
      t = *next;
    }
  }
}

TEST(UnitScheduleSpec, TheTextAndTheIntervalAreKept) {
  const auto cron = ScheduleSpec::parse(" 0 * * * * ");
  ASSERT_TRUE(cron);
  EXPECT_EQ(cron->text(), "0 * * * *");
  EXPECT_FALSE(cron->interval_ms());
  const auto every = ScheduleSpec::parse("@every 5m");
  ASSERT_TRUE(every);
  EXPECT_EQ(every->interval_ms(), 300'000u);
}

TEST(UnitScheduleSpec, WhatIsWrongIsNamed) {
  const std::vector<std::pair<const char*, const char*>> refused = {
      {"", "a schedule needs a cron expression (such as '0 * * * *') or '@every 90s'"},
      {"* * * *", "'* * * *': a cron expression has 5 fields (minute hour day-of-month month day-of-week), not 4"},
      {"* * * * * *",
       "'* * * * * *': a cron expression has 5 fields (minute hour day-of-month month day-of-week), not 6"},
      {"60 * * * *", "cron field minute '60': 60 is outside 0-59"},
      {"* 24 * * *", "cron field hour '24': 24 is outside 0-23"},
      {"* * 0 * *", "cron field day-of-month '0': 0 is outside 1-31"},
      {"* * * 13 *", "cron field month '13': 13 is outside 1-12"},
      {"* * * * 8", "cron field day-of-week '8': 8 is outside 0-7"},
      {"* * * FOO *", "cron field month 'FOO': 'FOO' is not a number or a name"},
      {"x * * * *", "cron field minute 'x': 'x' is not a number"},
      {"*/0 * * * *", "cron field minute '*/0': the step '0' must be a number from 1 to 59"},
      {"10-5 * * * *", "cron field minute '10-5': the range 10-5 runs backwards"},
      {"1,,2 * * * *", "cron field minute '1,,2': an empty list item"},
      {"0 0 30 2 *", "'0 0 30 2 *' never fires: none of its months has any of its days of month"},
      {"@fortnightly",
       "'@fortnightly' is not a schedule macro: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or "
       "@every D"},
      {"@every", "'@every': @every needs a duration such as 90s or 1h30m"},
      {"@every 0s", "'@every 0s': an interval must be at least one second"},
      {"@every 5x", "'@every 5x': 'x' is not a unit of the duration (d, h, m or s)"},
      {"@every 5", "'@every 5': the duration '5' must be whole numbers each followed by d, h, m or s"},
      {"@every 1h 30m", "'@every 1h 30m': write the duration without spaces, as in @every 1h30m"},
  };
  for (const auto& [text, message] : refused) {
    const auto spec = ScheduleSpec::parse(text);
    ASSERT_FALSE(spec) << text;
    EXPECT_EQ(spec.error(), message) << text;
  }
}

TEST(UnitScheduleSpec, AFebruaryThirtiethOnAWeekdayStillFiresOnThatWeekday) {
  // Both day fields restricted: either matches, so the expression fires on Mondays.
  const auto spec = ScheduleSpec::parse("0 0 30 2 1");
  ASSERT_TRUE(spec) << spec.error();
  EXPECT_EQ(spec->next_after(utc(2027, 1, 1)), utc(2027, 2, 1));  // 2027-02-01 is a Monday
}

}  // namespace
}  // namespace duroxide
