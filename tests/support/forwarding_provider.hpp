// A Provider decorator that forwards every call to an inner store; fault-injecting test wrappers
// derive from it and override only what they change. Management goes to the inner store's view.
#pragma once

#include <memory>

#include <duroxide/provider.hpp>

namespace duroxide::testing {

class ForwardingProvider : public Provider {
 public:
  explicit ForwardingProvider(std::shared_ptr<Provider> inner) : inner_(std::move(inner)) {}

  ProviderResult<void> enqueue_for_orchestrator(const WorkItem& item, std::optional<Millis> delay) override {
    return inner_->enqueue_for_orchestrator(item, delay);
  }
  ProviderResult<std::optional<LockedOrchestrationItem>> fetch_orchestration_item(
      Millis lock_timeout, Millis poll_timeout, const DispatcherCapabilityFilter* filter,
      const KnownHistory* known = nullptr) override {
    return inner_->fetch_orchestration_item(lock_timeout, poll_timeout, filter, known);
  }
  ProviderResult<void> ack_orchestration_item(const std::string& token, const OrchestrationAck& ack) override {
    return inner_->ack_orchestration_item(token, ack);
  }
  ProviderResult<void> abandon_orchestration_item(const std::string& token, std::optional<Millis> delay,
                                                  bool ignore_attempt) override {
    return inner_->abandon_orchestration_item(token, delay, ignore_attempt);
  }
  ProviderResult<void> renew_orchestration_item_lock(const std::string& token, Millis extend_for) override {
    return inner_->renew_orchestration_item_lock(token, extend_for);
  }
  ProviderResult<void> enqueue_for_worker(const WorkItem& item) override { return inner_->enqueue_for_worker(item); }
  ProviderResult<std::optional<LockedWorkItem>> fetch_work_item(Millis lock_timeout, Millis poll_timeout,
                                                                const std::optional<SessionFetchConfig>& session,
                                                                const TagFilter& tags) override {
    return inner_->fetch_work_item(lock_timeout, poll_timeout, session, tags);
  }
  ProviderResult<void> ack_work_item(const std::string& token, const std::optional<WorkItem>& completion) override {
    return inner_->ack_work_item(token, completion);
  }
  ProviderResult<void> abandon_work_item(const std::string& token, std::optional<Millis> delay,
                                         bool ignore_attempt) override {
    return inner_->abandon_work_item(token, delay, ignore_attempt);
  }
  ProviderResult<void> renew_work_item_lock(const std::string& token, Millis extend_for) override {
    return inner_->renew_work_item_lock(token, extend_for);
  }
  ProviderResult<std::size_t> renew_session_lock(const std::vector<std::string>& owners, Millis extend_for,
                                                 Millis idle_timeout) override {
    return inner_->renew_session_lock(owners, extend_for, idle_timeout);
  }
  ProviderResult<std::size_t> cleanup_orphaned_sessions(Millis idle_timeout) override {
    return inner_->cleanup_orphaned_sessions(idle_timeout);
  }
  ProviderResult<std::vector<Event>> read(const std::string& instance) override { return inner_->read(instance); }
  ProviderResult<std::vector<Event>> read_with_execution(const std::string& instance,
                                                         std::uint64_t execution_id) override {
    return inner_->read_with_execution(instance, execution_id);
  }
  ProviderResult<std::optional<CustomStatusSnapshot>> get_custom_status(const std::string& instance,
                                                                        std::uint64_t last_seen) override {
    return inner_->get_custom_status(instance, last_seen);
  }
  ProviderResult<std::optional<InstanceStatusRecord>> get_instance_status(const std::string& instance) override {
    return inner_->get_instance_status(instance);
  }
  ProviderResult<std::optional<std::string>> get_kv_value(const std::string& instance,
                                                          const std::string& key) override {
    return inner_->get_kv_value(instance, key);
  }
  ProviderResult<std::map<std::string, std::string>> get_kv_all_values(const std::string& instance) override {
    return inner_->get_kv_all_values(instance);
  }
  ProviderResult<std::optional<SystemStats>> get_instance_stats(const std::string& instance) override {
    return inner_->get_instance_stats(instance);
  }
  void wake_waiters() override { inner_->wake_waiters(); }
  std::uint64_t change_epoch(const std::string& instance) override { return inner_->change_epoch(instance); }
  void wait_for_change(const std::string& instance, std::uint64_t seen, Millis timeout) override {
    inner_->wait_for_change(instance, seen, timeout);
  }
  std::string name() const override { return inner_->name(); }
  std::string version() const override { return inner_->version(); }
  ProviderAdmin* as_management_capability() override { return inner_->as_management_capability(); }

  Provider& inner() { return *inner_; }

 private:
  std::shared_ptr<Provider> inner_;
};

}  // namespace duroxide::testing
