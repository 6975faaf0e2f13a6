// Validation category Management (docs/storage.md): listings, info, metrics, queue depths and per-instance stats.
#include "provider/validation/validation_helpers.hpp"
#include "provider/validation/validation_suites.hpp"

namespace duroxide::validation {
namespace {

bool contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

/// One turn of `instance` recording `delta` (ids assigned in order) with optional metadata.
void turn(Provider& p, const std::string& instance, Millis lock, std::vector<Event> delta,
          ExecutionMetadata meta = {}) {
  auto item = poke(p, instance, lock);
  auto id = next_event_id(p, instance);
  for (auto& e : delta) e.event_id = id++;
  must(p.ack_orchestration_item(item.lock_token, make_ack(item.item.execution_id, std::move(delta), meta)), "ack");
}

TEST_P(ProviderManagement, ListInstances) {
  auto p = create_provider();
  for (const char* id : {"a", "b", "c"}) create_instance(*p, id, factory().lock_timeout());
  const auto ids = must(admin(*p).list_instances(), "list");
  for (const char* id : {"a", "b", "c"}) EXPECT_TRUE(contains(ids, id)) << id;
}

TEST_P(ProviderManagement, ListInstancesByStatus) {
  auto p = create_provider();
  create_instance(*p, "done", factory().lock_timeout());
  complete_instance(*p, "done", factory().lock_timeout());
  EXPECT_TRUE(contains(must(admin(*p).list_instances_by_status(ExecutionStatus::Completed), "list"), "done"));
  EXPECT_FALSE(contains(must(admin(*p).list_instances_by_status(ExecutionStatus::Running), "list"), "done"));
}

TEST_P(ProviderManagement, ListExecutions) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  const auto executions = must(admin(*p).list_executions("inst"), "list");
  EXPECT_NE(std::find(executions.begin(), executions.end(), 1u), executions.end());
}

TEST_P(ProviderManagement, GetInstanceInfo) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout(), "InfoOrch", "2.0.0");
  const auto info = must(admin(*p).get_instance_info("inst"), "info");
  EXPECT_EQ(info.instance_id, "inst");
  EXPECT_EQ(info.orchestration_name, "InfoOrch");
  EXPECT_EQ(info.orchestration_version, "2.0.0");
  EXPECT_EQ(info.current_execution_id, 1u);
}

TEST_P(ProviderManagement, GetExecutionInfo) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  // Acked without name/version: only the execution row exists.
  must(p->ack_orchestration_item(item.lock_token,
                                 make_ack(1, {started_event("inst"), completed_event("inst", 1, 2, "result")},
                                          status_metadata("Completed", "result"))),
       "ack");
  const auto info = must(admin(*p).get_execution_info("inst", 1), "execution info");
  EXPECT_EQ(info.status, ExecutionStatus::Completed);
  EXPECT_EQ(info.output, "result");
  EXPECT_EQ(info.event_count, 2u);
}

TEST_P(ProviderManagement, GetSystemMetrics) {
  auto p = create_provider();
  const auto before = must(admin(*p).get_system_metrics(), "metrics");
  create_instance(*p, "inst", factory().lock_timeout());
  const auto after = must(admin(*p).get_system_metrics(), "metrics");
  EXPECT_EQ(after.total_instances, before.total_instances + 1);
  EXPECT_GT(after.total_events, 0u);
}

TEST_P(ProviderManagement, GetQueueDepths) {
  auto p = create_provider();
  const auto before = must(admin(*p).get_queue_depths(), "depths");
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  EXPECT_EQ(must(admin(*p).get_queue_depths(), "depths").orchestrator_queue, before.orchestrator_queue + 1);
}

TEST_P(ProviderManagement, GetInstanceStatsNonexistent) {
  auto p = create_provider();
  EXPECT_FALSE(must(p->get_instance_stats("nobody"), "stats").has_value());
}

TEST_P(ProviderManagement, GetInstanceStatsHistory) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  const auto stats = must(p->get_instance_stats("inst"), "stats").value();
  EXPECT_GE(stats.history_event_count, 1u);
  EXPECT_GT(stats.history_size_bytes, 0u);
  EXPECT_EQ(stats.kv_user_key_count, 0u);
  EXPECT_EQ(stats.kv_total_value_bytes, 0u);
  EXPECT_EQ(stats.queue_pending_count, 0u);
}

TEST_P(ProviderManagement, GetInstanceStatsKv) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  turn(*p, "inst", factory().lock_timeout(),
       {kv_set_event("inst", 1, 0, "k1", "aaa"), kv_set_event("inst", 1, 0, "k2", "bbbbb"),
        completed_event("inst", 1, 0)},
       status_metadata("Completed"));
  const auto stats = must(p->get_instance_stats("inst"), "stats").value();
  EXPECT_EQ(stats.kv_user_key_count, 2u);
  EXPECT_EQ(stats.kv_total_value_bytes, 8u);
}

TEST_P(ProviderManagement, GetInstanceStatsCarryForward) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  Event started = started_event("inst");
  std::get<events::OrchestrationStarted>(started.kind).carry_forward_events = {{"q", "1"}, {"q", "2"}, {"q", "3"}};
  must(p->ack_orchestration_item(item.lock_token, make_ack(1, {started}, instance_metadata())), "ack");
  const auto stats = must(p->get_instance_stats("inst"), "stats").value();
  EXPECT_EQ(stats.queue_pending_count, 3u);
  EXPECT_GE(stats.history_event_count, 1u);
  EXPECT_GT(stats.history_size_bytes, 0u);
  EXPECT_EQ(stats.kv_user_key_count, 0u);
}

TEST_P(ProviderManagement, GetInstanceStatsKvDeltaOnly) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  turn(*p, "inst", factory().lock_timeout(),
       {kv_set_event("inst", 1, 0, "a", "xxx"), kv_set_event("inst", 1, 0, "b", "yyyyyy")});
  const auto stats = must(p->get_instance_stats("inst"), "stats").value();
  EXPECT_EQ(stats.kv_user_key_count, 2u);
  EXPECT_EQ(stats.kv_total_value_bytes, 9u);
  EXPECT_EQ(stats.queue_pending_count, 0u);
}

TEST_P(ProviderManagement, GetInstanceStatsKvMerged) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  turn(*p, "inst", factory().lock_timeout(),
       {kv_set_event("inst", 1, 0, "mk1", "abc"), kv_set_event("inst", 1, 0, "mk2", "de")});
  auto delta_phase = must(p->get_instance_stats("inst"), "stats").value();
  EXPECT_EQ(delta_phase.kv_user_key_count, 2u);
  EXPECT_EQ(delta_phase.kv_total_value_bytes, 5u);
  turn(*p, "inst", factory().lock_timeout(),
       {kv_set_event("inst", 1, 0, "mk1", "fghij"), completed_event("inst", 1, 0)}, status_metadata("Completed"));
  auto merged = must(p->get_instance_stats("inst"), "stats").value();
  EXPECT_EQ(merged.kv_user_key_count, 2u);
  EXPECT_EQ(merged.kv_total_value_bytes, 7u);
}

}  // namespace
}  // namespace duroxide::validation
