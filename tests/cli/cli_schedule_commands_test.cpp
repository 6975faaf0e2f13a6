// `duroxide schedules ...` (docs/cli.md, docs/schedules.md): created from the command line, run
// by a runtime beside the tool, listed, shown, paused, resumed and deleted; bad requests refused
// with their exit codes.
#include "cli_test_support.hpp"

namespace duroxide::cli_test {
namespace {

using nlohmann::json;

using CliSchedules = CliFixture;

/// Polls the schedule through the public API until `condition` holds (a test failure after kHangGuard).
ScheduleInfo wait_for_schedule(RunningRuntime& runtime, const std::string& id,
                               const std::function<bool(const ScheduleInfo&)>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + kHangGuard;
  for (;;) {
    auto info = runtime.client().get_schedule(id);
    if (info && condition(*info)) return *info;
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "schedule " << id << " never reached the expected state";
      return info.value_or(ScheduleInfo{});
    }
    std::this_thread::sleep_for(5ms);
  }
}

TEST_F(CliSchedules, AScheduleCreatedHereRunsAndIsSteeredHere) {
  EXPECT_EQ(ok({"schedules", "list"}).out, "no schedules\n");
  EXPECT_EQ(ok({"schedules", "create", "greet", "@every 1s", "Hello", "Timer", "--overlap", "allow_all"}).out,
            "created schedule 'greet' (\"@every 1s\", starts 'Hello', overlap allow_all); a runtime on the store runs "
            "it\n");
  RunningRuntime runtime(url());
  auto info = wait_for_schedule(runtime, "greet", [](const ScheduleInfo& s) { return s.runs_started >= 1; });
  EXPECT_EQ(runtime.wait_finished(info.last_run_instance.value_or("")).get_if<status::Completed>()->output,
            "Hello, Timer!");

  const auto table = lines_of(ok({"schedules", "list"}).out);
  ASSERT_EQ(table.size(), 2u);
  EXPECT_TRUE(table[0].starts_with("ID ")) << table[0];
  EXPECT_TRUE(table[1].starts_with("greet ")) << table[1];
  EXPECT_NE(table[1].find("Active"), std::string::npos) << table[1];

  const auto doc = parse_json(ok({"schedules", "show", "greet", "--json"}));
  EXPECT_EQ(doc.at("id"), "greet");
  EXPECT_EQ(doc.at("instance_id"), "schedule:greet");
  EXPECT_EQ(doc.at("spec"), "@every 1s");
  EXPECT_EQ(doc.at("orchestration"), "Hello");
  EXPECT_EQ(doc.at("overlap"), "allow_all");
  EXPECT_EQ(doc.at("input"), "Timer");
  EXPECT_GE(doc.at("runs_started").get<std::uint64_t>(), 1u);
  const auto shown = ok({"schedules", "show", "greet"}).out;
  EXPECT_NE(shown.find("status:"), std::string::npos) << shown;
  EXPECT_NE(shown.find("next firing:"), std::string::npos) << shown;

  EXPECT_EQ(ok({"schedules", "pause", "greet", "--reason", "quiet"}).out,
            "requested the pause of schedule 'greet' (reason \"quiet\")\n");
  wait_for_schedule(runtime, "greet", [](const ScheduleInfo& s) { return s.status == ScheduleStatus::Paused; });
  EXPECT_EQ(parse_json(ok({"schedules", "show", "greet", "--json"})).at("next_fire_ms"), nullptr);
  EXPECT_EQ(parse_json(ok({"schedules", "resume", "greet", "--json"})),
            (json{{"id", "greet"}, {"resume_requested", true}}));
  wait_for_schedule(runtime, "greet", [](const ScheduleInfo& s) { return s.status == ScheduleStatus::Active; });

  EXPECT_EQ(ok({"schedules", "delete", "greet"}).out,
            "requested the deletion of schedule 'greet'; runs already started go on\n");
  wait_for_schedule(runtime, "greet", [](const ScheduleInfo& s) { return s.status == ScheduleStatus::Deleted; });
  EXPECT_EQ(ok({"schedules", "list"}).out, "no schedules\n");
  fails(6, "Schedule schedule:greet has ended: it was deleted", {"schedules", "pause", "greet"});
}

TEST_F(CliSchedules, BadRequestsAreRefusedWithTheirExitCodes) {
  fails(2, "creating schedule 'bad': create_schedule: cron field hour '25': 25 is outside 0-23",
        {"schedules", "create", "bad", "0 25 * * *", "Hello", "x"});
  const auto bad_overlap = cli({"schedules", "create", "x", "@hourly", "Hello", "x", "--overlap", "sometimes"});
  EXPECT_EQ(bad_overlap.exit_code, 2) << describe(bad_overlap);
  fails(1, "schedule 'nope' not found", {"schedules", "show", "nope"});
  fails(1, "schedule 'nope' not found", {"schedules", "pause", "nope"});
  fails(1, "schedule 'nope' not found", {"schedules", "delete", "nope"});
  ok({"schedules", "create", "hourly", "@hourly", "Hello", "x"});
  {
    RunningRuntime runtime(url());
    wait_for_schedule(runtime, "hourly", [](const ScheduleInfo& s) { return s.next_fire_ms.has_value(); });
  }
  fails(6, "Schedule schedule:hourly exists already: it is Active; delete it first",
        {"schedules", "create", "hourly", "@daily", "Hello", "x"});
}

}  // namespace
}  // namespace duroxide::cli_test
