// Schedule specifications (docs/schedules.md): any text either parses or is refused with a
// message, never crashes or hangs. Checked for what parses: its kept text parses to the same
// specification; an interval fires exactly its length later; a cron expression fires on a whole
// minute strictly after the time asked from, and asking again from just before that firing finds
// the same one.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <duroxide/schedule_spec.hpp>

#include "fuzz_check.hpp"

using duroxide::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto spec = duroxide::ScheduleSpec::parse(input);
  if (!spec) {
    check(!spec.error().empty(), "a refusal says why", input);
    return 0;
  }
  const auto again = duroxide::ScheduleSpec::parse(spec->text());
  check(again.has_value() && *again == *spec, "the kept text parses to the same specification", spec->text());
  for (const std::uint64_t from :
       {std::uint64_t{0}, std::uint64_t{1'796'534'700'123}, std::uint64_t{4'102'444'799'999}}) {
    const auto next = spec->next_after(from);
    if (const auto interval = spec->interval_ms()) {
      check(next == from + *interval, "an interval fires its length later", spec->text());
      continue;
    }
    if (!next) continue;  // nothing within eight years: a rare combination of both day fields
    check(*next > from, "a firing comes strictly after the time asked from", fmt::format("{} {}", spec->text(), from));
    check(*next % 60'000 == 0, "a cron expression fires on a whole minute", spec->text());
    check(spec->next_after(*next - 1) == next, "asking from just before a firing finds it", spec->text());
  }
  return 0;
}
