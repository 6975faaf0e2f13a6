// WorkItem wire format: every variant round trips, duroxide's texts reproduce byte for byte,
// routing and names, and bad input.
#include <gtest/gtest.h>

#include <duroxide/wire.hpp>

using namespace duroxide;

namespace {
std::vector<WorkItem> every_work_item() {
  using namespace work_items;
  return {
      StartOrchestration{"p::sub::2", "Child", "x", "2.0.0", "p", 2, 1, 1},
      ActivityExecute{"order-1", 1, 2, "Charge", "in", "s-9", "gpu"},
      ActivityCompleted{"order-1", 1, 2, "ok"},
      ActivityFailed{"order-1", 1, 2, ErrorDetails::activity_failed("card declined")},
      TimerFired{"order-1", 1, 3, 1700000030004},
      ExternalRaised{"order-1", "approve", "yes"},
      SubOrchCompleted{"p", 1, 2, "ok"},
      SubOrchFailed{"p", 1, 2, ErrorDetails::orchestration_failed("child failed")},
      CancelInstance{"order-1", "user"},
      ContinueAsNew{"loop-1", "Loop", "42", "2.0.0", {{"inbox", "m7"}}, "step 3"},
      QueueMessage{"order-1", "inbox", "m1"},
      TerminateInstance{"order-1", "operator", false},
      SuspendInstance{"order-1", "maintenance"},
      ResumeInstance{"order-1", "maintenance over"},
      RewindInstance{"order-1", "bug 1234 fixed"},
  };
}
}  // namespace

TEST(UnitWireWorkItem, EveryVariantRoundTripsThroughJson) {
  const auto items = every_work_item();
  ASSERT_EQ(items.size(), std::variant_size_v<WorkItem>) << "one sample per work item kind";
  for (const auto& item : items) {
    const std::string json = serialize_work_item(item);
    auto parsed = parse_work_item(json);
    ASSERT_TRUE(parsed.has_value()) << work_item_type_name(item) << ": " << parsed.error();
    EXPECT_EQ(*parsed, item) << json;
    EXPECT_EQ(json.rfind(std::string("{\"") + std::string(work_item_type_name(item)) + "\":", 0), 0u)
        << "externally tagged by the variant name: " << json;
  }
}

TEST(UnitWireWorkItem, OptionalFieldsAbsentRoundTrip) {
  using namespace work_items;
  const std::vector<WorkItem> items = {
      StartOrchestration{"i", "O", "", std::nullopt, std::nullopt, std::nullopt, 1},
      ActivityExecute{"i", 1, 2, "A", "", std::nullopt, std::nullopt},
      ContinueAsNew{"i", "O", "", std::nullopt, {}, std::nullopt},
  };
  for (const auto& item : items) {
    auto parsed = parse_work_item(serialize_work_item(item));
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    EXPECT_EQ(*parsed, item);
  }
}

// duroxide 0.1.30 puts parent_execution_id between parent_id and execution_id on a child's start
// item and leaves it out otherwise; both shapes must survive a round trip unchanged.
TEST(UnitWireWorkItem, ChildStartFromDuroxide030KeepsParentExecutionIdByteForByte) {
  const std::string with =
      R"({"StartOrchestration":{"instance":"parent-1::sub::2","orchestration":"Child","input":"child-input","version":"1.0.0","parent_instance":"parent-1","parent_id":2,"parent_execution_id":3,"execution_id":1}})";
  auto parsed = parse_work_item(with);
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  const auto& start = std::get<work_items::StartOrchestration>(*parsed);
  EXPECT_EQ(start.parent_execution_id, 3u);
  EXPECT_EQ(start.execution_id, 1u);
  EXPECT_EQ(serialize_work_item(*parsed), with);
}

TEST(UnitWireWorkItem, StartWithoutParentExecutionIdStaysWithoutIt) {
  const std::string without =
      R"({"StartOrchestration":{"instance":"parent-1::sub::2","orchestration":"Child","input":"child-input","version":"1.0.0","parent_instance":"parent-1","parent_id":2,"execution_id":1}})";
  auto parsed = parse_work_item(without);
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(std::get<work_items::StartOrchestration>(*parsed).parent_execution_id, std::nullopt);
  EXPECT_EQ(serialize_work_item(*parsed), without);
}

TEST(UnitWireWorkItem, SpecExamplesReproduceByteForByte) {
  const char* lines[] = {
      R"({"StartOrchestration":{"instance":"p::sub::2","orchestration":"Child","input":"x","version":null,"parent_instance":"p","parent_id":2,"execution_id":1}})",
      R"({"ActivityExecute":{"instance":"order-1","execution_id":1,"id":2,"name":"Charge","input":"{\"qty\":2}","session_id":"s-9"}})",
      R"({"ActivityFailed":{"instance":"order-1","execution_id":1,"id":2,"details":{"Application":{"kind":"ActivityFailed","message":"card declined","retryable":false}}}})",
      R"({"TimerFired":{"instance":"order-1","execution_id":1,"id":3,"fire_at_ms":1700000030004}})",
      R"({"SubOrchCompleted":{"parent_instance":"p","parent_execution_id":1,"parent_id":2,"result":"ok"}})",
      R"({"ContinueAsNew":{"instance":"loop-1","orchestration":"Loop","input":"42","version":null,"carry_forward_events":[["inbox","m7"]],"initial_custom_status":"step 3"}})",
      R"({"CancelInstance":{"instance":"order-1","reason":"user"}})",
  };
  for (const char* line : lines) {
    auto parsed = parse_work_item(line);
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    EXPECT_EQ(serialize_work_item(*parsed), line);
  }
}

TEST(UnitWireWorkItem, TerminateInstanceIsWrittenWithItsReasonAndWhetherChildrenGoToo) {
  // Our extension (docs/terminate.md); `recursive` is always written, so a reader never guesses.
  EXPECT_EQ(serialize_work_item(work_items::TerminateInstance{"order-1", "operator", true}),
            R"({"TerminateInstance":{"instance":"order-1","reason":"operator","recursive":true}})");
  auto parsed = parse_work_item(R"({"TerminateInstance":{"instance":"order-1","reason":"r"}})");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().find("recursive"), std::string::npos) << parsed.error();
}

TEST(UnitWireWorkItem, ContinueAsNewAlwaysWritesCarryForwardAndDefaultsItToEmpty) {
  const WorkItem item = work_items::ContinueAsNew{"i", "O", "in", std::nullopt, {}, std::nullopt};
  const std::string json = serialize_work_item(item);
  EXPECT_NE(json.find(R"("carry_forward_events":[])"), std::string::npos) << json;
  EXPECT_EQ(json.find("initial_custom_status"), std::string::npos) << json;
  auto parsed = parse_work_item(R"({"ContinueAsNew":{"instance":"i","orchestration":"O","input":"in"}})");
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  const auto& can = std::get<work_items::ContinueAsNew>(*parsed);
  EXPECT_TRUE(can.carry_forward_events.empty());
  EXPECT_FALSE(can.version.has_value());
}

TEST(UnitWireWorkItem, RoutingInstanceIsParentForSubOrchestrationOutcomes) {
  const std::vector<std::string> expected = {"p::sub::2", "order-1", "order-1", "order-1", "order-1",
                                             "order-1",   "p",       "p",       "order-1", "loop-1",
                                             "order-1",   "order-1", "order-1", "order-1", "order-1"};
  const auto items = every_work_item();
  ASSERT_EQ(items.size(), expected.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(work_item_instance(items[i]), expected[i]) << work_item_type_name(items[i]);
  }
}

TEST(UnitWireWorkItem, OnlyActivityExecuteGoesToTheWorkerQueue) {
  for (const auto& item : every_work_item()) {
    EXPECT_EQ(is_worker_item(item), std::holds_alternative<work_items::ActivityExecute>(item))
        << work_item_type_name(item);
  }
}

TEST(UnitWireWorkItem, LogNameOfQueueMessageIsExternalRaisedPersistent) {
  EXPECT_EQ(work_item_log_name(work_items::QueueMessage{"i", "q", "d"}), "ExternalRaisedPersistent");
  EXPECT_EQ(work_item_type_name(work_items::QueueMessage{"i", "q", "d"}), "QueueMessage");
  EXPECT_EQ(work_item_log_name(work_items::CancelInstance{"i", "r"}), "CancelInstance");
}

struct BadWorkItemCase {
  const char* name;
  const char* json;
  const char* expected_fragment;
};

class UnitWireWorkItemBadInput : public ::testing::TestWithParam<BadWorkItemCase> {};

TEST_P(UnitWireWorkItemBadInput, GivesAClearErrorNamingTheProblem) {
  const auto& c = GetParam();
  Result<WorkItem> parsed = Err("not run");
  ASSERT_NO_THROW(parsed = parse_work_item(c.json));
  ASSERT_FALSE(parsed.has_value()) << c.json;
  EXPECT_NE(parsed.error().find(c.expected_fragment), std::string::npos)
      << "error was: " << parsed.error() << "\nexpected to contain: " << c.expected_fragment;
  EXPECT_EQ(parsed.error().rfind("invalid WorkItem JSON: ", 0), 0u) << parsed.error();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, UnitWireWorkItemBadInput,
    ::testing::Values(
        BadWorkItemCase{"Malformed", R"({"CancelInstance":)", "malformed JSON"},
        BadWorkItemCase{"UnknownVariant", R"({"ExternalRaised2":{"instance":"i"}})",
                        "unknown work item type 'ExternalRaised2'"},
        BadWorkItemCase{"TwoKeys", R"({"CancelInstance":{},"QueueMessage":{}})", "exactly one key"},
        BadWorkItemCase{"NotAnObject", R"("CancelInstance")", "exactly one key naming the variant, got string"},
        BadWorkItemCase{"BodyNotObject", R"({"CancelInstance":[]})", "CancelInstance must be a JSON object, got array"},
        BadWorkItemCase{"MissingField", R"({"CancelInstance":{"instance":"i"}})",
                        "missing required field 'reason' in CancelInstance"},
        BadWorkItemCase{"WrongType", R"({"TimerFired":{"instance":"i","execution_id":"1","id":3,"fire_at_ms":4}})",
                        "field 'execution_id' of TimerFired must be an unsigned integer, got string"},
        BadWorkItemCase{
            "BadCarryForward",
            R"({"ContinueAsNew":{"instance":"i","orchestration":"O","input":"","carry_forward_events":{}}})",
            "must be an array, got object"},
        BadWorkItemCase{
            "BadNestedDetails",
            R"({"SubOrchFailed":{"parent_instance":"p","parent_execution_id":1,"parent_id":2,"details":"oops"}})",
            "ErrorDetails in SubOrchFailed must be an object with exactly one key"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });
