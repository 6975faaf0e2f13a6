// The `duroxide` tool's commands that change a store: raise, enqueue, cancel, terminate, suspend,
// resume, rewind, start and wait,
// delete, prune. Each is checked by what a runtime (or the store) does with it afterwards.
#include "cli_test_support.hpp"

namespace duroxide::cli_test {
namespace {

using nlohmann::json;

using CliRaise = CliFixture;

TEST_F(CliRaise, RaisedEventLetsTheWaitingInstanceComplete) {
  const auto run = ok({"raise", "waiting-1", "Approve", "yes \u2713"});
  EXPECT_EQ(run.out, "raised event 'Approve' on instance 'waiting-1'\n");
  {
    RunningRuntime runtime(url());
    const auto status = runtime.wait_finished("waiting-1");
    ASSERT_TRUE(status.is_completed()) << status.name();
    EXPECT_EQ(status.get_if<status::Completed>()->output, "approved: yes \u2713");
  }
  const auto doc = parse_json(ok({"instances", "show", "waiting-1", "--json"}));
  EXPECT_EQ(doc.at("status"), "Completed");
  EXPECT_EQ(doc.at("output"), "approved: yes \u2713");
}

TEST_F(CliRaise, JsonConfirmsAndRefusesFinishedOrUnknownInstances) {
  const auto doc = parse_json(ok({"raise", "waiting-1", "Approve", "ok", "--json"}));
  EXPECT_EQ(doc, (json{{"instance_id", "waiting-1"}, {"event", "Approve"}, {"raised", true}}));
  fails(6, "instance 'done-1' has already finished (Completed)", {"raise", "done-1", "Approve", "x"});
  fails(1, "instance 'nope' not found", {"raise", "nope", "Approve", "x"});
  // Nothing was queued by the refused commands: only the one raised event waits.
  auto store = open_file_store(url());
  EXPECT_EQ(Client(store).get_queue_depths().value().orchestrator_queue, 1u);
}

TEST_F(CliRaise, InvalidUtf8IsAUsageError) {
  fails(2, "event data of raise_event is not valid UTF-8",
        {"raise", "waiting-1", "Approve", std::string("bad \xff byte")});
  const auto run = fails(2, "starting instance 'id-\\xc3'", {"start", "Hello", std::string("id-\xc3"), "x"});
  EXPECT_NE(run.err.find("is not valid UTF-8"), std::string::npos) << run.err;
}

using CliEnqueue = CliFixture;

TEST_F(CliEnqueue, QueuedMessageIsDequeuedByTheInstance) {
  const auto doc = parse_json(ok({"enqueue", "inbox-1", "inbox", "parcel 1", "--json"}));
  EXPECT_EQ(doc, (json{{"instance_id", "inbox-1"}, {"queue", "inbox"}, {"enqueued", true}}));
  {
    RunningRuntime runtime(url());
    const auto status = runtime.wait_finished("inbox-1");
    ASSERT_TRUE(status.is_completed()) << status.name();
    EXPECT_EQ(status.get_if<status::Completed>()->output, "got: parcel 1");
  }
  fails(6, "has already finished", {"enqueue", "inbox-1", "inbox", "late"});
  fails(1, "instance 'nope' not found", {"enqueue", "nope", "inbox", "x"});
}

TEST_F(CliEnqueue, HumanConfirmation) {
  EXPECT_EQ(ok({"enqueue", "inbox-1", "inbox", "m"}).out,
            "enqueued a message on queue 'inbox' of instance 'inbox-1'\n");
}

using CliCancel = CliFixture;

TEST_F(CliCancel, CancelledInstanceFailsWithTheReason) {
  const auto run = ok({"cancel", "waiting-1", "--reason", "ops said so"});
  EXPECT_EQ(run.out, "requested the cancellation of instance 'waiting-1' (reason \"ops said so\")\n");
  {
    RunningRuntime runtime(url());
    const auto status = runtime.wait_finished("waiting-1");
    ASSERT_TRUE(status.is_failed()) << status.name();
    const auto* app = status.get_if<status::Failed>()->details.get_if<error::Application>();
    ASSERT_NE(app, nullptr);
    EXPECT_EQ(app->kind.code, AppErrorKind::Code::Cancelled);
    EXPECT_EQ(app->kind.cancel_reason, "ops said so");
  }
  const auto shown = ok({"instances", "show", "waiting-1"});
  EXPECT_NE(shown.out.find("ops said so"), std::string::npos) << shown.out;
  fails(6, "instance 'waiting-1' has already finished (Failed)", {"cancel", "waiting-1"});
  fails(1, "instance 'nope' not found", {"cancel", "nope"});
}

TEST_F(CliCancel, DefaultReasonAndJson) {
  const auto doc = parse_json(ok({"cancel", "inbox-1", "--json"}));
  EXPECT_EQ(doc, (json{{"instance_id", "inbox-1"},
                       {"reason", "cancelled with the duroxide command-line tool"},
                       {"cancel_requested", true}}));
  RunningRuntime runtime(url());
  const auto status = runtime.wait_finished("inbox-1");
  ASSERT_TRUE(status.is_failed()) << status.name();
  const auto* app = status.get_if<status::Failed>()->details.get_if<error::Application>();
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->kind.cancel_reason, "cancelled with the duroxide command-line tool");
}

using CliTerminate = CliFixture;

TEST_F(CliTerminate, TerminatedInstanceEndsWithTheReasonAndWaitExits4) {
  const auto run = ok({"terminate", "waiting-1", "--reason", "ops said so"});
  EXPECT_EQ(run.out, "requested the termination of instance 'waiting-1' and its children (reason \"ops said so\")\n");
  {
    RunningRuntime runtime(url());
    const auto status = runtime.wait_finished("waiting-1");
    ASSERT_TRUE(status.is_terminated()) << status.name();
    EXPECT_EQ(status.get_if<status::Terminated>()->reason, "ops said so");
  }
  const auto waited = cli({"wait", "waiting-1"});
  EXPECT_EQ(waited.exit_code, 4) << describe(waited);
  EXPECT_NE(waited.out.find("status:    Terminated\n"), std::string::npos) << waited.out;
  EXPECT_NE(waited.out.find("reason:    \"ops said so\""), std::string::npos) << waited.out;
  const auto doc = parse_json(cli({"wait", "waiting-1", "--json"}));
  EXPECT_EQ(doc.at("status"), "Terminated");
  EXPECT_EQ(doc.at("termination_reason"), "ops said so");
  const auto listed = ok({"instances", "list", "--status", "terminated"});
  EXPECT_NE(listed.out.find("waiting-1"), std::string::npos) << listed.out;
  EXPECT_EQ(listed.out.find("inbox-1"), std::string::npos) << listed.out;
  fails(6, "instance 'waiting-1' has already finished (Terminated)", {"terminate", "waiting-1"});
  fails(1, "instance 'nope' not found", {"terminate", "nope"});
}

TEST_F(CliTerminate, KeepChildrenDefaultReasonAndJson) {
  const auto doc = parse_json(ok({"terminate", "inbox-1", "--keep-children", "--json"}));
  EXPECT_EQ(doc, (json{{"instance_id", "inbox-1"},
                       {"reason", "terminated with the duroxide command-line tool"},
                       {"children_terminated", false},
                       {"terminate_requested", true}}));
  RunningRuntime runtime(url());
  const auto status = runtime.wait_finished("inbox-1");
  ASSERT_TRUE(status.is_terminated()) << status.name();
  EXPECT_EQ(status.get_if<status::Terminated>()->reason, "terminated with the duroxide command-line tool");
}

using CliSuspendResume = CliFixture;

TEST_F(CliSuspendResume, ASuspendedInstanceWaitsForItsResumeWithWhatWasRaisedMeanwhile) {
  EXPECT_EQ(ok({"suspend", "waiting-1", "--reason", "audit"}).out,
            "requested the suspension of instance 'waiting-1' (reason \"audit\")\n");
  RunningRuntime runtime(url());
  runtime.wait_status("waiting-1", "Suspended");
  const auto shown = ok({"instances", "show", "waiting-1"});
  EXPECT_NE(shown.out.find("Suspended"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("suspended:      \"audit\""), std::string::npos) << shown.out;
  fails(6, "instance 'waiting-1' is already suspended", {"suspend", "waiting-1"});
  ok({"raise", "waiting-1", "Approve", "yes"});  // recorded; the code runs after the resume
  const auto doc = parse_json(ok({"resume", "waiting-1", "--json"}));
  EXPECT_EQ(doc, (json{{"instance_id", "waiting-1"},
                       {"reason", "resumed with the duroxide command-line tool"},
                       {"resume_requested", true}}));
  const auto status = runtime.wait_finished("waiting-1");
  ASSERT_TRUE(status.is_completed()) << status.name();
  EXPECT_EQ(status.get_if<status::Completed>()->output, "approved: yes");
}

TEST_F(CliSuspendResume, RefusalsNameTheStatus) {
  fails(6, "instance 'inbox-1' is not suspended (Running): nothing to resume", {"resume", "inbox-1"});
  fails(6, "instance 'done-1' has already finished (Completed): nothing would be suspended", {"suspend", "done-1"});
  fails(1, "instance 'nope' not found", {"suspend", "nope"});
  const auto doc = parse_json(ok({"suspend", "inbox-1", "--json"}));
  EXPECT_EQ(doc, (json{{"instance_id", "inbox-1"},
                       {"reason", "suspended with the duroxide command-line tool"},
                       {"suspend_requested", true}}));
}

using CliRewind = CliFixture;

TEST_F(CliRewind, AFailedInstanceRunsAgainAndTheRewindShowsInItsHistory) {
  EXPECT_EQ(ok({"rewind", "failed-1", "--reason", "restocked"}).out,
            "requested the rewind of instance 'failed-1' (reason \"restocked\")\n");
  {
    // The activity still fails ("out of stock"): the instance fails again after the rewind.
    RunningRuntime runtime(url());
    const auto deadline = std::chrono::steady_clock::now() + kHangGuard;
    for (;;) {
      auto history = runtime.client().read_execution_history("failed-1", 1);
      ASSERT_TRUE(history) << history.error().to_string();
      const bool rewound = std::any_of(history->begin(), history->end(),
                                       [](const Event& e) { return e.is<events::OrchestrationRewound>(); });
      if (rewound && history->back().is<events::OrchestrationFailed>()) break;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "failed-1 was never rewound and failed again";
      std::this_thread::sleep_for(5ms);
    }
  }
  const auto history = ok({"history", "failed-1"});
  EXPECT_NE(history.out.find("OrchestrationRewound"), std::string::npos) << history.out;
  EXPECT_NE(history.out.find("reason=\"restocked\""), std::string::npos) << history.out;
  const auto doc = parse_json(ok({"rewind", "failed-1", "--json"}));
  EXPECT_EQ(doc, (json{{"instance_id", "failed-1"},
                       {"reason", "rewound with the duroxide command-line tool"},
                       {"rewind_requested", true}}));
}

TEST_F(CliRewind, WhatHasNotFailedIsRefused) {
  fails(6, "instance 'done-1' cannot be rewound: it is Completed, and only a failed instance can be rewound",
        {"rewind", "done-1"});
  fails(6, "instance 'waiting-1' cannot be rewound: it is Running", {"rewind", "waiting-1"});
  fails(1, "instance 'nope' not found", {"rewind", "nope"});
}

using CliStartWait = CliFixture;

TEST_F(CliStartWait, StartedInstanceRunsAndWaitReportsItsOutput) {
  EXPECT_EQ(ok({"start", "Hello", "new-1", "Planet"}).out, "started instance 'new-1' of orchestration 'Hello'\n");
  // No runtime has taken the start up: the instance has no status yet, so a bounded wait ends
  // with "not found".
  fails(1, "instance 'new-1' not found (waited 0.05 s)", {"wait", "new-1", "--timeout", "0.05"});
  RunningRuntime runtime(url());
  const auto run = ok({"wait", "new-1"});  // no timeout: until the runtime finishes it
  EXPECT_EQ(run.out, "instance:  new-1\nstatus:    Completed\noutput:    \"Hello, Planet!\"\n");
  const auto doc = parse_json(ok({"wait", "new-1", "--json"}));
  EXPECT_EQ(doc.at("instance_id"), "new-1");
  EXPECT_EQ(doc.at("status"), "Completed");
  EXPECT_EQ(doc.at("output"), "Hello, Planet!");
  EXPECT_TRUE(doc.at("error").is_null());
}

TEST_F(CliStartWait, StartJsonVersionAndExistingInstance) {
  const auto doc = parse_json(ok({"start", "Hello", "new-2", "V", "--version", "1.0.0", "--json"}));
  EXPECT_EQ(doc, (json{{"instance_id", "new-2"},
                       {"orchestration_name", "Hello"},
                       {"orchestration_version", "1.0.0"},
                       {"started", true}}));
  {
    RunningRuntime runtime(url());
    const auto status = runtime.wait_finished("new-2");
    ASSERT_TRUE(status.is_completed()) << status.name();
    EXPECT_EQ(status.get_if<status::Completed>()->output, "Hello, V!");
  }
  fails(6, "instance 'done-1' already exists (Completed)", {"start", "Hello", "done-1", "again"});
}

TEST_F(CliStartWait, StartWithATraceparentRecordsItAndRefusesABadOne) {
  const std::string caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  ok({"start", "Hello", "traced-1", "T", "--traceparent", caller});
  {
    RunningRuntime runtime(url());
    ASSERT_TRUE(runtime.wait_finished("traced-1").is_completed());
  }
  const auto doc = parse_json(ok({"history", "traced-1", "--json"}));
  EXPECT_EQ(doc.at("events").at(0).at("trace_parent"), caller) << doc.dump();
  fails(2, "is not a W3C traceparent", {"start", "Hello", "traced-2", "T", "--traceparent", "00-abc"});
}

TEST_F(CliStartWait, WaitOnAFailedInstanceExits4) {
  const auto run = cli({"wait", "failed-1"});
  EXPECT_EQ(run.exit_code, 4) << describe(run);
  EXPECT_EQ(run.err, "") << describe(run);
  EXPECT_NE(run.out.find("status:    Failed\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("out of stock"), std::string::npos) << run.out;
  const auto json_run = cli({"wait", "failed-1", "--json"});
  EXPECT_EQ(json_run.exit_code, 4) << describe(json_run);
  const auto doc = parse_json(json_run);
  EXPECT_EQ(doc.at("status"), "Failed");
  EXPECT_EQ(doc.at("error").at("category"), "application");
}

TEST_F(CliStartWait, WaitOnARunningInstanceTimesOutWith5) {
  // No runtime runs, so waiting-1 stays Running until the timeout.
  fails(5, "timed out after 0.05 s waiting for instance 'waiting-1' (status Running)",
        {"wait", "waiting-1", "--timeout", "0.05"});
  const auto completed = ok({"wait", "done-1", "--timeout", "0"});  // already finished: no wait needed
  EXPECT_NE(completed.out.find("Completed"), std::string::npos) << completed.out;
}

using CliDelete = CliFixture;

TEST_F(CliDelete, DeletesARootWithItsChildren) {
  fails(6, "instance 'parent-1-child' is a sub-orchestration", {"delete", "parent-1-child"});
  const auto doc = parse_json(ok({"delete", "parent-1", "--json"}));
  EXPECT_EQ(doc.at("instance_id"), "parent-1");
  EXPECT_EQ(doc.at("instances_deleted"), 2);
  EXPECT_EQ(doc.at("executions_deleted"), 2);
  EXPECT_GT(doc.at("events_deleted").get<std::uint64_t>(), 0u);
  fails(1, "instance 'parent-1' not found", {"instances", "show", "parent-1"});
  fails(1, "instance 'parent-1-child' not found", {"instances", "show", "parent-1-child"});
  fails(1, "instance 'parent-1' not found", {"delete", "parent-1"});
  const auto human = ok({"delete", "done-1"});
  EXPECT_EQ(human.out, "deleted instance 'done-1': 1 instances, 1 executions, 4 events, 0 queue messages\n");
}

TEST_F(CliDelete, RunningInstanceNeedsForce) {
  fails(6, "instance 'waiting-1' is still running: cancel it first or use --force", {"delete", "waiting-1"});
  ok({"instances", "show", "waiting-1"});  // still there
  ok({"delete", "waiting-1", "--force"});
  fails(1, "instance 'waiting-1' not found", {"instances", "show", "waiting-1"});
}

using CliPrune = CliFixture;

TEST_F(CliPrune, KeepsTheNewestExecutions) {
  const auto doc = parse_json(ok({"prune", "counter-1", "--keep-last", "2", "--json"}));
  EXPECT_EQ(doc.at("instance_id"), "counter-1");
  EXPECT_EQ(doc.at("executions_deleted"), 1);
  EXPECT_EQ(parse_json(ok({"history", "counter-1", "--json"})).at("executions"), json::array({2, 3}));
  const auto human = ok({"prune", "counter-1", "--keep-last", "1"});
  EXPECT_TRUE(human.out.starts_with("pruned instance 'counter-1': 1 executions, ")) << human.out;
  fails(1, "execution 1 of instance 'counter-1' not found", {"history", "counter-1", "--execution", "1"});
  EXPECT_EQ(parse_json(ok({"instances", "show", "counter-1", "--json"})).at("executions"), json::array({3}));
  fails(1, "instance 'nope' not found", {"prune", "nope", "--keep-last", "1"});
}

}  // namespace
}  // namespace duroxide::cli_test
