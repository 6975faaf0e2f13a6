// Validation categories Deletion, Pruning and Bulk deletion (docs/storage.md).
#include "provider/validation/validation_helpers.hpp"
#include "provider/validation/validation_suites.hpp"

namespace duroxide::validation {
namespace {

/// A child instance of `parent` created by its first ack (the parent link is set then).
void create_child(Provider& p, const std::string& parent, const std::string& child, Millis lock) {
  must(p.enqueue_for_orchestrator(work_items::StartOrchestration{child, "ChildOrch", "{}", "1.0.0", parent, 2, 1},
                                  std::nullopt),
       "enqueue child");
  auto item = must_fetch_orchestration(p, lock);
  if (item.item.instance != child) throw std::runtime_error("fetched " + item.item.instance + " instead of " + child);
  ExecutionMetadata metadata = instance_metadata("ChildOrch");
  metadata.parent_instance_id = parent;
  must(p.ack_orchestration_item(item.lock_token, make_ack(1, {started_event(child, 1, 1, "ChildOrch")}, metadata)),
       "ack child");
}

void fail_instance(Provider& p, const std::string& instance, Millis lock, ErrorDetails details) {
  auto item = poke(p, instance, lock);
  const auto id = next_event_id(p, instance);
  must(p.ack_orchestration_item(
           item.lock_token,
           make_ack(1, {make_event(id, std::nullopt, instance, 1, events::OrchestrationFailed{details})},
                    status_metadata("Failed", details.display_message()))),
       "ack failure");
}

bool gone(Provider& p, const std::string& instance) { return !admin(p).get_instance_info(instance).has_value(); }

/// An instance with `n` executions (continue-as-new n-1 times); the last is Running unless `complete`.
void multi_execution_instance(Provider& p, const std::string& instance, Millis lock, int n, bool complete) {
  create_instance(p, instance, lock);
  for (std::uint64_t e = 1; e < static_cast<std::uint64_t>(n); ++e) {
    auto item = poke(p, instance, lock);
    must(p.ack_orchestration_item(item.lock_token,
                                  make_ack(e, {continued_as_new_event(instance, e, next_event_id(p, instance))},
                                           status_metadata("ContinuedAsNew"))),
         "can");
    must(p.enqueue_for_orchestrator(continue_as_new_item(instance), std::nullopt), "enqueue can");
    auto next = must_fetch_orchestration(p, lock);
    must(p.ack_orchestration_item(next.lock_token,
                                  make_ack(e + 1, {started_event(instance, e + 1)}, instance_metadata())),
         "next");
  }
  if (complete) complete_instance(p, instance, lock);
}

// ---- deletion ----

TEST_P(ProviderDeletion, DeleteTerminalInstances) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  create_instance(*p, "done", lock);
  complete_instance(*p, "done", lock);
  create_instance(*p, "failed", lock);
  fail_instance(*p, "failed", lock, ErrorDetails::orchestration_failed("boom"));
  create_instance(*p, "cancelled", lock);
  fail_instance(*p, "cancelled", lock, error::Application{AppErrorKind::cancelled("stop"), "", false});
  for (const char* id : {"done", "failed", "cancelled"}) {
    const auto deleted = must(admin(*p).delete_instance(id, false), id);
    EXPECT_GE(deleted.instances_deleted, 1u);
    EXPECT_GE(deleted.executions_deleted, 1u);
    EXPECT_GE(deleted.events_deleted, 1u);
    EXPECT_TRUE(gone(*p, id));
  }
}

TEST_P(ProviderDeletion, DeleteRunningRejectedForceSucceeds) {
  auto p = create_provider();
  create_instance(*p, "running", factory().lock_timeout());
  auto error = must_fail(admin(*p).delete_instance("running", false), "delete");
  EXPECT_FALSE(error.is_retryable());
  EXPECT_NE(error.message.find("running"), std::string::npos) << error.message;
  EXPECT_FALSE(gone(*p, "running"));
  must(admin(*p).delete_instance("running", true), "force delete");
  EXPECT_TRUE(gone(*p, "running"));
}

TEST_P(ProviderDeletion, DeleteNonexistentInstance) {
  auto p = create_provider();
  auto error = must_fail(admin(*p).delete_instance("nobody", false), "delete");
  EXPECT_FALSE(error.is_retryable());
  EXPECT_NE(error.message.find("not found"), std::string::npos) << error.message;
}

TEST_P(ProviderDeletion, DeleteCleansQueuesAndLocks) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, lock);
  OrchestrationAck ack =
      make_ack(1, {started_event("inst"), activity_scheduled_event("inst", 1, 2)}, instance_metadata());
  ack.worker_items.push_back(activity_execute_item("inst", 1, 2));
  must(p->ack_orchestration_item(item.lock_token, ack), "ack");
  complete_instance(*p, "inst", lock);
  const auto deleted = must(admin(*p).delete_instance("inst", false), "delete");
  EXPECT_GE(deleted.queue_messages_deleted, 1u);
  create_instance(*p, "inst", lock, "NewOrch", "9.0.0");
  EXPECT_EQ(must(admin(*p).get_instance_info("inst"), "info").orchestration_name, "NewOrch");
}

TEST_P(ProviderDeletion, CascadeDeleteHierarchy) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  create_instance(*p, "root", lock);
  create_child(*p, "root", "root::sub::2", lock);
  create_child(*p, "root", "root::sub::3", lock);
  create_child(*p, "root::sub::2", "root::sub::2::sub::2", lock);
  for (const char* id : {"root::sub::2", "root::sub::2::sub::2"}) {
    for (bool force : {false, true}) {
      auto error = must_fail(admin(*p).delete_instance(id, force), id);
      EXPECT_NE(error.message.find("sub-orchestration"), std::string::npos) << error.message;
      EXPECT_EQ(error.kind, ProviderErrorKind::CannotDeleteSubOrchestration) << to_string(error.kind);
    }
  }
  const auto deleted = must(admin(*p).delete_instance("root", true), "delete root");
  EXPECT_EQ(deleted.instances_deleted, 4u);
  EXPECT_GE(deleted.executions_deleted, 4u);
  for (const char* id : {"root", "root::sub::2", "root::sub::3", "root::sub::2::sub::2"})
    EXPECT_TRUE(gone(*p, id)) << id;
}

TEST_P(ProviderDeletion, ForceDeletePreventsAckRecreation) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  create_instance(*p, "inst", lock);
  auto item = poke(*p, "inst", lock);
  must(admin(*p).delete_instance("inst", true), "force delete");
  must_fail(
      p->ack_orchestration_item(item.lock_token, make_ack(1, {external_event("inst", 1, 2)}, instance_metadata())),
      "ack after delete");
  EXPECT_TRUE(gone(*p, "inst"));
  EXPECT_TRUE(must(p->read("inst"), "read").empty());
}

TEST_P(ProviderDeletion, ListChildren) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  create_instance(*p, "root", lock);
  create_child(*p, "root", "root::sub::2", lock);
  create_child(*p, "root::sub::2", "root::sub::2::sub::2", lock);
  EXPECT_EQ(must(admin(*p).list_children("root"), "children"), std::vector<std::string>{"root::sub::2"});
  EXPECT_TRUE(must(admin(*p).list_children("root::sub::2::sub::2"), "leaf").empty());
  EXPECT_TRUE(must(admin(*p).list_children("nobody"), "unknown").empty());
}

TEST_P(ProviderDeletion, DeleteGetParentId) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  create_instance(*p, "root", lock);
  create_child(*p, "root", "root::sub::2", lock);
  EXPECT_EQ(must(admin(*p).get_parent_id("root"), "root"), std::nullopt);
  EXPECT_EQ(must(admin(*p).get_parent_id("root::sub::2"), "child"), "root");
  must_fail(admin(*p).get_parent_id("nobody"), "unknown");
}

TEST_P(ProviderDeletion, DeleteGetInstanceTree) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  create_instance(*p, "root", lock);
  create_child(*p, "root", "root::sub::2", lock);
  create_child(*p, "root", "root::sub::3", lock);
  create_child(*p, "root::sub::2", "root::sub::2::sub::2", lock);
  const auto tree = must(admin(*p).get_instance_tree("root"), "tree");
  EXPECT_EQ(tree.size(), 4u);
  EXPECT_FALSE(tree.is_root_only());
  EXPECT_EQ(must(admin(*p).get_instance_tree("root::sub::3"), "leaf").size(), 1u);
}

TEST_P(ProviderDeletion, DeleteInstancesAtomic) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  for (const char* id : {"a", "b", "c"}) {
    create_instance(*p, id, lock);
    complete_instance(*p, id, lock);
  }
  const auto deleted = must(admin(*p).delete_instances_atomic({"a", "b", "c"}, false), "delete");
  EXPECT_EQ(deleted.instances_deleted, 3u);
  EXPECT_GE(deleted.executions_deleted, 3u);
  for (const char* id : {"a", "b", "c"}) EXPECT_TRUE(gone(*p, id));
}

TEST_P(ProviderDeletion, DeleteInstancesAtomicForce) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  create_instance(*p, "done", lock);
  complete_instance(*p, "done", lock);
  create_instance(*p, "running", lock);
  must_fail(admin(*p).delete_instances_atomic({"done", "running"}, false), "delete");
  EXPECT_FALSE(gone(*p, "done"));
  EXPECT_FALSE(gone(*p, "running"));
  must(admin(*p).delete_instances_atomic({"done", "running"}, true), "force");
  EXPECT_TRUE(gone(*p, "done"));
  EXPECT_TRUE(gone(*p, "running"));
}

TEST_P(ProviderDeletion, DeleteInstancesAtomicOrphanDetection) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  create_instance(*p, "parent", lock);
  create_child(*p, "parent", "parent::sub::2", lock);
  auto error = must_fail(admin(*p).delete_instances_atomic({"parent"}, true), "delete parent only");
  EXPECT_NE(error.message.find("child"), std::string::npos) << error.message;
  EXPECT_FALSE(gone(*p, "parent"));
  must(admin(*p).delete_instances_atomic({"parent", "parent::sub::2"}, true), "delete tree");
  EXPECT_TRUE(gone(*p, "parent"));
}

TEST_P(ProviderDeletion, StaleActivityAfterDeleteRecreate) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, lock);
  OrchestrationAck ack =
      make_ack(1, {started_event("inst"), activity_scheduled_event("inst", 1, 2)}, instance_metadata());
  ack.worker_items.push_back(activity_execute_item("inst", 1, 2));
  must(p->ack_orchestration_item(item.lock_token, ack), "ack");
  auto stale = must_fetch_work(*p, lock);
  must(admin(*p).delete_instance("inst", true), "force delete");
  create_instance(*p, "inst", lock);
  must_fail(p->ack_work_item(stale.lock_token, activity_completed_item("inst", 1, 2)), "stale ack");
  auto batch = poke(*p, "inst", lock);
  for (const auto& message : batch.item.messages) {
    EXPECT_FALSE(std::holds_alternative<work_items::ActivityCompleted>(message)) << "stale completion delivered";
  }
}

// ---- pruning ----

TEST_P(ProviderPruning, PruneOptionsCombinations) {
  auto p = create_provider();
  multi_execution_instance(*p, "inst", factory().lock_timeout(), 4, true);
  PruneOptions keep2;
  keep2.keep_last = 2;
  must(admin(*p).prune_executions("inst", keep2), "prune keep 2");
  EXPECT_EQ(must(admin(*p).list_executions("inst"), "list"), (std::vector<std::uint64_t>{3, 4}));
  must(admin(*p).prune_executions("inst", PruneOptions{}), "prune all");
  EXPECT_EQ(must(admin(*p).list_executions("inst"), "list"), std::vector<std::uint64_t>{4});
}

TEST_P(ProviderPruning, PruneSafety) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  multi_execution_instance(*p, "running", lock, 2, false);
  PruneOptions keep0;
  keep0.keep_last = 0;
  must(admin(*p).prune_executions("running", keep0), "prune");
  EXPECT_EQ(must(admin(*p).list_executions("running"), "list"), std::vector<std::uint64_t>{2});
  must_fail(admin(*p).prune_executions("nobody", PruneOptions{}), "unknown");
  for (std::optional<std::size_t> keep :
       {std::optional<std::size_t>{}, std::optional<std::size_t>{0}, std::optional<std::size_t>{1}}) {
    const std::string id = "done-" + std::to_string(keep.value_or(99));
    multi_execution_instance(*p, id, lock, 4, true);
    PruneOptions options;
    options.keep_last = keep;
    const auto pruned = must(admin(*p).prune_executions(id, options), "prune");
    EXPECT_GE(pruned.executions_deleted, 3u);
    EXPECT_EQ(must(admin(*p).list_executions(id), "list"), std::vector<std::uint64_t>{4});
  }
}

TEST_P(ProviderPruning, PruneBulk) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  for (const char* id : {"a", "b", "c"}) multi_execution_instance(*p, id, lock, 4, true);
  InstanceFilter filter;
  filter.instance_ids = std::vector<std::string>{"a", "b"};
  PruneOptions keep1;
  keep1.keep_last = 1;
  const auto pruned = must(admin(*p).prune_executions_bulk(filter, keep1), "bulk");
  EXPECT_EQ(pruned.instances_processed, 2u);
  EXPECT_GE(pruned.executions_deleted, 4u);
  EXPECT_EQ(must(admin(*p).list_executions("a"), "a").size(), 1u);
  EXPECT_EQ(must(admin(*p).list_executions("b"), "b").size(), 1u);
  EXPECT_EQ(must(admin(*p).list_executions("c"), "c").size(), 4u);
}

TEST_P(ProviderPruning, PruneBulkIncludesRunningInstances) {
  auto p = create_provider();
  multi_execution_instance(*p, "running", factory().lock_timeout(), 3, false);
  PruneOptions keep1;
  keep1.keep_last = 1;
  const auto pruned = must(admin(*p).prune_executions_bulk(InstanceFilter{}, keep1), "bulk");
  EXPECT_EQ(pruned.instances_processed, 1u);
  EXPECT_EQ(pruned.executions_deleted, 2u);
  EXPECT_EQ(must(admin(*p).list_executions("running"), "list"), std::vector<std::uint64_t>{3});
  EXPECT_EQ(must(admin(*p).get_instance_info("running"), "info").status, ExecutionStatus::Running);
}

// ---- bulk deletion ----

TEST_P(ProviderBulkDeletion, DeleteInstanceBulkFilterCombinations) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  for (const char* id : {"a", "b", "c", "d"}) {
    create_instance(*p, id, lock);
    complete_instance(*p, id, lock);
  }
  InstanceFilter by_ids;
  by_ids.instance_ids = std::vector<std::string>{"a", "b"};
  EXPECT_EQ(must(admin(*p).delete_instance_bulk(by_ids), "by ids").instances_deleted, 2u);
  InstanceFilter unknown;
  unknown.instance_ids = std::vector<std::string>{"x", "y"};
  EXPECT_EQ(must(admin(*p).delete_instance_bulk(unknown), "unknown").instances_deleted, 0u);
  EXPECT_EQ(must(admin(*p).delete_instance_bulk(InstanceFilter{}), "all").instances_deleted, 2u);
}

TEST_P(ProviderBulkDeletion, DeleteInstanceBulkSafetyAndLimits) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  for (const char* id : {"r1", "r2"}) create_instance(*p, id, lock);
  for (const char* id : {"c1", "c2"}) {
    create_instance(*p, id, lock);
    complete_instance(*p, id, lock);
  }
  InstanceFilter mixed;
  mixed.instance_ids = std::vector<std::string>{"r1", "r2", "c1", "c2"};
  EXPECT_EQ(must(admin(*p).delete_instance_bulk(mixed), "mixed").instances_deleted, 2u);
  for (int i = 0; i < 4; ++i) {
    const auto id = "l" + std::to_string(i);
    create_instance(*p, id, lock);
    complete_instance(*p, id, lock);
  }
  InstanceFilter limited;
  limited.limit = 2;
  EXPECT_EQ(must(admin(*p).delete_instance_bulk(limited), "1").instances_deleted, 2u);
  EXPECT_EQ(must(admin(*p).delete_instance_bulk(limited), "2").instances_deleted, 2u);
  EXPECT_EQ(must(admin(*p).delete_instance_bulk(limited), "3").instances_deleted, 0u);
}

TEST_P(ProviderBulkDeletion, DeleteInstanceBulkCompletedBeforeFilter) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  const auto before_completion = now_ms();
  wait_past(5ms, 5ms);
  for (const char* id : {"a", "b"}) {
    create_instance(*p, id, lock);
    complete_instance(*p, id, lock);
  }
  wait_past(5ms, 5ms);
  InstanceFilter early;
  early.completed_before_ms = before_completion;
  EXPECT_EQ(must(admin(*p).delete_instance_bulk(early), "early").instances_deleted, 0u);
  InstanceFilter late;
  late.completed_before_ms = now_ms();
  EXPECT_EQ(must(admin(*p).delete_instance_bulk(late), "late").instances_deleted, 2u);
}

TEST_P(ProviderBulkDeletion, DeleteInstanceBulkCascadesToChildren) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  create_instance(*p, "r1", lock);
  create_child(*p, "r1", "r1::sub::2", lock);
  create_instance(*p, "r2", lock);
  for (int i = 2; i <= 4; ++i) create_child(*p, "r2", "r2::sub::" + std::to_string(i), lock);
  create_instance(*p, "r3", lock);
  for (const char* root : {"r1", "r2", "r3"}) complete_instance(*p, root, lock);
  EXPECT_EQ(must(admin(*p).delete_instance_bulk(InstanceFilter{}), "bulk").instances_deleted, 7u);
  EXPECT_TRUE(must(admin(*p).list_instances(), "list").empty());
}

}  // namespace
}  // namespace duroxide::validation
