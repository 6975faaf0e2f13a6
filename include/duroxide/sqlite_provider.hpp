// SqliteProvider: the embedded store (docs/storage.md). One file (WAL) or a private in-memory database;
// every multi-row operation, a turn's ack above all, is one transaction. Fetches are long polls:
// an enqueue or ack from any thread of this process, or the earliest delayed message coming due,
// wakes waiting fetchers at once; writes from other processes sharing the file are seen by a
// re-check every `cross_process_poll_interval`.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <duroxide/provider.hpp>

namespace duroxide {

/// How hard a file store pushes each commit to disk (SQLite's `synchronous` in WAL mode).
enum class SqliteDurability {
  /// synchronous=NORMAL: a commit survives a crash of the process; a power loss may drop the last
  /// commits (never corrupts). The default, and what duroxide's SQLite store runs with.
  Normal,
  /// synchronous=FULL: every commit is on disk before it returns (fsync per commit): survives
  /// power loss too, at a fraction of the throughput.
  Full,
};

struct SqliteOptions {
  /// How often a waiting fetch re-checks the file for work enqueued by another process.
  std::chrono::milliseconds cross_process_poll_interval{100};
  /// Largest serialized work item or event accepted (bytes); larger ones are a permanent error.
  std::size_t max_payload_bytes = 16 * 1024 * 1024;  // = providers::kDefaultMaxPayloadBytes
  /// Durability of a file store's commits (ignored in memory).
  SqliteDurability durability = SqliteDurability::Normal;
  /// Most messages one orchestration fetch hands out (at least 1); an instance with more visible
  /// messages gets the oldest this many, and the rest in its next turns, in order.
  std::size_t max_batch_messages = kDefaultMaxBatchMessages;

  static constexpr std::size_t kDefaultMaxBatchMessages = 100;
};

class SqliteProvider final : public Provider, public ProviderAdmin {
 public:
  /// Opens "sqlite:PATH" (also "sqlite://PATH"), creating the file and schema if missing.
  static ProviderResult<std::shared_ptr<SqliteProvider>> open(std::string_view url, SqliteOptions options = {});
  /// A private in-memory store: gone when the provider is destroyed.
  static ProviderResult<std::shared_ptr<SqliteProvider>> open_in_memory(SqliteOptions options = {});

  ~SqliteProvider() override;
  SqliteProvider(const SqliteProvider&) = delete;
  SqliteProvider& operator=(const SqliteProvider&) = delete;

  // Provider
  ProviderResult<void> enqueue_for_orchestrator(const WorkItem& item, std::optional<Millis> delay) override;
  ProviderResult<std::optional<LockedOrchestrationItem>> fetch_orchestration_item(
      Millis lock_timeout, Millis poll_timeout, const DispatcherCapabilityFilter* filter,
      const KnownHistory* known = nullptr) override;
  ProviderResult<void> ack_orchestration_item(const std::string& lock_token, const OrchestrationAck& ack) override;
  /// Claims up to `max_items` instances in one transaction (docs/storage.md, "Batched turns").
  ProviderResult<std::vector<LockedOrchestrationItem>> fetch_orchestration_items(
      std::size_t max_items, Millis lock_timeout, Millis poll_timeout, const DispatcherCapabilityFilter* filter,
      const KnownHistory* known = nullptr) override;
  /// Commits the turns in one transaction, each in a savepoint of its own (docs/storage.md,
  /// "Batched turns").
  std::vector<ProviderResult<void>> ack_orchestration_items(const std::vector<TurnCommit>& turns) override;
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
  std::string name() const override { return "sqlite"; }
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

  /// Private state (src/providers/sqlite/sqlite_store.hpp); public so the store's translation units
  /// and its tests can reach it, opaque to users.
  struct Store;
  Store& store() { return *store_; }

 private:
  explicit SqliteProvider(std::unique_ptr<Store> store);
  std::unique_ptr<Store> store_;
};

}  // namespace duroxide
