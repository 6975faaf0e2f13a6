// Stored strings must be UTF-8 (docs/core.md, docs/failure-modes-api.md): every entry point rejects
// other bytes with an error naming the field and the first bad byte, and everything valid
// (embedded NULs, megabytes) is carried exactly. Issue #12 item 1: before, invalid bytes were
// silently rewritten to U+FFFD, and an activity input holding them failed the orchestration as
// nondeterministic on its next turn.
#include <gtest/gtest.h>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

const std::string kBad = std::string("ab\xff\xfe") + "cd";  // first bad byte at offset 2
const std::string kReplacement = "\xef\xbf\xbd";            // U+FFFD, what the serializer used to write

bool names(const ClientError& error, std::string_view fragment) {
  return error.to_string().find(fragment) != std::string::npos;
}

Task<Result<std::string>> wait_for_go(OrchestrationContext ctx, std::string) {
  co_return co_await ctx.schedule_wait("Go");
}

/// Misuses the context with invalid UTF-8 in the way its input names.
Task<Result<std::string>> misuse(OrchestrationContext ctx, std::string which) {
  if (which == "activity input") co_return co_await ctx.schedule_activity("Echo", kBad);
  if (which == "activity name") co_return co_await ctx.schedule_activity(kBad, "x");
  if (which == "sub-orchestration input") co_return co_await ctx.schedule_sub_orchestration("Plain", kBad);
  if (which == "sub-orchestration id") {
    co_return co_await ctx.schedule_sub_orchestration_with_id("Plain", kBad, "x");
  }
  if (which == "detached input") {
    ctx.schedule_orchestration("Plain", "detached-child", kBad);
    co_return "started";
  }
  if (which == "event name") co_return co_await ctx.schedule_wait(kBad);
  if (which == "queue name") co_return co_await ctx.dequeue_event(kBad);
  if (which == "continue-as-new input") co_await ctx.continue_as_new(kBad);
  if (which == "output") co_return kBad;
  if (which == "error") co_return Err(kBad);
  if (which == "custom status") {
    ctx.set_custom_status(kBad);
    co_return "set";
  }
  if (which == "kv key") {
    ctx.set_kv_value(kBad, "v");
    co_return "set";
  }
  if (which == "kv value") {
    ctx.set_kv_value("k", kBad);
    co_return "set";
  }
  co_return Err("unknown case " + which);
}

Task<Result<std::string>> plain(OrchestrationContext, std::string input) { co_return input; }

/// Schedules an activity with its input and returns the activity's outcome as text.
Task<Result<std::string>> call_activity(OrchestrationContext ctx, std::string activity) {
  auto result = co_await ctx.schedule_activity(activity, "x");
  co_return result ? "ok:" + *result : "err:" + result.error();
}

/// Carries its input through an activity, an event and the custom status.
Task<Result<std::string>> carry(OrchestrationContext ctx, std::string input) {
  auto echoed = co_await ctx.schedule_activity("Echo", input);
  if (!echoed) co_return Err(echoed.error());
  if (echoed->size() <= kMaxCustomStatusBytes) ctx.set_custom_status(*echoed);  // a status is limited to 256 KB
  auto event = co_await ctx.schedule_wait("Data");
  if (event != input) co_return Err("event data changed");
  co_return *echoed;
}

ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Echo", [](ActivityContext&, std::string input) -> Result<std::string> { return input; })
      .add("BadOutput", [](ActivityContext&, std::string) -> Result<std::string> { return kBad; })
      .add("BadError", [](ActivityContext&, std::string) -> Result<std::string> { return Err(kBad); })
      .build();
}

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add("WaitForGo", wait_for_go)
      .add("Misuse", misuse)
      .add("Plain", plain)
      .add("CallActivity", call_activity)
      .add("Carry", carry)
      .build();
}

/// No stored string of the instance holds a replacement character.
void expect_no_replacement(E2eEnv& env, const std::string& instance) {
  for (const auto& event : env.history(instance)) {
    EXPECT_EQ(serialize_event(event).find(kReplacement), std::string::npos) << serialize_event(event);
  }
}

TEST(E2eUtf8, ClientCallsRejectInvalidUtf8NamingFieldAndByte) {
  E2eEnv env(activities(), orchestrations());
  struct Case {
    std::string what;
    ClientResult<void> result;
    std::string fragment;
  };
  const std::vector<Case> cases = {
      {"start input", env.client.start_orchestration("i1", "Plain", kBad),
       "input of start_orchestration is not valid UTF-8 at byte 2"},
      {"start name", env.client.start_orchestration("i2", kBad, "x"),
       "orchestration name of start_orchestration is not valid UTF-8 at byte 2"},
      {"start instance", env.client.start_orchestration(kBad, "Plain", "x"),
       "instance id of start_orchestration is not valid UTF-8 at byte 2"},
      {"start version", env.client.start_orchestration_versioned("i3", "Plain", kBad, "x"),
       "version of start_orchestration_versioned is not valid UTF-8 at byte 2"},
      {"raise name", env.client.raise_event("i4", kBad, "x"), "event name of raise_event is not valid UTF-8 at byte 2"},
      {"raise data", env.client.raise_event("i4", "Go", kBad),
       "event data of raise_event is not valid UTF-8 at byte 2"},
      {"enqueue queue", env.client.enqueue_event("i4", kBad, "x"),
       "queue name of enqueue_event is not valid UTF-8 at byte 2"},
      {"enqueue data", env.client.enqueue_event("i4", "q", kBad),
       "message data of enqueue_event is not valid UTF-8 at byte 2"},
      {"cancel reason", env.client.cancel_instance("i4", kBad),
       "reason of cancel_instance is not valid UTF-8 at byte 2"},
  };
  for (const auto& c : cases) {
    ASSERT_FALSE(c.result) << c.what;
    EXPECT_EQ(c.result.error().kind, ClientError::Kind::InvalidInput) << c.what;
    EXPECT_TRUE(names(c.result.error(), c.fragment)) << c.what << ": " << c.result.error().to_string();
  }
  // Nothing was written.
  EXPECT_EQ(env.client.get_queue_depths().value().orchestrator_queue, 0u);
  EXPECT_TRUE(env.client.list_all_instances().value().empty());

  auto kv = env.client.get_kv_value("i4", kBad);
  ASSERT_FALSE(kv);
  EXPECT_TRUE(names(kv.error(), "key of get_kv_value is not valid UTF-8 at byte 2")) << kv.error().to_string();
  auto status = env.client.get_orchestration_status(kBad);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().kind, ClientError::Kind::InvalidInput);
}

TEST(E2eUtf8, EventsForARunningInstanceAreRejectedAndItCarriesOn) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("waiting", "WaitForGo", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "waiting"));
  ASSERT_FALSE(env.client.raise_event("waiting", "Go", kBad));
  ASSERT_TRUE(env.client.raise_event("waiting", "Go", "fine"));
  EXPECT_EQ(env.output_of("waiting"), "fine");
}

TEST(E2eUtf8, OrchestrationCodeHandingInvalidUtf8FailsNamingTheField) {
  E2eEnv env(activities(), orchestrations());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"activity input", "input of activity 'Echo' (event 2) is not valid UTF-8 at byte 2"},
      {"activity name", "name of activity (event 2) is not valid UTF-8 at byte 2"},
      {"sub-orchestration input", "input of sub-orchestration 'Plain' (event 2) is not valid UTF-8 at byte 2"},
      {"sub-orchestration id", "instance id of sub-orchestration 'Plain' (event 2) is not valid UTF-8 at byte 2"},
      {"detached input", "input of detached orchestration 'Plain' (event 2) is not valid UTF-8 at byte 2"},
      {"event name", "event name of an event subscription (event 2) is not valid UTF-8 at byte 2"},
      {"queue name", "queue name of a queue subscription (event 2) is not valid UTF-8 at byte 2"},
      {"continue-as-new input", "input of continue-as-new (event 2) is not valid UTF-8 at byte 2"},
      {"output", "output of the orchestration (event 2) is not valid UTF-8 at byte 2"},
      {"error", "is not valid UTF-8 at byte 2"},
      {"custom status", "custom status of the orchestration (event 2) is not valid UTF-8 at byte 2"},
      {"kv key", "key of KV entry (event 2) is not valid UTF-8 at byte 2"},
      {"kv value", "value of KV entry 'k' (event 2) is not valid UTF-8 at byte 2"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& [which, message] = cases[i];
    const std::string instance = "misuse-" + std::to_string(i);
    ASSERT_TRUE(env.client.start_orchestration(instance, "Misuse", which));
    const auto status = env.wait(instance);
    const auto* failed = status.get_if<status::Failed>();
    ASSERT_NE(failed, nullptr) << which << " ended " << status.name();
    EXPECT_NE(failed->details.display_message().find(message), std::string::npos)
        << which << ": " << failed->details.display_message();
    const auto* app = failed->details.get_if<error::Application>();
    ASSERT_NE(app, nullptr) << which;
    EXPECT_EQ(app->kind, AppErrorKind::orchestration_failed()) << which;
    // The failure is the last event and the bad data was not committed (altered or not).
    const auto history = env.history(instance);
    ASSERT_FALSE(history.empty());
    EXPECT_TRUE(history.back().is<events::OrchestrationFailed>()) << which;
    expect_no_replacement(env, instance);
  }
  // Nothing was started or scheduled with the bad data.
  EXPECT_TRUE(env.client.get_orchestration_status("detached-child").value().is_not_found());
}

TEST(E2eUtf8, ActivityOutputOrErrorThatIsNotUtf8FailsTheActivity) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("bad-out", "CallActivity", "BadOutput"));
  EXPECT_EQ(env.output_of("bad-out"), "err:output of activity 'BadOutput' is not valid UTF-8 at byte 2");
  ASSERT_TRUE(env.client.start_orchestration("bad-err", "CallActivity", "BadError"));
  EXPECT_EQ(env.output_of("bad-err"), "err:error of activity 'BadError' is not valid UTF-8 at byte 2");
  expect_no_replacement(env, "bad-out");
  expect_no_replacement(env, "bad-err");
}

/// Starts "Carry" with `data`, raises `data` as its event, and checks that the output, the event
/// and the custom status come back byte for byte.
void expect_carried_exactly(const std::string& instance, const std::string& data) {
  // What is tested is the bytes, not lock renewal: under a sanitizer on a loaded machine a turn of
  // a megabyte takes seconds, and an in-memory store has one connection, so its renewals queue
  // behind the whole-history reads of wait_for_event_kind below; the lock is given room
  // (docs/storage.md, "Reads do not wait for the writer").
  RuntimeOptions options = fast_options();
  options.orchestrator_lock_timeout = std::chrono::seconds(60);
  E2eEnv env(activities(), orchestrations(), options);
  ASSERT_TRUE(env.client.start_orchestration(instance, "Carry", data));
  // Generous waits: a turn alone took 22 s under TSan on a loaded machine, and each history poll
  // decodes the whole megabyte (the status polls of env.wait read only metadata).
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, instance, 120s));
  ASSERT_TRUE(env.client.raise_event(instance, "Data", data));
  const auto status = env.wait(instance, 120s);
  const auto* completed = status.get_if<status::Completed>();
  ASSERT_NE(completed, nullptr) << status.name();
  EXPECT_TRUE(completed->output == data) << "output differs (size " << completed->output.size() << " vs " << data.size()
                                         << ")";
  if (data.size() <= kMaxCustomStatusBytes) {
    ASSERT_TRUE(completed->custom_status.has_value());
    EXPECT_TRUE(*completed->custom_status == data);
  }
}

TEST(E2eUtf8, EmbeddedNulsAreCarriedExactly) {
  expect_carried_exactly("nuls", std::string("a\0b\0\0c", 6) + "\xc3\xa9" + std::string(1, '\0'));
}

TEST(E2eUtf8, OneMegabyteOfMultiByteTextIsCarriedExactly) {
  std::string data;
  const std::string pieces[] = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", std::string(1, '\0')};
  for (std::size_t i = 0; data.size() < 1024 * 1024; ++i) data += pieces[i % 5];
  expect_carried_exactly("megabyte", data);
}

TEST(E2eUtf8, KvValuesWithNulsAreCarriedExactly) {
  E2eEnv env(activities(), OrchestrationRegistry::builder()
                               .add("SetKv",
                                    [](OrchestrationContext ctx, std::string input) -> Task<Result<std::string>> {
                                      ctx.set_kv_value("k", input);
                                      co_return "set";
                                    })
                               .build());
  const std::string value = std::string("x\0y", 3) + "\xe2\x82\xac";
  ASSERT_TRUE(env.client.start_orchestration("kv", "SetKv", value));
  EXPECT_EQ(env.output_of("kv"), "set");
  EXPECT_TRUE(env.client.get_kv_value("kv", "k").value() == value);
}

}  // namespace
}  // namespace duroxide::testing
