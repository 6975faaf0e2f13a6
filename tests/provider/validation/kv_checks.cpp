// Validation category KV store (docs/storage.md): values written by the running execution live in a delta the client
// sees at once; a terminal status merges them into the committed store, which is what the next
// execution's snapshot holds. Pruning never touches KV; deleting an instance removes it.
#include "provider/validation/validation_helpers.hpp"
#include "provider/validation/validation_suites.hpp"

namespace duroxide::validation {
namespace {

/// A KV mutation to record in a turn.
struct Kv {
  enum class Kind { Set, Clear, ClearAll } kind;
  std::string key;
  std::string value;
};
Kv set(std::string key, std::string value) { return {Kv::Kind::Set, std::move(key), std::move(value)}; }
Kv clear(std::string key) { return {Kv::Kind::Clear, std::move(key), {}}; }
Kv clear_all() { return {Kv::Kind::ClearAll, {}, {}}; }

/// One turn of the instance's current execution recording `changes`; `status` ends it.
void kv_turn(Provider& p, const std::string& instance, Millis lock, std::vector<Kv> changes,
             std::optional<std::string> status = std::nullopt) {
  auto item = poke(p, instance, lock);
  const auto execution = item.item.execution_id;
  auto id = next_event_id(p, instance);
  std::vector<Event> delta;
  for (const auto& change : changes) {
    switch (change.kind) {
      case Kv::Kind::Set:
        delta.push_back(kv_set_event(instance, execution, id++, change.key, change.value, now_ms()));
        break;
      case Kv::Kind::Clear:
        delta.push_back(kv_cleared_event(instance, execution, id++, change.key));
        break;
      case Kv::Kind::ClearAll:
        delta.push_back(kv_all_cleared_event(instance, execution, id++));
        break;
    }
  }
  ExecutionMetadata metadata;
  if (status) {
    metadata = status_metadata(*status);
    if (*status == "Completed") delta.push_back(completed_event(instance, execution, id++));
    if (*status == "ContinuedAsNew") delta.push_back(continued_as_new_event(instance, execution, id++));
  }
  must(p.ack_orchestration_item(item.lock_token, make_ack(execution, std::move(delta), metadata)), "kv ack");
}

/// Starts the next execution after a ContinuedAsNew turn; returns its first fetch's snapshot.
std::map<std::string, KvEntry> start_next_execution(Provider& p, const std::string& instance, Millis lock) {
  must(p.enqueue_for_orchestrator(continue_as_new_item(instance), std::nullopt), "enqueue can");
  auto item = must_fetch_orchestration(p, lock);
  const auto execution = item.item.execution_id + 1;
  must(p.ack_orchestration_item(item.lock_token,
                                make_ack(execution, {started_event(instance, execution)}, instance_metadata())),
       "ack next execution");
  return item.item.kv_snapshot;
}

/// The committed snapshot the next fetch of the instance sees.
std::map<std::string, KvEntry> snapshot(Provider& p, const std::string& instance, Millis lock) {
  auto item = poke(p, instance, lock);
  must(p.abandon_orchestration_item(item.lock_token, std::nullopt, true), "abandon");
  // Consume the poke so later turns are not confused by it.
  auto again = must_fetch_orchestration(p, lock);
  must(p.ack_orchestration_item(again.lock_token, make_ack(again.item.execution_id, {})), "ack");
  return item.item.kv_snapshot;
}

std::vector<std::string> keys(const std::map<std::string, KvEntry>& snapshot) {
  std::vector<std::string> out;
  for (const auto& [key, entry] : snapshot) out.push_back(key);
  return out;
}

std::optional<std::string> value(Provider& p, const std::string& instance, const std::string& key) {
  return must(p.get_kv_value(instance, key), "get_kv_value");
}

using Keys = std::vector<std::string>;

TEST_P(ProviderKv, KvSetAndGet) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("counter", "42")});
  EXPECT_EQ(value(*p, "inst", "counter"), "42");
}

TEST_P(ProviderKv, KvOverwrite) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("k", "v1")});
  kv_turn(*p, "inst", factory().lock_timeout(), {set("k", "v2")});
  EXPECT_EQ(value(*p, "inst", "k"), "v2");
}

TEST_P(ProviderKv, KvClearSingle) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("a", "1"), set("b", "2")});
  kv_turn(*p, "inst", factory().lock_timeout(), {clear("a")});
  EXPECT_EQ(value(*p, "inst", "a"), std::nullopt);
  EXPECT_EQ(value(*p, "inst", "b"), "2");
}

TEST_P(ProviderKv, KvClearAll) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("a", "1"), set("b", "2")});
  kv_turn(*p, "inst", factory().lock_timeout(), {clear_all()});
  EXPECT_TRUE(must(p->get_kv_all_values("inst"), "all").empty());
}

TEST_P(ProviderKv, KvGetNonexistent) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  EXPECT_EQ(value(*p, "inst", "missing"), std::nullopt);
}

TEST_P(ProviderKv, KvSnapshotInFetch) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("x", "1"), set("y", "2")}, "ContinuedAsNew");
  const auto snap = start_next_execution(*p, "inst", factory().lock_timeout());
  EXPECT_EQ(keys(snap), (Keys{"x", "y"}));
  EXPECT_EQ(snap.at("x").value, "1");
  EXPECT_GT(snap.at("x").last_updated_at_ms, 0u);
}

TEST_P(ProviderKv, KvSnapshotAfterClearSingle) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("keep", "1"), set("drop", "2")});
  kv_turn(*p, "inst", factory().lock_timeout(), {clear("drop")}, "ContinuedAsNew");
  EXPECT_EQ(keys(start_next_execution(*p, "inst", factory().lock_timeout())), (Keys{"keep"}));
}

TEST_P(ProviderKv, KvSnapshotAfterClearAll) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("a", "1")});
  kv_turn(*p, "inst", factory().lock_timeout(), {clear_all()});
  EXPECT_TRUE(snapshot(*p, "inst", factory().lock_timeout()).empty());
}

TEST_P(ProviderKv, KvExecutionIdTracking) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("k", "exec1")}, "ContinuedAsNew");
  start_next_execution(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("k", "exec2")});
  must(admin(*p).prune_executions("inst", PruneOptions{}), "prune");
  EXPECT_EQ(value(*p, "inst", "k"), "exec2");
}

TEST_P(ProviderKv, KvCrossExecutionOverwrite) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("k", "old")}, "ContinuedAsNew");
  start_next_execution(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("k", "new")});
  EXPECT_EQ(value(*p, "inst", "k"), "new");
}

TEST_P(ProviderKv, KvCrossExecutionRemoveReadd) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("k", "one")}, "ContinuedAsNew");
  start_next_execution(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {clear("k")}, "ContinuedAsNew");
  start_next_execution(*p, "inst", factory().lock_timeout());
  EXPECT_EQ(value(*p, "inst", "k"), std::nullopt);
  kv_turn(*p, "inst", factory().lock_timeout(), {set("k", "three")});
  EXPECT_EQ(value(*p, "inst", "k"), "three");
}

TEST_P(ProviderKv, KvPrunePreservesOverwritten) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("k", "v1")}, "ContinuedAsNew");
  start_next_execution(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("k", "v2")}, "Completed");
  EXPECT_EQ(must(admin(*p).prune_executions("inst", PruneOptions{}), "prune").executions_deleted, 1u);
  EXPECT_EQ(value(*p, "inst", "k"), "v2");
}

TEST_P(ProviderKv, KvPrunePreservesAllKeys) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("only-in-1", "v")}, "ContinuedAsNew");
  start_next_execution(*p, "inst", factory().lock_timeout());
  must(admin(*p).prune_executions("inst", PruneOptions{}), "prune");
  EXPECT_EQ(value(*p, "inst", "only-in-1"), "v");
}

TEST_P(ProviderKv, KvInstanceIsolation) {
  auto p = create_provider();
  create_instance(*p, "a", factory().lock_timeout());
  create_instance(*p, "b", factory().lock_timeout());
  kv_turn(*p, "a", factory().lock_timeout(), {set("k", "from-a")});
  kv_turn(*p, "b", factory().lock_timeout(), {set("k", "from-b")});
  EXPECT_EQ(value(*p, "a", "k"), "from-a");
  EXPECT_EQ(value(*p, "b", "k"), "from-b");
}

TEST_P(ProviderKv, KvDeleteInstanceCascades) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("k", "v")}, "Completed");
  must(admin(*p).delete_instance("inst", false), "delete");
  EXPECT_EQ(value(*p, "inst", "k"), std::nullopt);
  EXPECT_TRUE(must(p->get_kv_all_values("inst"), "all").empty());
}

TEST_P(ProviderKv, KvClearNonexistentKey) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {clear("never-set")});
  EXPECT_EQ(value(*p, "inst", "never-set"), std::nullopt);
}

TEST_P(ProviderKv, KvGetUnknownInstance) {
  auto p = create_provider();
  EXPECT_EQ(value(*p, "nobody", "k"), std::nullopt);
}

TEST_P(ProviderKv, KvSetAfterClear) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("old", "1")});
  kv_turn(*p, "inst", factory().lock_timeout(), {clear_all(), set("new", "2")});
  EXPECT_EQ(must(p->get_kv_all_values("inst"), "all"), (std::map<std::string, std::string>{{"new", "2"}}));
}

TEST_P(ProviderKv, KvEmptyValue) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("empty", "")});
  EXPECT_EQ(value(*p, "inst", "empty"), std::string());
}

TEST_P(ProviderKv, KvLargeValue) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  const std::string large(16 * 1024, 'L');
  kv_turn(*p, "inst", factory().lock_timeout(), {set("large", large)});
  EXPECT_EQ(value(*p, "inst", "large"), large);
}

TEST_P(ProviderKv, KvSpecialCharsInKey) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  const std::vector<std::string> special = {"with space", "日本語キー", "dotted.key.path", "slash/key", "emoji-🚀"};
  std::vector<Kv> changes;
  for (const auto& key : special) changes.push_back(set(key, "v:" + key));
  kv_turn(*p, "inst", factory().lock_timeout(), changes);
  for (const auto& key : special) EXPECT_EQ(value(*p, "inst", key), "v:" + key) << key;
}

TEST_P(ProviderKv, KvSnapshotEmpty) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  EXPECT_TRUE(snapshot(*p, "inst", factory().lock_timeout()).empty());
}

TEST_P(ProviderKv, KvSnapshotCrossExecution) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("A", "1")}, "ContinuedAsNew");
  start_next_execution(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("B", "2")});
  EXPECT_EQ(keys(snapshot(*p, "inst", factory().lock_timeout())), (Keys{"A"}));
}

TEST_P(ProviderKv, KvPruneCurrentExecutionProtected) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("k", "v")});
  EXPECT_EQ(must(admin(*p).prune_executions("inst", PruneOptions{}), "prune").executions_deleted, 0u);
  EXPECT_EQ(value(*p, "inst", "k"), "v");
}

TEST_P(ProviderKv, KvDeleteInstanceWithChildren) {
  auto p = create_provider();
  create_instance(*p, "parent", factory().lock_timeout());
  // The child's first ack names its parent.
  must(p->enqueue_for_orchestrator(start_item("parent::sub::2", "Child"), std::nullopt), "enqueue child");
  auto child = must_fetch_orchestration(*p, factory().lock_timeout());
  ExecutionMetadata metadata = instance_metadata("Child");
  metadata.parent_instance_id = "parent";
  must(p->ack_orchestration_item(child.lock_token,
                                 make_ack(1, {started_event("parent::sub::2", 1, 1, "Child")}, metadata)),
       "ack child");
  kv_turn(*p, "parent", factory().lock_timeout(), {set("pk", "p")}, "Completed");
  kv_turn(*p, "parent::sub::2", factory().lock_timeout(), {set("ck", "c")}, "Completed");
  must(admin(*p).delete_instance("parent", false), "delete");
  EXPECT_EQ(value(*p, "parent", "pk"), std::nullopt);
  EXPECT_EQ(value(*p, "parent::sub::2", "ck"), std::nullopt);
}

TEST_P(ProviderKv, KvClearIsolation) {
  auto p = create_provider();
  create_instance(*p, "a", factory().lock_timeout());
  create_instance(*p, "b", factory().lock_timeout());
  kv_turn(*p, "a", factory().lock_timeout(), {set("k", "a")});
  kv_turn(*p, "b", factory().lock_timeout(), {set("k", "b")});
  kv_turn(*p, "a", factory().lock_timeout(), {clear_all()});
  EXPECT_EQ(value(*p, "a", "k"), std::nullopt);
  EXPECT_EQ(value(*p, "b", "k"), "b");
}

TEST_P(ProviderKv, KvDeltaSnapshotExcludesCurrentExecution) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("k", "running")});
  EXPECT_EQ(value(*p, "inst", "k"), "running");
  EXPECT_TRUE(snapshot(*p, "inst", factory().lock_timeout()).empty());
}

TEST_P(ProviderKv, KvDeltaSnapshotIncludesCompletedExecution) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("k", "v")}, "ContinuedAsNew");
  EXPECT_EQ(keys(start_next_execution(*p, "inst", factory().lock_timeout())), (Keys{"k"}));
}

TEST_P(ProviderKv, KvDeltaClientReadsMerged) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("color", "red"), set("size", "large")}, "ContinuedAsNew");
  start_next_execution(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("color", "blue"), set("shape", "circle")});
  EXPECT_EQ(value(*p, "inst", "color"), "blue");
  EXPECT_EQ(value(*p, "inst", "size"), "large");
  EXPECT_EQ(value(*p, "inst", "shape"), "circle");
  EXPECT_EQ(must(p->get_kv_all_values("inst"), "all"),
            (std::map<std::string, std::string>{{"color", "blue"}, {"shape", "circle"}, {"size", "large"}}));
}

TEST_P(ProviderKv, KvDeltaTombstoneOverridesStore) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("k", "committed")}, "ContinuedAsNew");
  start_next_execution(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {clear("k")});
  EXPECT_EQ(value(*p, "inst", "k"), std::nullopt);
  EXPECT_TRUE(must(p->get_kv_all_values("inst"), "all").empty());
}

TEST_P(ProviderKv, KvDeltaClearAllTombstonesStore) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("a", "1"), set("b", "2")}, "ContinuedAsNew");
  start_next_execution(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {clear_all(), set("c", "3")});
  EXPECT_EQ(value(*p, "inst", "a"), std::nullopt);
  EXPECT_EQ(value(*p, "inst", "b"), std::nullopt);
  EXPECT_EQ(value(*p, "inst", "c"), "3");
}

TEST_P(ProviderKv, KvDeltaMergedOnCompletion) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("k", "v")});
  kv_turn(*p, "inst", factory().lock_timeout(), {}, "Completed");
  EXPECT_EQ(value(*p, "inst", "k"), "v");
}

TEST_P(ProviderKv, KvDeltaMergedOnCan) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("version", "1"), set("progress", "50%")});
  kv_turn(*p, "inst", factory().lock_timeout(), {set("progress", "100%")}, "ContinuedAsNew");
  const auto snap = start_next_execution(*p, "inst", factory().lock_timeout());
  EXPECT_EQ(snap.at("version").value, "1");
  EXPECT_EQ(snap.at("progress").value, "100%");
}

TEST_P(ProviderKv, KvDeltaDeleteInstanceCascades) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("k", "uncommitted")});
  must(admin(*p).delete_instance("inst", true), "force delete");
  EXPECT_EQ(value(*p, "inst", "k"), std::nullopt);
}

TEST_P(ProviderKv, KvDeltaPruneUntouchedKeySurvives) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {set("first", "1")}, "ContinuedAsNew");
  start_next_execution(*p, "inst", factory().lock_timeout());
  kv_turn(*p, "inst", factory().lock_timeout(), {}, "ContinuedAsNew");
  start_next_execution(*p, "inst", factory().lock_timeout());
  PruneOptions keep_current;
  keep_current.keep_last = 1;
  must(admin(*p).prune_executions("inst", keep_current), "prune");
  EXPECT_EQ(value(*p, "inst", "first"), "1");
  EXPECT_EQ(keys(snapshot(*p, "inst", factory().lock_timeout())), (Keys{"first"}));
}

// Any text is carried byte for byte: NUL bytes (which a PostgreSQL TEXT column cannot hold) and
// a leading 0x01 (the PostgreSQL store's own marker) included, in the delta, the committed store and
// the next execution's snapshot.
TEST_P(ProviderKv, ValuesWithNulBytesRoundTrip) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  const std::string nul("a\0b\0", 4);
  const std::string marked(
      "\x01"
      "41");
  create_instance(*p, "inst", lock);
  kv_turn(*p, "inst", lock, {set("nul", nul), set("marked", marked), set("plain", "x")});
  EXPECT_EQ(must(p->get_kv_value("inst", "nul"), "get"), nul);
  EXPECT_EQ(must(p->get_kv_value("inst", "marked"), "get"), marked);
  kv_turn(*p, "inst", lock, {}, "ContinuedAsNew");
  const auto snapshot = start_next_execution(*p, "inst", lock);
  ASSERT_TRUE(snapshot.contains("nul"));
  EXPECT_EQ(snapshot.at("nul").value, nul);
  EXPECT_EQ(snapshot.at("marked").value, marked);
  const auto all = must(p->get_kv_all_values("inst"), "all");
  EXPECT_EQ(all.at("nul"), nul);
  EXPECT_EQ(all.at("plain"), "x");
}

}  // namespace
}  // namespace duroxide::validation
