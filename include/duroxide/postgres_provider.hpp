// PostgresProvider: the PostgreSQL store (docs/storage.md, "The PostgreSQL store"). Every object lives
// in one schema per tenant; every operation is one round trip (a stored function or one statement)
// on a pooled connection; leases and visibility use the database's clock; fetches are long polls
// woken by LISTEN/NOTIFY. No libpq type appears here.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <duroxide/provider.hpp>

namespace duroxide {

struct PostgresOptions {
  /// Largest serialized work item or event accepted (bytes); larger ones are a permanent error.
  std::size_t max_payload_bytes = 16 * 1024 * 1024;  // = providers::kDefaultMaxPayloadBytes
  /// Most messages one orchestration fetch hands out (at least 1), as SqliteOptions::max_batch_messages.
  std::size_t max_batch_messages = 100;
  /// How often a waiting fetch re-polls while the LISTEN connection is down.
  std::chrono::milliseconds fallback_poll_interval{100};
};

class PostgresProvider final : public Provider, public ProviderAdmin {
 public:
  /// Opens "postgres://user:pw@host:port/db?schema=NAME&pool=N" (also "postgresql://"), creating
  /// the schema and migrating it. `schema` (default "public") and `pool` (default 8) are ours; every
  /// other parameter goes to libpq.
  static ProviderResult<std::shared_ptr<PostgresProvider>> open(const std::string& url, PostgresOptions options = {});

  ~PostgresProvider() override;
  PostgresProvider(const PostgresProvider&) = delete;
  PostgresProvider& operator=(const PostgresProvider&) = delete;

  // Provider
  ProviderResult<void> enqueue_for_orchestrator(const WorkItem& item, std::optional<Millis> delay) override;
  ProviderResult<std::optional<LockedOrchestrationItem>> fetch_orchestration_item(
      Millis lock_timeout, Millis poll_timeout, const DispatcherCapabilityFilter* filter,
      const KnownHistory* known = nullptr) override;
  ProviderResult<void> ack_orchestration_item(const std::string& lock_token, const OrchestrationAck& ack) override;
  ProviderResult<void> abandon_orchestration_item(const std::string& lock_token, std::optional<Millis> delay,
                                                  bool ignore_attempt) override;
  ProviderResult<void> renew_orchestration_item_lock(const std::string& lock_token, Millis extend_for) override;
  ProviderResult<void> enqueue_for_worker(const WorkItem& item) override;
  ProviderResult<std::optional<LockedWorkItem>> fetch_work_item(Millis lock_timeout, Millis poll_timeout,
                                                                const std::optional<SessionFetchConfig>& session,
                                                                const TagFilter& tags) override;
  ProviderResult<void> ack_work_item(const std::string& lock_token, const std::optional<WorkItem>& completion) override;
  ProviderResult<void> abandon_work_item(const std::string& lock_token, std::optional<Millis> delay,
                                         bool ignore_attempt) override;
  ProviderResult<void> renew_work_item_lock(const std::string& lock_token, Millis extend_for) override;
  ProviderResult<std::size_t> renew_session_lock(const std::vector<std::string>& owner_ids, Millis extend_for,
                                                 Millis idle_timeout) override;
  ProviderResult<std::size_t> cleanup_orphaned_sessions(Millis idle_timeout) override;
  ProviderResult<std::vector<Event>> read(const std::string& instance) override;
  ProviderResult<std::vector<Event>> read_with_execution(const std::string& instance,
                                                         std::uint64_t execution_id) override;
  ProviderResult<std::optional<CustomStatusSnapshot>> get_custom_status(const std::string& instance,
                                                                        std::uint64_t last_seen_version) override;
  ProviderResult<std::optional<InstanceStatusRecord>> get_instance_status(const std::string& instance) override;
  ProviderResult<std::optional<std::string>> get_kv_value(const std::string& instance, const std::string& key) override;
  ProviderResult<std::map<std::string, std::string>> get_kv_all_values(const std::string& instance) override;
  ProviderResult<std::optional<SystemStats>> get_instance_stats(const std::string& instance) override;
  void wake_waiters() override;
  std::uint64_t change_epoch(const std::string& instance) override;
  void wait_for_change(const std::string& instance, std::uint64_t seen, Millis timeout) override;
  std::string name() const override { return "postgres"; }
  std::string version() const override;
  ProviderAdmin* as_management_capability() override { return this; }

  // ProviderAdmin
  ProviderResult<std::vector<std::string>> list_instances() override;
  ProviderResult<std::vector<std::string>> list_instances_by_status(ExecutionStatus status) override;
  ProviderResult<std::vector<std::uint64_t>> list_executions(const std::string& instance) override;
  ProviderResult<std::vector<Event>> read_history_with_execution_id(const std::string& instance,
                                                                    std::uint64_t execution_id) override;
  ProviderResult<std::uint64_t> latest_execution_id(const std::string& instance) override;
  ProviderResult<InstanceInfo> get_instance_info(const std::string& instance) override;
  ProviderResult<ExecutionInfo> get_execution_info(const std::string& instance, std::uint64_t execution_id) override;
  ProviderResult<SystemMetrics> get_system_metrics() override;
  ProviderResult<QueueDepths> get_queue_depths() override;
  ProviderResult<std::vector<std::string>> list_children(const std::string& instance) override;
  ProviderResult<std::optional<std::string>> get_parent_id(const std::string& instance) override;
  ProviderResult<DeleteInstanceResult> delete_instances_atomic(const std::vector<std::string>& ids,
                                                               bool force) override;
  ProviderResult<DeleteInstanceResult> delete_instance_bulk(const InstanceFilter& filter) override;
  ProviderResult<PruneResult> prune_executions(const std::string& instance, const PruneOptions& options) override;
  ProviderResult<PruneResult> prune_executions_bulk(const InstanceFilter& filter, const PruneOptions& options) override;
  ProviderResult<std::vector<DeadLetter>> list_dead_letters() override;
  ProviderResult<InstancePage> list_instances_page(const InstanceQuery& query) override;

  /// Private state (src/providers/postgres/pg_store.hpp); public so the store's translation units
  /// and its tests can reach it, opaque to users.
  struct Store;
  Store& store() { return *store_; }

 private:
  explicit PostgresProvider(std::unique_ptr<Store> store);
  std::unique_ptr<Store> store_;
};

}  // namespace duroxide
