// Event wire format: round trips of every kind, duroxide's own texts byte for byte, the read
// defaults, and bad input.
#include <gtest/gtest.h>

#include <duroxide/wire.hpp>

using namespace duroxide;

namespace {

Event ev(std::uint64_t id, std::optional<std::uint64_t> source, EventKind kind) {
  return Event{id, source, "inst-1", 2, 1700000000000, "0.1.27", std::move(kind)};
}

ErrorDetails sample_error() { return ErrorDetails::activity_failed("card declined"); }

// One event of every kind, optional fields present where the kind has them.
std::vector<Event> every_event_kind() {
  using namespace events;
  return {
      ev(1, {},
         OrchestrationStarted{"Order", "1.0.0", "in", "parent-1", 7, {{"inbox", "m1"}, {"inbox", "m2"}}, "s", 5}),
      ev(2, {}, OrchestrationCompleted{"out"}),
      ev(3, {}, OrchestrationFailed{sample_error()}),
      ev(4, {}, ActivityScheduled{"Charge", "x", "sess-1", "gpu"}),
      ev(5, 4, ActivityCompleted{"ok"}),
      ev(6, 4, ActivityFailed{sample_error()}),
      ev(7, 4, ActivityCancelRequested{"dropped_future"}),
      ev(8, {}, TimerCreated{1700000030004}),
      ev(9, 8, TimerFired{1700000030004}),
      ev(10, {}, ExternalSubscribed{"approve"}),
      ev(11, {}, ExternalEvent{"approve", "yes"}),
      ev(12, {}, OrchestrationChained{"Audit", "audit-1", "i"}),
      ev(13, {}, SubOrchestrationScheduled{"Child", "sub::13", "ci"}),
      ev(14, 13, SubOrchestrationCompleted{"co"}),
      ev(15, 13, SubOrchestrationFailed{ErrorDetails::orchestration_failed("child")}),
      ev(16, 13, SubOrchestrationCancelRequested{"dropped_future"}),
      ev(17, {}, OrchestrationContinuedAsNew{"next"}),
      ev(18, {}, OrchestrationCancelRequested{"user"}),
      ev(19, 10, ExternalSubscribedCancelled{"dropped_future"}),
      ev(20, {}, QueueSubscribed{"inbox"}),
      ev(21, {}, QueueEventDelivered{"inbox", "m3"}),
      ev(22, 20, QueueSubscriptionCancelled{"orchestration_terminal"}),
      ev(23, {}, CustomStatusUpdated{"step 3"}),
      ev(24, {}, KeyValueSet{"k", "v", 1700000000001}),
      ev(25, {}, KeyValueCleared{"k"}),
      ev(26, {}, KeyValuesCleared{}),
      ev(27, {}, OrchestrationTerminated{"stuck on a bad input"}),
      ev(28, {}, OrchestrationSuspended{"maintenance"}),
      ev(29, {}, OrchestrationResumed{"maintenance over"}),
      ev(30, {}, OrchestrationRewound{"bug 1234 fixed", {12, 27}}),
  };
}

}  // namespace

TEST(UnitWireEvent, EveryKindRoundTripsThroughJson) {
  const auto events = every_event_kind();
  ASSERT_EQ(events.size(), std::variant_size_v<EventKind>) << "one sample per event kind";
  for (const auto& e : events) {
    const std::string json = serialize_event(e);
    auto parsed = parse_event(json);
    ASSERT_TRUE(parsed.has_value()) << e.type_name() << ": " << parsed.error();
    EXPECT_EQ(*parsed, e) << json;
    EXPECT_EQ(serialize_event(*parsed), json) << "re-serialization is stable";
  }
}

TEST(UnitWireEvent, ARewindsSupersededIdsMustBeAnArrayOfUnsignedIntegers) {
  const std::string prefix =
      R"({"event_id":3,"source_event_id":null,"instance_id":"i","execution_id":1,"timestamp_ms":0,)"
      R"("duroxide_version":"0.1.27","type":"OrchestrationRewound","reason":"r","superseded":)";
  auto parsed = parse_event(prefix + "[1,2]}");
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->get_if<events::OrchestrationRewound>()->superseded, (std::vector<std::uint64_t>{1, 2}));
  for (const char* bad : {"7}", "[1,-2]}", R"(["3"]})", "null}"}) {
    auto refused = parse_event(prefix + bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_NE(refused.error().find("superseded"), std::string::npos) << refused.error();
  }
}

TEST(UnitWireEvent, OptionalFieldsAbsentRoundTrip) {
  using namespace events;
  const std::vector<Event> events = {
      ev(1, {}, OrchestrationStarted{"O", "1.0.0", "", {}, {}, {}, {}}),
      ev(2, {}, ActivityScheduled{"A", "", {}, {}}),
      ev(3, {}, CustomStatusUpdated{std::nullopt}),
  };
  for (const auto& e : events) {
    auto parsed = parse_event(serialize_event(e));
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    EXPECT_EQ(*parsed, e);
  }
}

TEST(UnitWireEvent, RenamedKindsUseDuroxideWireTags) {
  using namespace events;
  EXPECT_EQ(ev(1, {}, QueueSubscribed{"q"}).type_name(), "ExternalSubscribedPersistent");
  EXPECT_EQ(ev(1, {}, QueueEventDelivered{"q", "d"}).type_name(), "ExternalEventPersistent");
  EXPECT_EQ(ev(1, 1, QueueSubscriptionCancelled{"r"}).type_name(), "ExternalSubscribedPersistentCancelled");
  EXPECT_NE(serialize_event(ev(1, {}, QueueSubscribed{"q"})).find(R"("type":"ExternalSubscribedPersistent")"),
            std::string::npos);
}

// Event texts as duroxide writes them (docs/core.md): parsing then serializing must reproduce them byte for byte
// (key order, null vs omitted, nested ErrorDetails shapes).
TEST(UnitWireEvent, SpecExamplesReproduceByteForByte) {
  const char* lines[] = {
      R"({"event_id":1,"source_event_id":null,"instance_id":"order-1","execution_id":1,"timestamp_ms":1700000000000,"duroxide_version":"0.1.27","type":"OrchestrationStarted","name":"Order","version":"1.0.0","input":"{\"qty\":2}","parent_instance":null,"parent_id":null})",
      R"({"event_id":2,"source_event_id":null,"instance_id":"order-1","execution_id":1,"timestamp_ms":1700000000004,"duroxide_version":"0.1.27","type":"ActivityScheduled","name":"Charge","input":"{\"qty\":2}","tag":"gpu"})",
      R"({"event_id":3,"source_event_id":null,"instance_id":"order-1","execution_id":1,"timestamp_ms":1700000000004,"duroxide_version":"0.1.27","type":"TimerCreated","fire_at_ms":1700000030004})",
      R"({"event_id":4,"source_event_id":2,"instance_id":"order-1","execution_id":1,"timestamp_ms":1700000000950,"duroxide_version":"0.1.27","type":"ActivityFailed","details":{"Application":{"kind":"ActivityFailed","message":"card declined","retryable":false}}})",
      R"({"event_id":5,"source_event_id":null,"instance_id":"order-1","execution_id":1,"timestamp_ms":1700000000950,"duroxide_version":"0.1.27","type":"OrchestrationCancelRequested","reason":"user"})",
      R"({"event_id":6,"source_event_id":null,"instance_id":"order-1","execution_id":1,"timestamp_ms":1700000000951,"duroxide_version":"0.1.27","type":"CustomStatusUpdated","status":null})",
      R"({"event_id":7,"source_event_id":null,"instance_id":"order-1","execution_id":1,"timestamp_ms":1700000000951,"duroxide_version":"0.1.27","type":"KeyValuesCleared"})",
      R"({"event_id":8,"source_event_id":null,"instance_id":"order-1","execution_id":1,"timestamp_ms":1700000000952,"duroxide_version":"0.1.27","type":"OrchestrationFailed","details":{"Application":{"kind":{"Cancelled":{"reason":"user"}},"message":"","retryable":false}}})",
      R"({"event_id":1,"source_event_id":null,"instance_id":"loop-1","execution_id":3,"timestamp_ms":1700000100000,"duroxide_version":"0.1.27","type":"OrchestrationStarted","name":"Loop","version":"2.0.0","input":"42","parent_instance":null,"parent_id":null,"carry_forward_events":[["inbox","m7"],["inbox","m8"]],"initial_custom_status":"step 3"})",
  };
  for (const char* line : lines) {
    auto parsed = parse_event(line);
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    EXPECT_EQ(serialize_event(*parsed), line);
  }
}

// duroxide 0.1.30 writes parent_execution_id on a child's start, right after parent_id; older
// writers (and root instances) leave it out. Both shapes must survive a round trip unchanged.
TEST(UnitWireEvent, ChildStartFromDuroxide030KeepsParentExecutionIdByteForByte) {
  const std::string line =
      R"({"event_id":1,"source_event_id":null,"instance_id":"parent-1::sub::2","execution_id":1,"timestamp_ms":1764660000123,"duroxide_version":"0.1.30","type":"OrchestrationStarted","name":"Child","version":"1.0.0","input":"child-input","parent_instance":"parent-1","parent_id":2,"parent_execution_id":3})";
  auto parsed = parse_event(line);
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  const auto* started = parsed->get_if<events::OrchestrationStarted>();
  ASSERT_NE(started, nullptr);
  EXPECT_EQ(started->parent_id, 2u);
  EXPECT_EQ(started->parent_execution_id, 3u);
  EXPECT_EQ(serialize_event(*parsed), line);
}

TEST(UnitWireEvent, ChildStartWithoutParentExecutionIdStaysWithoutIt) {
  const std::string line =
      R"({"event_id":1,"source_event_id":null,"instance_id":"parent-1::sub::2","execution_id":2,"timestamp_ms":1700000000000,"duroxide_version":"0.1.27","type":"OrchestrationStarted","name":"Child","version":"1.0.0","input":"x","parent_instance":"parent-1","parent_id":2,"carry_forward_events":[["inbox","m1"]],"initial_custom_status":"s"})";
  auto parsed = parse_event(line);
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(parsed->get_if<events::OrchestrationStarted>()->parent_execution_id, std::nullopt);
  EXPECT_EQ(serialize_event(*parsed), line);
}

TEST(UnitWireEvent, ParentExecutionIdIsWrittenBetweenParentIdAndCarriedEvents) {
  auto event = ev(1, {}, events::OrchestrationStarted{"C", "1.0.0", "", "p", 2, {{"q", "d"}}, "s", 4});
  EXPECT_NE(
      serialize_event(event).find(
          R"("parent_instance":"p","parent_id":2,"parent_execution_id":4,"carry_forward_events":[["q","d"]],"initial_custom_status":"s"})"),
      std::string::npos)
      << serialize_event(event);
}

TEST(UnitWireEvent, HandWrittenSpecEventDecodesToTheRightFields) {
  auto parsed = parse_event(
      R"({"event_id":4,"source_event_id":2,"instance_id":"order-1","execution_id":1,"timestamp_ms":1700000000950,"duroxide_version":"0.1.27","type":"ActivityFailed","details":{"Application":{"kind":"ActivityFailed","message":"card declined","retryable":false}}})");
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(parsed->event_id, 4u);
  EXPECT_EQ(parsed->source_event_id, 2u);
  EXPECT_EQ(parsed->instance_id, "order-1");
  const auto* failed = parsed->get_if<events::ActivityFailed>();
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->details.display_message(), "card declined");
  EXPECT_EQ(failed->details.category(), "application");
}

TEST(UnitWireEvent, ReadersIgnoreUnknownKeysAndKeyOrder) {
  auto parsed = parse_event(
      R"({"type":"TimerFired","future_field":{"x":1},"fire_at_ms":5,"duroxide_version":"0.1.27","timestamp_ms":1,"execution_id":1,"instance_id":"i","source_event_id":3,"event_id":4})");
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(parsed->get_if<events::TimerFired>()->fire_at_ms, 5u);
  EXPECT_EQ(parsed->source_event_id, 3u);
}

TEST(UnitWireEvent, MissingOptionalFieldsReadAsAbsentAndDefaults) {
  // source_event_id, parent_instance, parent_id missing; last_updated_at_ms missing -> 0.
  auto started = parse_event(
      R"({"event_id":1,"instance_id":"i","execution_id":1,"timestamp_ms":1,"duroxide_version":"0.1.27","type":"OrchestrationStarted","name":"O","version":"1.0.0","input":""})");
  ASSERT_TRUE(started.has_value()) << started.error();
  EXPECT_FALSE(started->source_event_id.has_value());
  const auto* s = started->get_if<events::OrchestrationStarted>();
  EXPECT_FALSE(s->parent_instance.has_value());
  EXPECT_FALSE(s->parent_id.has_value());
  EXPECT_TRUE(s->carry_forward_events.empty());
  EXPECT_FALSE(s->initial_custom_status.has_value());

  auto kv = parse_event(
      R"({"event_id":2,"source_event_id":null,"instance_id":"i","execution_id":1,"timestamp_ms":1,"duroxide_version":"0.1.27","type":"KeyValueSet","key":"k","value":"v"})");
  ASSERT_TRUE(kv.has_value()) << kv.error();
  EXPECT_EQ(kv->get_if<events::KeyValueSet>()->last_updated_at_ms, 0u);

  // A missing `status` reads as cleared, like null.
  auto cs = parse_event(
      R"({"event_id":3,"instance_id":"i","execution_id":1,"timestamp_ms":1,"duroxide_version":"0.1.27","type":"CustomStatusUpdated"})");
  ASSERT_TRUE(cs.has_value()) << cs.error();
  EXPECT_FALSE(cs->get_if<events::CustomStatusUpdated>()->status.has_value());
}

TEST(UnitWireEvent, WriterOmitsAbsentOptionalFieldsAndWritesNullables) {
  using namespace events;
  const std::string scheduled = serialize_event(ev(2, {}, ActivityScheduled{"A", "x", {}, {}}));
  EXPECT_EQ(scheduled.find("session_id"), std::string::npos);
  EXPECT_EQ(scheduled.find("tag"), std::string::npos);
  const std::string started = serialize_event(ev(1, {}, OrchestrationStarted{"O", "1.0.0", "", {}, {}, {}, {}}));
  EXPECT_NE(started.find(R"("parent_instance":null,"parent_id":null)"), std::string::npos);
  EXPECT_EQ(started.find("carry_forward_events"), std::string::npos) << "empty carry-forward list is omitted";
  EXPECT_EQ(started.find("initial_custom_status"), std::string::npos);
}

TEST(UnitWireEvent, TerminalEventsAreExactlyCompletedFailedContinuedAsNewTerminated) {
  for (const auto& e : every_event_kind()) {
    const bool expected = e.is<events::OrchestrationCompleted>() || e.is<events::OrchestrationFailed>() ||
                          e.is<events::OrchestrationContinuedAsNew>() || e.is<events::OrchestrationTerminated>();
    EXPECT_EQ(e.is_terminal(), expected) << e.type_name();
  }
}

TEST(UnitWireEvent, TerminationIsWrittenWithItsOwnTagAndReason) {
  // Our extension (docs/terminate.md): duroxide has no such event, so its form is ours to fix.
  const auto json = serialize_event(ev(9, {}, events::OrchestrationTerminated{"operator"}));
  EXPECT_EQ(
      json,
      R"({"event_id":9,"source_event_id":null,"instance_id":"inst-1","execution_id":2,"timestamp_ms":1700000000000,"duroxide_version":"0.1.27","type":"OrchestrationTerminated","reason":"operator"})");
}

TEST(UnitWireEvent, MakeEventStampsCompatVersionAndTime) {
  const Event e = make_event(1, std::nullopt, "i", 1, events::KeyValuesCleared{});
  EXPECT_EQ(e.duroxide_version, "0.1.27");
  EXPECT_GT(e.timestamp_ms, 1700000000000u);
}

TEST(UnitWireEvent, HistoryArrayRoundTrips) {
  const auto events = every_event_kind();
  auto parsed = parse_history(serialize_history(events));
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(*parsed, events);
}

// ---- bad input: an error value naming the problem, never an exception or crash ----

struct BadEventCase {
  const char* name;
  const char* json;
  const char* expected_fragment;
};

class UnitWireEventBadInput : public ::testing::TestWithParam<BadEventCase> {};

TEST_P(UnitWireEventBadInput, GivesAClearErrorNamingTheProblem) {
  const auto& c = GetParam();
  Result<Event> parsed = Err("not run");
  ASSERT_NO_THROW(parsed = parse_event(c.json));
  ASSERT_FALSE(parsed.has_value()) << c.json;
  EXPECT_NE(parsed.error().find(c.expected_fragment), std::string::npos)
      << "error was: " << parsed.error() << "\nexpected to contain: " << c.expected_fragment;
  EXPECT_EQ(parsed.error().rfind("invalid Event JSON: ", 0), 0u) << parsed.error();
}

constexpr const char* kCommon =
    R"("event_id":1,"source_event_id":null,"instance_id":"i","execution_id":1,"timestamp_ms":1,"duroxide_version":"0.1.27")";

const std::string kUnknownType = std::string("{") + kCommon + R"(,"type":"ExternalSubscribed2","name":"x"})";
const std::string kMissingName = std::string("{") + kCommon + R"(,"type":"ActivityScheduled","input":"x"})";
const std::string kNameNotString = std::string("{") + kCommon + R"(,"type":"ActivityScheduled","name":5,"input":"x"})";
const std::string kFireAtString = std::string("{") + kCommon + R"(,"type":"TimerCreated","fire_at_ms":"soon"})";
const std::string kBadDetails = std::string("{") + kCommon + R"(,"type":"ActivityFailed","details":{"Bogus":{}}})";
const std::string kBadAppKind =
    std::string("{") + kCommon +
    R"(,"type":"ActivityFailed","details":{"Application":{"kind":"Nope","message":"","retryable":false}}})";
const std::string kBadCarry =
    std::string("{") + kCommon +
    R"(,"type":"OrchestrationStarted","name":"O","version":"1","input":"","carry_forward_events":[["only-one"]]})";

INSTANTIATE_TEST_SUITE_P(
    Cases, UnitWireEventBadInput,
    ::testing::Values(
        BadEventCase{"Malformed", R"({"event_id":1,)", "malformed JSON"}, BadEventCase{"Empty", "", "malformed JSON"},
        BadEventCase{"NotAnObject", "[1,2]", "must be a JSON object, got array"},
        BadEventCase{"MissingType", R"({"event_id":1})", "missing required field 'type'"},
        BadEventCase{"UnknownType", kUnknownType.c_str(), "unknown event type 'ExternalSubscribed2'"},
        BadEventCase{"MissingRequiredField", kMissingName.c_str(),
                     "missing required field 'name' in ActivityScheduled"},
        BadEventCase{"WrongFieldType", kNameNotString.c_str(),
                     "field 'name' of ActivityScheduled must be a string, got unsigned integer"},
        BadEventCase{"NumberAsString", kFireAtString.c_str(),
                     "field 'fire_at_ms' of TimerCreated must be an unsigned integer, got string"},
        BadEventCase{
            "NegativeId",
            R"({"event_id":-1,"instance_id":"i","execution_id":1,"timestamp_ms":1,"duroxide_version":"v","type":"KeyValuesCleared"})",
            "field 'event_id' of KeyValuesCleared must be an unsigned integer, got negative integer"},
        BadEventCase{
            "FloatId",
            R"({"event_id":1.5,"instance_id":"i","execution_id":1,"timestamp_ms":1,"duroxide_version":"v","type":"KeyValuesCleared"})",
            "got floating-point number"},
        BadEventCase{
            "MissingCommonField",
            R"({"event_id":1,"execution_id":1,"timestamp_ms":1,"duroxide_version":"v","type":"KeyValuesCleared"})",
            "missing required field 'instance_id'"},
        BadEventCase{"UnknownErrorVariant", kBadDetails.c_str(), "unknown ErrorDetails variant 'Bogus'"},
        BadEventCase{"UnknownAppErrorKind", kBadAppKind.c_str(), "unknown AppErrorKind 'Nope'"},
        BadEventCase{"BadCarryForwardEntry", kBadCarry.c_str(), "[name, data] pair"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(UnitWireEvent, BadHistoryNamesTheFailingIndex) {
  auto parsed = parse_history(
      R"([{"event_id":1,"instance_id":"i","execution_id":1,"timestamp_ms":1,"duroxide_version":"v","type":"KeyValuesCleared"},{"event_id":2}])");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().find("event index 1"), std::string::npos) << parsed.error();
  auto not_array = parse_history(R"({"a":1})");
  ASSERT_FALSE(not_array.has_value());
  EXPECT_NE(not_array.error().find("expected an array"), std::string::npos) << not_array.error();
}

TEST(UnitWireEvent, InvalidUtf8InputIsRejectedNotCrashing) {
  std::string json = std::string("{") + kCommon + R"(,"type":"ExternalSubscribed","name":")" + "\xff\xfe" + "\"}";
  auto parsed = parse_event(json);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().find("malformed JSON"), std::string::npos) << parsed.error();
}

TEST(UnitWireEvent, SerializingInvalidUtf8ReplacesInsteadOfThrowing) {
  const Event e = ev(1, {}, events::ExternalSubscribed{std::string("bad\xff")});
  std::string json;
  ASSERT_NO_THROW(json = serialize_event(e));
  auto parsed = parse_event(json);
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(parsed->get_if<events::ExternalSubscribed>()->name, "bad\xEF\xBF\xBD");
}
