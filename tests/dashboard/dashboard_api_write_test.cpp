// The API's writes (api_writes.cpp), with a runtime running on the store: raising an event and
// cancelling, terminating, suspending, resuming and rewinding reach the instance; bad bodies, unknown and finished
// instances are refused clearly.
#include <algorithm>

#include "dashboard_test_support.hpp"

namespace duroxide::dashboard_test {
namespace {

class DashboardApiWrites : public ::testing::Test {
 protected:
  ServedStore served_{dashboard::DashboardOptions{{}, "", true, "sqlite:test.db"}, true};

  void refused(const std::string& path, const std::string& body, int status, const std::string& message) const {
    const auto reply = served_.request("POST", path, {}, body);
    EXPECT_EQ(reply.status, status) << body << ": " << reply.body;
    EXPECT_EQ(reply.error(), message) << body;
  }

  OrchestrationStatus final_status(const std::string& id) const {
    auto status = served_.client().wait_for_orchestration(id, kHangGuard);
    EXPECT_TRUE(status) << status.error().to_string();
    return status ? *status : OrchestrationStatus{status::NotFound{}};
  }
};

TEST_F(DashboardApiWrites, ARaisedEventCompletesTheWaitingInstance) {
  const auto reply = served_.post(
      "/api/raise-event", json{{"instance_id", "waiting-1"}, {"name", "Approve"}, {"data", "yes <b>really</b>"}});
  EXPECT_EQ(reply.status, 202) << reply.body;
  EXPECT_EQ(reply.document(), (json{{"instance_id", "waiting-1"}, {"event", "Approve"}, {"raised", true}}));
  const auto status = final_status("waiting-1");
  ASSERT_TRUE(status.is_completed()) << status.name();
  EXPECT_EQ(status.get_if<status::Completed>()->output, "approved: yes <b>really</b>");
}

TEST_F(DashboardApiWrites, DataMayBeLeftOutOrEmpty) {
  EXPECT_EQ(served_.post("/api/raise-event", json{{"instance_id", "waiting-1"}, {"name", "Approve"}}).status, 202);
  const auto status = final_status("waiting-1");
  ASSERT_TRUE(status.is_completed());
  EXPECT_EQ(status.get_if<status::Completed>()->output, "approved: ");
}

TEST_F(DashboardApiWrites, CancelFailsTheInstanceWithTheReason) {
  const auto reply = served_.post("/api/cancel", json{{"instance_id", "waiting-1"}, {"reason", "changed my mind"}});
  EXPECT_EQ(reply.status, 202) << reply.body;
  EXPECT_EQ(reply.document()["cancel_requested"], true);
  const auto status = final_status("waiting-1");
  ASSERT_TRUE(status.is_failed()) << status.name();
  EXPECT_NE(status.get_if<status::Failed>()->details.display_message().find("changed my mind"), std::string::npos)
      << status.get_if<status::Failed>()->details.display_message();
}

TEST_F(DashboardApiWrites, CancelWithoutAReasonSaysItCameFromTheDashboard) {
  EXPECT_EQ(served_.post("/api/cancel", json{{"instance_id", "waiting-1"}, {"reason", nullptr}}).status, 202);
  const auto status = final_status("waiting-1");
  ASSERT_TRUE(status.is_failed());
  EXPECT_NE(status.get_if<status::Failed>()->details.display_message().find("cancelled from the duroxide dashboard"),
            std::string::npos);
}

TEST_F(DashboardApiWrites, TerminateEndsTheInstanceWithTheReason) {
  const auto reply = served_.post("/api/terminate", json{{"instance_id", "waiting-1"}, {"reason", "retired"}});
  EXPECT_EQ(reply.status, 202) << reply.body;
  EXPECT_EQ(reply.document(), (json{{"instance_id", "waiting-1"},
                                    {"reason", "retired"},
                                    {"children_terminated", true},
                                    {"terminate_requested", true}}));
  const auto status = final_status("waiting-1");
  ASSERT_TRUE(status.is_terminated()) << status.name();
  EXPECT_EQ(status.get_if<status::Terminated>()->reason, "retired");
  const auto shown = served_.get("/api/instance?id=waiting-1");
  EXPECT_EQ(shown.document()["status"], "Terminated") << shown.body;
  EXPECT_EQ(shown.document()["termination_reason"], "retired") << shown.body;
}

TEST_F(DashboardApiWrites, TerminateWithoutAReasonSaysItCameFromTheDashboard) {
  const auto reply = served_.post("/api/terminate", json{{"instance_id", "waiting-1"}, {"terminate_children", false}});
  EXPECT_EQ(reply.status, 202) << reply.body;
  EXPECT_EQ(reply.document()["children_terminated"], false);
  const auto status = final_status("waiting-1");
  ASSERT_TRUE(status.is_terminated()) << status.name();
  EXPECT_EQ(status.get_if<status::Terminated>()->reason, "terminated from the duroxide dashboard");
}

TEST_F(DashboardApiWrites, ASuspendedInstanceRunsAgainWhenResumed) {
  const auto suspended = served_.post("/api/suspend", json{{"instance_id", "waiting-1"}, {"reason", "audit"}});
  EXPECT_EQ(suspended.status, 202) << suspended.body;
  EXPECT_EQ(suspended.document(),
            (json{{"instance_id", "waiting-1"}, {"reason", "audit"}, {"suspend_requested", true}}));
  const auto deadline = std::chrono::steady_clock::now() + kHangGuard;
  while (served_.get("/api/instance?id=waiting-1").document()["status"] != "Suspended") {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "waiting-1 was never suspended";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(served_.get("/api/instance?id=waiting-1").document()["suspension_reason"], "audit");
  refused("/api/suspend", R"({"instance_id":"waiting-1"})", 409, "instance 'waiting-1' is already suspended");
  EXPECT_EQ(
      served_.post("/api/raise-event", json{{"instance_id", "waiting-1"}, {"name", "Approve"}, {"data", "ok"}}).status,
      202);
  const auto resumed = served_.post("/api/resume", json{{"instance_id", "waiting-1"}});
  EXPECT_EQ(resumed.status, 202) << resumed.body;
  EXPECT_EQ(resumed.document()["reason"], "resumed from the duroxide dashboard");
  const auto status = final_status("waiting-1");
  ASSERT_TRUE(status.is_completed()) << status.name();
  EXPECT_EQ(status.get_if<status::Completed>()->output, "approved: ok");
}

TEST_F(DashboardApiWrites, RewindRunsAFailedInstanceAgain) {
  const auto reply = served_.post("/api/rewind", json{{"instance_id", "failed-1"}, {"reason", "stock refilled"}});
  EXPECT_EQ(reply.status, 202) << reply.body;
  EXPECT_EQ(reply.document(),
            (json{{"instance_id", "failed-1"}, {"reason", "stock refilled"}, {"rewind_requested", true}}));
  // Reserve still fails, so the instance fails again, with the rewind recorded before it.
  const auto deadline = std::chrono::steady_clock::now() + kHangGuard;
  for (;;) {
    auto history = served_.client().read_execution_history("failed-1", 1);
    ASSERT_TRUE(history) << history.error().to_string();
    const auto rewound = std::find_if(history->begin(), history->end(),
                                      [](const Event& e) { return e.is<events::OrchestrationRewound>(); });
    if (rewound != history->end() && history->back().is<events::OrchestrationFailed>()) {
      EXPECT_EQ(rewound->get_if<events::OrchestrationRewound>()->reason, "stock refilled");
      break;
    }
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "failed-1 was never rewound and failed again";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(served_.post("/api/rewind", json{{"instance_id", "failed-1"}}).document()["reason"],
            "rewound from the duroxide dashboard");
  refused("/api/rewind", R"({"instance_id":"hello-1"})", 409,
          "rewinding instance 'hello-1': Instance hello-1 cannot be rewound: it is Completed, and only a failed "
          "instance can be rewound");
  refused("/api/rewind", R"({"instance_id":"nope"})", 404, "rewinding instance 'nope': Instance nope not found");
}

TEST_F(DashboardApiWrites, SchedulesAreCreatedListedPausedResumedAndDeleted) {
  EXPECT_EQ(served_.get("/api/schedules").document(), (json{{"schedules", json::array()}}));
  const auto created = served_.post("/api/schedule/create", json{{"id", "greet"},
                                                                 {"spec", "@every 1s"},
                                                                 {"orchestration", "Hello"},
                                                                 {"input", "Clock"},
                                                                 {"overlap", "allow_all"}});
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.document(), (json{{"id", "greet"}, {"instance_id", "schedule:greet"}, {"created", true}}));
  const auto schedule_where = [&](const std::function<bool(const json&)>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + kHangGuard;
    for (;;) {
      const auto list = served_.get("/api/schedules").document()["schedules"];
      if (list.size() == 1 && condition(list[0])) return list[0];
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "the schedule never got there: " << list.dump();
        return json();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  auto shown = schedule_where([](const json& s) { return s["runs_started"].get<int>() >= 1; });
  EXPECT_EQ(shown["id"], "greet");
  EXPECT_EQ(shown["status"], "Active");
  EXPECT_EQ(shown["orchestration"], "Hello");
  EXPECT_EQ(shown["overlap"], "allow_all");
  EXPECT_EQ(final_status(shown["last_run_instance"]).get_if<status::Completed>()->output, "Hello, Clock!");

  EXPECT_EQ(served_.post("/api/schedule/pause", json{{"id", "greet"}}).document(),
            (json{{"id", "greet"}, {"reason", "paused from the duroxide dashboard"}, {"pause_requested", true}}));
  shown = schedule_where([](const json& s) { return s["status"] == "Paused"; });
  EXPECT_TRUE(shown["next_fire_ms"].is_null());
  EXPECT_EQ(served_.post("/api/schedule/resume", json{{"id", "greet"}}).status, 202);
  schedule_where([](const json& s) { return s["status"] == "Active"; });
  EXPECT_EQ(served_.post("/api/schedule/delete", json{{"id", "greet"}}).status, 202);
  const auto deadline = std::chrono::steady_clock::now() + kHangGuard;
  while (!served_.get("/api/schedules").document()["schedules"].empty()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the deleted schedule is still listed";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  refused("/api/schedule/pause", R"({"id":"greet"})", 409,
          "pausing schedule 'greet': Schedule schedule:greet has ended: it was deleted");
}

TEST_F(DashboardApiWrites, BadScheduleRequestsAreRefusedClearly) {
  refused("/api/schedule/create", R"({"id":"x","spec":"0 25 * * *","orchestration":"Hello"})", 400,
          "creating schedule 'x': Invalid input: create_schedule: cron field hour '25': 25 is outside 0-23");
  refused("/api/schedule/create", R"({"id":"x","spec":"@daily","orchestration":"Hello","overlap":"sometimes"})", 400,
          "unknown overlap policy 'sometimes': skip, buffer_one or allow_all");
  refused("/api/schedule/create", R"({"spec":"@daily","orchestration":"Hello"})", 400, "the field 'id' is required");
  refused("/api/schedule/pause", R"({"id":"nope"})", 404, "schedule 'nope' not found");
  refused("/api/schedule/delete", R"({"id":"nope"})", 404, "schedule 'nope' not found");
}

TEST_F(DashboardApiWrites, UnknownInstancesAre404AndFinishedOnes409) {
  refused("/api/resume", R"({"instance_id":"waiting-1"})", 409,
          "instance 'waiting-1' is not suspended (Running): nothing to resume");
  refused("/api/resume", R"({"instance_id":"nope"})", 404, "instance 'nope' not found");
  refused("/api/suspend", R"({"instance_id":"hello-1"})", 409,
          "instance 'hello-1' has already finished (Completed): nothing would be suspended");
  refused("/api/terminate", R"({"instance_id":"nope"})", 404, "instance 'nope' not found");
  refused("/api/terminate", R"({"instance_id":"failed-1"})", 409,
          "instance 'failed-1' has already finished (Failed): nothing would be terminated");
  refused("/api/terminate", R"({"instance_id":"waiting-1","terminate_children":"yes"})", 400,
          "the field 'terminate_children' must be true or false");
  refused("/api/raise-event", R"({"instance_id":"nope","name":"Approve"})", 404, "instance 'nope' not found");
  refused("/api/cancel", R"({"instance_id":"nope"})", 404, "instance 'nope' not found");
  refused("/api/raise-event", R"({"instance_id":"hello-1","name":"Approve"})", 409,
          "instance 'hello-1' has already finished (Completed): nothing would receive the event");
  refused("/api/cancel", R"({"instance_id":"failed-1"})", 409,
          "instance 'failed-1' has already finished (Failed): nothing would be cancelled");
}

TEST_F(DashboardApiWrites, BadBodiesAre400) {
  const std::string raise = "/api/raise-event";
  refused(raise, "", 400, "the request body must not be empty");
  refused(raise, "not json", 400,
          "the request body is not valid JSON: [json.exception.parse_error.101] parse error at line 1, column 2: "
          "syntax error while parsing value - invalid literal; last read: 'no'");
  refused(raise, "[1]", 400, "the request body must be a JSON object");
  refused(raise, R"({"name":"Approve"})", 400, "the field 'instance_id' is required");
  refused(raise, R"({"instance_id":"waiting-1"})", 400, "the field 'name' is required");
  refused(raise, R"({"instance_id":"waiting-1","name":""})", 400, "the field 'name' must not be empty");
  refused(raise, R"({"instance_id":"waiting-1","name":7})", 400, "the field 'name' must be a string");
  refused(raise, R"({"instance_id":"waiting-1","name":"Approve","data":{"a":1}})", 400,
          "the field 'data' must be a string");
  refused(raise, "{\"instance_id\":\"waiting-1\",\"name\":\"Appr\xff\"}", 400,
          "the request body is not valid UTF-8 at byte 39");
  refused(raise, json{{"instance_id", std::string(1025, 'w')}, {"name", "Approve"}}.dump(), 400,
          "the field 'instance_id' is too long: 1025 bytes, at most 1024");
  refused(raise,
          json{{"instance_id", "waiting-1"}, {"name", "Approve"}, {"data", std::string(1024 * 1024 + 1, 'd')}}.dump(),
          400, "the field 'data' is too long: 1048577 bytes, at most 1048576");
  refused("/api/cancel", json{{"instance_id", "waiting-1"}, {"reason", std::string(4097, 'r')}}.dump(), 400,
          "the field 'reason' is too long: 4097 bytes, at most 4096");
  // None of it reached the instance.
  const auto status = served_.client().get_orchestration_status("waiting-1");
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->is_running());
}

TEST_F(DashboardApiWrites, ABodyOverTheLimitIs413WithAJsonError) {
  const auto body =
      json{{"instance_id", "waiting-1"}, {"name", "Approve"}, {"data", std::string(3 * 1024 * 1024, 'd')}};
  const auto reply = served_.request("POST", "/api/raise-event", {}, body.dump());
  EXPECT_EQ(reply.status, 413);
  EXPECT_EQ(reply.error(), "the request body is too large: at most 2097152 bytes");
}

TEST_F(DashboardApiWrites, AnInstanceWithAnyCharactersInItsIdIsFoundAndSignalled) {
  const std::string odd = "odd/id?&=+ \u00e9\t#<x>";
  auto client = served_.client();
  ASSERT_TRUE(client.start_orchestration(odd, "Approval", "x"));
  auto waiting = client.wait_for_status_change(odd, 0, 10ms, kHangGuard);
  ASSERT_TRUE(waiting && waiting->is_running());
  const auto shown = served_.get("/api/instance?id=" + url_encode(odd));
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(shown.document()["instance_id"], odd);
  EXPECT_EQ(served_.post("/api/raise-event", json{{"instance_id", odd}, {"name", "Approve"}, {"data", "y"}}).status,
            202);
  EXPECT_TRUE(final_status(odd).is_completed());
}

}  // namespace
}  // namespace duroxide::dashboard_test
