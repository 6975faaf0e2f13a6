// RuntimeOptions durations that would overflow a clock or make no sense are rejected by validate()
// (and so by Runtime::start) with an error naming the option (issue #12 item 8).
#include <gtest/gtest.h>

#include <functional>

#include <duroxide/runtime_options.hpp>

using namespace duroxide;
using namespace std::chrono_literals;

namespace {

struct DurationOption {
  const char* name;
  std::function<Millis&(RuntimeOptions&)> field;
};

const std::vector<DurationOption>& duration_options() {
  static const std::vector<DurationOption> options = {
      {"dispatcher_min_poll_interval", [](RuntimeOptions& o) -> Millis& { return o.dispatcher_min_poll_interval; }},
      {"dispatcher_long_poll_timeout", [](RuntimeOptions& o) -> Millis& { return o.dispatcher_long_poll_timeout; }},
      {"orchestrator_lock_timeout", [](RuntimeOptions& o) -> Millis& { return o.orchestrator_lock_timeout; }},
      {"orchestrator_lock_renewal_buffer",
       [](RuntimeOptions& o) -> Millis& { return o.orchestrator_lock_renewal_buffer; }},
      {"worker_lock_timeout", [](RuntimeOptions& o) -> Millis& { return o.worker_lock_timeout; }},
      {"worker_lock_renewal_buffer", [](RuntimeOptions& o) -> Millis& { return o.worker_lock_renewal_buffer; }},
      {"activity_cancellation_grace_period",
       [](RuntimeOptions& o) -> Millis& { return o.activity_cancellation_grace_period; }},
      {"session_lock_timeout", [](RuntimeOptions& o) -> Millis& { return o.session_lock_timeout; }},
      {"session_lock_renewal_buffer", [](RuntimeOptions& o) -> Millis& { return o.session_lock_renewal_buffer; }},
      {"session_idle_timeout", [](RuntimeOptions& o) -> Millis& { return o.session_idle_timeout; }},
      {"session_cleanup_interval", [](RuntimeOptions& o) -> Millis& { return o.session_cleanup_interval; }},
      {"unregistered_backoff.base_delay",
       [](RuntimeOptions& o) -> Millis& { return o.unregistered_backoff.base_delay; }},
      {"unregistered_backoff.max_delay", [](RuntimeOptions& o) -> Millis& { return o.unregistered_backoff.max_delay; }},
      {"observability.gauge_poll_interval",
       [](RuntimeOptions& o) -> Millis& { return o.observability.gauge_poll_interval; }},
  };
  return options;
}

TEST(UnitRuntimeOptionsDurations, MaxDurationIsRejectedNamingTheOption) {
  for (const auto& option : duration_options()) {
    RuntimeOptions options;
    option.field(options) = Millis::max();
    auto valid = options.validate();
    ASSERT_FALSE(valid) << option.name;
    EXPECT_NE(valid.error().find(std::string(option.name) + " ("), std::string::npos) << valid.error();
    EXPECT_NE(valid.error().find("is too large"), std::string::npos) << valid.error();
  }
}

TEST(UnitRuntimeOptionsDurations, NegativeDurationIsRejectedNamingTheOption) {
  for (const auto& option : duration_options()) {
    RuntimeOptions options;
    option.field(options) = -1ms;
    auto valid = options.validate();
    ASSERT_FALSE(valid) << option.name;
    EXPECT_NE(valid.error().find(std::string(option.name) + " (-1 ms) must not be negative"), std::string::npos)
        << valid.error();
  }
}

TEST(UnitRuntimeOptionsDurations, ZeroAndLongDurationsAreAccepted) {
  RuntimeOptions zero;
  zero.dispatcher_min_poll_interval = 0ms;
  zero.dispatcher_long_poll_timeout = 0ms;
  zero.activity_cancellation_grace_period = 0ms;
  EXPECT_TRUE(zero.validate()) << zero.validate().error();
  RuntimeOptions long_leases;
  long_leases.worker_lock_timeout = std::chrono::hours(24 * 365);
  long_leases.session_idle_timeout = std::chrono::hours(24 * 366);
  EXPECT_TRUE(long_leases.validate()) << long_leases.validate().error();
}

}  // namespace
