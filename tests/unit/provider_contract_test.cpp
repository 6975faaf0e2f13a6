// The storage contract's own logic: ProviderError, capability filters, and ProviderAdmin's default
// composites (tree walk, delete_instance) over primitives supplied by a minimal admin.
#include <gtest/gtest.h>

#include <map>

#include <duroxide/provider.hpp>

using namespace duroxide;

TEST(UnitProviderError, ConstructorsTextAndInfrastructureMapping) {
  const auto t = ProviderError::transient("fetch", "database is busy");
  EXPECT_TRUE(t.is_retryable());
  EXPECT_EQ(t.to_string(), "fetch: database is busy");
  const auto p = ProviderError::permanent("ack_orchestration_item", "Invalid lock token");
  EXPECT_FALSE(p.is_retryable());
  EXPECT_EQ(p.to_infrastructure_error(),
            ErrorDetails::infrastructure("ack_orchestration_item", "Invalid lock token", false));
  const auto bare = ProviderError::from_message("boom");
  EXPECT_EQ(bare.operation, "unknown");
  EXPECT_TRUE(bare.retryable);
  EXPECT_NE(p, ProviderError::permanent("ack_orchestration_item", "other"));
  EXPECT_EQ(p, ProviderError::permanent("ack_orchestration_item", "Invalid lock token"));
}

TEST(UnitCapabilityFilter, AnyRangeContainingTheVersion) {
  const auto v = [](std::string_view s) { return *Version::parse(s); };
  const DispatcherCapabilityFilter empty;
  EXPECT_FALSE(empty.is_compatible(v("0.1.27"))) << "an empty filter is compatible with nothing";
  const DispatcherCapabilityFilter filter{{SemverRange{v("0.1.0"), v("0.1.5")}, SemverRange{v("0.2.0"), v("0.2.0")}}};
  EXPECT_TRUE(filter.is_compatible(v("0.1.0")));
  EXPECT_TRUE(filter.is_compatible(v("0.1.5")));
  EXPECT_TRUE(filter.is_compatible(v("0.2.0")));
  EXPECT_FALSE(filter.is_compatible(v("0.1.6")));
}

namespace {

// Implements only the primitives the default composites call; the rest report "unused".
class TreeAdmin final : public ProviderAdmin {
 public:
  std::map<std::string, std::optional<std::string>> parent_of;  // instance -> parent
  std::vector<std::string> deleted;
  bool deleted_with_force = false;
  std::map<std::string, std::uint64_t> latest;
  std::map<std::pair<std::string, std::uint64_t>, std::vector<Event>> histories;

  ProviderResult<std::vector<std::string>> list_children(const std::string& instance) override {
    std::vector<std::string> out;
    for (const auto& [id, parent] : parent_of) {
      if (parent == instance) out.push_back(id);
    }
    return out;
  }
  ProviderResult<std::optional<std::string>> get_parent_id(const std::string& instance) override {
    auto it = parent_of.find(instance);
    if (it == parent_of.end())
      return std::unexpected(ProviderError::permanent("get_parent_id", "Instance " + instance + " not found"));
    return it->second;
  }
  ProviderResult<DeleteInstanceResult> delete_instances_atomic(const std::vector<std::string>& ids,
                                                               bool force) override {
    deleted = ids;
    deleted_with_force = force;
    return DeleteInstanceResult{ids.size(), 0, 0, 0};
  }
  ProviderResult<std::uint64_t> latest_execution_id(const std::string& instance) override {
    auto it = latest.find(instance);
    return it == latest.end() ? 1 : it->second;
  }
  ProviderResult<std::vector<Event>> read_history_with_execution_id(const std::string& instance,
                                                                    std::uint64_t execution_id) override {
    return histories[{instance, execution_id}];
  }

  ProviderResult<std::vector<std::string>> list_instances() override { return unused<std::vector<std::string>>(); }
  ProviderResult<std::vector<std::string>> list_instances_by_status(ExecutionStatus) override {
    return unused<std::vector<std::string>>();
  }
  ProviderResult<std::vector<std::uint64_t>> list_executions(const std::string&) override {
    return unused<std::vector<std::uint64_t>>();
  }
  ProviderResult<InstanceInfo> get_instance_info(const std::string&) override { return unused<InstanceInfo>(); }
  ProviderResult<ExecutionInfo> get_execution_info(const std::string&, std::uint64_t) override {
    return unused<ExecutionInfo>();
  }
  ProviderResult<SystemMetrics> get_system_metrics() override { return unused<SystemMetrics>(); }
  ProviderResult<QueueDepths> get_queue_depths() override { return unused<QueueDepths>(); }
  ProviderResult<DeleteInstanceResult> delete_instance_bulk(const InstanceFilter&) override {
    return unused<DeleteInstanceResult>();
  }
  ProviderResult<PruneResult> prune_executions(const std::string&, const PruneOptions&) override {
    return unused<PruneResult>();
  }
  ProviderResult<PruneResult> prune_executions_bulk(const InstanceFilter&, const PruneOptions&) override {
    return unused<PruneResult>();
  }
  ProviderResult<std::vector<DeadLetter>> list_dead_letters() override { return unused<std::vector<DeadLetter>>(); }

 private:
  template <class T>
  static ProviderResult<T> unused() {
    return std::unexpected(ProviderError::permanent("test", "not used by the composites"));
  }
};

}  // namespace

TEST(UnitProviderAdmin, InstanceTreeWalksAllDescendantsBreadthFirst) {
  TreeAdmin admin;
  admin.parent_of = {{"root", std::nullopt},
                     {"root::sub::2", "root"},
                     {"root::sub::3", "root"},
                     {"root::sub::2::sub::4", "root::sub::2"},
                     {"other", std::nullopt}};
  auto tree = admin.get_instance_tree("root");
  ASSERT_TRUE(tree.has_value());
  EXPECT_EQ(tree->root_id, "root");
  EXPECT_EQ(tree->all_ids, (std::vector<std::string>{"root", "root::sub::2", "root::sub::3", "root::sub::2::sub::4"}));
  EXPECT_EQ(tree->size(), 4u);
  EXPECT_FALSE(tree->is_root_only());
  auto leaf = admin.get_instance_tree("other");
  ASSERT_TRUE(leaf.has_value());
  EXPECT_TRUE(leaf->is_root_only());
  auto unknown = admin.get_instance_tree("ghost");
  ASSERT_TRUE(unknown.has_value()) << "the root is returned even when it does not exist";
  EXPECT_EQ(unknown->all_ids, (std::vector<std::string>{"ghost"}));
}

TEST(UnitProviderAdmin, InstanceTreeSurvivesCorruptCyclicParentLinks) {
  TreeAdmin admin;
  admin.parent_of = {{"a", "b"}, {"b", "a"}};
  auto tree = admin.get_instance_tree("a");
  ASSERT_TRUE(tree.has_value());
  EXPECT_EQ(tree->all_ids, (std::vector<std::string>{"a", "b"}));
}

TEST(UnitProviderAdmin, DeleteInstanceDeletesTheWholeTreeOfARoot) {
  TreeAdmin admin;
  admin.parent_of = {{"root", std::nullopt}, {"root::sub::2", "root"}};
  auto result = admin.delete_instance("root", true);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
  EXPECT_EQ(result->instances_deleted, 2u);
  EXPECT_EQ(admin.deleted, (std::vector<std::string>{"root", "root::sub::2"}));
  EXPECT_TRUE(admin.deleted_with_force);
}

TEST(UnitProviderAdmin, DeleteInstanceRefusesSubOrchestrationsEvenWithForce) {
  TreeAdmin admin;
  admin.parent_of = {{"root", std::nullopt}, {"root::sub::2", "root"}};
  auto result = admin.delete_instance("root::sub::2", true);
  ASSERT_FALSE(result.has_value());
  EXPECT_FALSE(result.error().retryable);
  EXPECT_EQ(result.error().message,
            "Cannot delete sub-orchestration root::sub::2 directly. Delete root instance instead.");
  EXPECT_TRUE(admin.deleted.empty()) << "nothing deleted";
}

TEST(UnitProviderAdmin, DeleteInstancePropagatesNotFound) {
  TreeAdmin admin;
  auto result = admin.delete_instance("ghost", false);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("not found"), std::string::npos);
}

TEST(UnitProviderAdmin, ReadHistoryReadsTheLatestExecution) {
  TreeAdmin admin;
  admin.latest["i"] = 3;
  admin.histories[{"i", 3}] = {make_event(1, std::nullopt, "i", 3, events::KeyValuesCleared{})};
  auto history = admin.read_history("i");
  ASSERT_TRUE(history.has_value());
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].execution_id, 3u);
}
