// Validation categories Error handling and Instance creation (docs/storage.md, "The validation suite").
#include "provider/validation/validation_helpers.hpp"
#include "provider/validation/validation_suites.hpp"

namespace duroxide::validation {
namespace {

// ---- error handling ----

TEST_P(ProviderErrorHandling, InvalidLockTokenOnAck) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  (void)must_fetch_orchestration(*p, factory().lock_timeout());
  auto error = must_fail(p->ack_orchestration_item("not-a-token", make_ack(1, {started_event("inst")})), "ack");
  EXPECT_TRUE(error.message.find("Invalid lock token") != std::string::npos ||
              error.message.find("lock_token") != std::string::npos)
      << error.message;
}

TEST_P(ProviderErrorHandling, DuplicateEventIdRejection) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  auto item = poke(*p, "inst", factory().lock_timeout());
  must_fail(p->ack_orchestration_item(item.lock_token, make_ack(1, {started_event("inst")})), "duplicate");
  const auto history = must(p->read("inst"), "read");
  ASSERT_EQ(history.size(), 1u);
  EXPECT_TRUE(history.front().is<events::OrchestrationStarted>());
}

TEST_P(ProviderErrorHandling, MissingInstanceMetadata) {
  auto p = create_provider();
  EXPECT_TRUE(must(p->read("nobody"), "read").empty());
}

TEST_P(ProviderErrorHandling, CorruptedSerializationData) {
  auto p = create_provider();
  EXPECT_FALSE(fetch_orchestration(*p, factory().lock_timeout()).has_value());
}

TEST_P(ProviderErrorHandling, LockExpirationDuringAck) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  wait_past(factory().lock_timeout());
  must_fail(p->ack_orchestration_item(item.lock_token, make_ack(1, {started_event("inst")}, instance_metadata())),
            "ack");
}

TEST_P(ProviderErrorHandling, ReadCorruptedHistoryReturnsError) {
  if (!factory().supports_corruption_hooks()) GTEST_SKIP() << "needs corruption hooks";
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  EXPECT_EQ(must(p->read("inst"), "read before").size(), 1u);
  factory().corrupt_instance_history(*p, "inst");
  EXPECT_FALSE(p->read("inst").has_value());
}

TEST_P(ProviderErrorHandling, ReadWithExecutionCorruptedHistoryReturnsError) {
  if (!factory().supports_corruption_hooks()) GTEST_SKIP() << "needs corruption hooks";
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  EXPECT_EQ(must(p->read_with_execution("inst", 1), "read before").size(), 1u);
  factory().corrupt_instance_history(*p, "inst");
  EXPECT_FALSE(p->read_with_execution("inst", 1).has_value());
}

// ---- instance creation ----

TEST_P(ProviderInstanceCreation, InstanceCreationViaMetadata) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst", "CreateOrch"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  EXPECT_EQ(item.item.orchestration_name, "CreateOrch");
  EXPECT_EQ(item.item.execution_id, 1u);
  EXPECT_TRUE(item.item.history.empty());
  must(p->ack_orchestration_item(item.lock_token, make_ack(1, {started_event("inst", 1, 1, "CreateOrch", "2.0.0")},
                                                           instance_metadata("CreateOrch", "2.0.0"))),
       "ack");
  auto next = poke(*p, "inst", factory().lock_timeout());
  EXPECT_EQ(next.item.version, "2.0.0");
  EXPECT_EQ(next.item.history.size(), 1u);
}

TEST_P(ProviderInstanceCreation, NoInstanceCreationOnEnqueue) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  EXPECT_FALSE(admin(*p).get_instance_info("inst").has_value());
  EXPECT_EQ(must_fetch_orchestration(*p, factory().lock_timeout()).item.instance, "inst");
}

TEST_P(ProviderInstanceCreation, NullVersionHandling) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst", "TestOrch", std::nullopt), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  must(p->ack_orchestration_item(item.lock_token, make_ack(1, {started_event("inst", 1, 1, "TestOrch", "3.0.0")},
                                                           instance_metadata("TestOrch", "3.0.0"))),
       "ack");
  EXPECT_EQ(poke(*p, "inst", factory().lock_timeout()).item.version, "3.0.0");
}

TEST_P(ProviderInstanceCreation, SubOrchestrationInstanceCreation) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("parent", "ParentOrch"), std::nullopt), "enqueue");
  auto parent = must_fetch_orchestration(*p, factory().lock_timeout());
  OrchestrationAck ack = make_ack(1, {started_event("parent", 1, 1, "ParentOrch")}, instance_metadata("ParentOrch"));
  ack.orchestrator_items.push_back(
      work_items::StartOrchestration{"parent::sub::2", "ChildOrch", "{}", std::nullopt, "parent", 2, 1});
  must(p->ack_orchestration_item(parent.lock_token, ack), "ack parent");
  auto child = must_fetch_orchestration(*p, factory().lock_timeout());
  EXPECT_EQ(child.item.instance, "parent::sub::2");
  EXPECT_EQ(child.item.orchestration_name, "ChildOrch");
  ExecutionMetadata metadata = instance_metadata("ChildOrch", "1.5.0");
  metadata.parent_instance_id = "parent";
  must(p->ack_orchestration_item(child.lock_token,
                                 make_ack(1, {started_event("parent::sub::2", 1, 1, "ChildOrch", "1.5.0")}, metadata)),
       "ack child");
  EXPECT_EQ(poke(*p, "parent::sub::2", factory().lock_timeout()).item.version, "1.5.0");
}

}  // namespace
}  // namespace duroxide::validation
