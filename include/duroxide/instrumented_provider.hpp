// InstrumentedProvider: wraps any Provider and reports how long its hot operations take and how
// they fail (docs/runtime-features.md, "Metrics"): duroxide_provider_operation_duration_seconds{operation, status} and
// duroxide_provider_errors_total{operation, error_type}. Timed: fetch_orchestration_item,
// ack_orchestration_item, read, fetch_work_item, ack_work_item, renew_session_lock,
// cleanup_orphaned_sessions, enqueue_orchestrator. Every other call passes through untimed; name,
// version and management view are the inner provider's.
#pragma once

#include <memory>

#include <duroxide/metrics.hpp>
#include <duroxide/provider.hpp>

namespace duroxide {

class InstrumentedProvider final : public Provider {
 public:
  InstrumentedProvider(std::shared_ptr<Provider> inner, std::shared_ptr<MetricsSink> sink);

  const std::shared_ptr<Provider>& inner() const { return inner_; }

  ProviderResult<void> enqueue_for_orchestrator(const WorkItem& item, std::optional<Millis> delay) override;
  ProviderResult<std::optional<LockedOrchestrationItem>> fetch_orchestration_item(
      Millis lock_timeout, Millis poll_timeout, const DispatcherCapabilityFilter* filter,
      const KnownHistory* known = nullptr) override;
  ProviderResult<void> ack_orchestration_item(const std::string& lock_token, const OrchestrationAck& ack) override;
  /// Forwarded, so the inner store still batches; timed as one fetch_orchestration_item.
  ProviderResult<std::vector<LockedOrchestrationItem>> fetch_orchestration_items(
      std::size_t max_items, Millis lock_timeout, Millis poll_timeout, const DispatcherCapabilityFilter* filter,
      const KnownHistory* known = nullptr) override;
  /// Forwarded; each turn is observed as one ack_orchestration_item taking the batch's time.
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
  std::string name() const override;
  std::string version() const override;
  ProviderAdmin* as_management_capability() override;

  /// duroxide's error_type label: "deadlock", "timeout", "connection" or "other", from the text.
  static std::string_view classify_error(const ProviderError& error);

 private:
  template <class Call>
  auto timed(std::string_view operation, Call call) -> decltype(call());
  /// The duration histogram and, for an error, the error counter of one call.
  template <class Result>
  void record(std::string_view operation, const Result& result, double seconds);

  std::shared_ptr<Provider> inner_;
  std::shared_ptr<MetricsSink> sink_;
};

}  // namespace duroxide
