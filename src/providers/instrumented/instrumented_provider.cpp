#include <duroxide/instrumented_provider.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>

namespace duroxide {

InstrumentedProvider::InstrumentedProvider(std::shared_ptr<Provider> inner, std::shared_ptr<MetricsSink> sink)
    : inner_(std::move(inner)), sink_(std::move(sink)) {
  if (!inner_) throw std::invalid_argument("InstrumentedProvider: inner provider is null");
  if (!sink_) throw std::invalid_argument("InstrumentedProvider: metrics sink is null");
}

std::string_view InstrumentedProvider::classify_error(const ProviderError& error) {
  std::string text = error.message;
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  if (text.find("deadlock") != std::string::npos) return "deadlock";
  if (text.find("timeout") != std::string::npos || text.find("timed out") != std::string::npos) return "timeout";
  if (text.find("connection") != std::string::npos) return "connection";
  return "other";
}

template <class Result>
void InstrumentedProvider::record(std::string_view operation, const Result& result, double seconds) {
  const std::string op(operation);
  sink_->observe_histogram("duroxide_provider_operation_duration_seconds",
                           {{"operation", op}, {"status", result ? "success" : "error"}}, seconds);
  if (!result) {
    sink_->add_counter("duroxide_provider_errors_total",
                       {{"operation", op}, {"error_type", std::string(classify_error(result.error()))}}, 1);
  }
}

template <class Call>
auto InstrumentedProvider::timed(std::string_view operation, Call call) -> decltype(call()) {
  const auto start = std::chrono::steady_clock::now();
  auto result = call();
  record(operation, result, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return result;
}

ProviderResult<void> InstrumentedProvider::enqueue_for_orchestrator(const WorkItem& item, std::optional<Millis> delay) {
  return timed("enqueue_orchestrator", [&] { return inner_->enqueue_for_orchestrator(item, delay); });
}
ProviderResult<std::optional<LockedOrchestrationItem>> InstrumentedProvider::fetch_orchestration_item(
    Millis lock_timeout, Millis poll_timeout, const DispatcherCapabilityFilter* filter, const KnownHistory* known) {
  return timed("fetch_orchestration_item",
               [&] { return inner_->fetch_orchestration_item(lock_timeout, poll_timeout, filter, known); });
}
ProviderResult<void> InstrumentedProvider::ack_orchestration_item(const std::string& lock_token,
                                                                  const OrchestrationAck& ack) {
  return timed("ack_orchestration_item", [&] { return inner_->ack_orchestration_item(lock_token, ack); });
}
ProviderResult<std::vector<LockedOrchestrationItem>> InstrumentedProvider::fetch_orchestration_items(
    std::size_t max_items, Millis lock_timeout, Millis poll_timeout, const DispatcherCapabilityFilter* filter,
    const KnownHistory* known) {
  return timed("fetch_orchestration_item",
               [&] { return inner_->fetch_orchestration_items(max_items, lock_timeout, poll_timeout, filter, known); });
}
std::vector<ProviderResult<void>> InstrumentedProvider::ack_orchestration_items(const std::vector<TurnCommit>& turns) {
  const auto start = std::chrono::steady_clock::now();
  auto results = inner_->ack_orchestration_items(turns);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Each turn observed as its own ack (what a dashboard counts), all with the batch's duration.
  for (const auto& result : results) record("ack_orchestration_item", result, seconds);
  return results;
}
ProviderResult<void> InstrumentedProvider::abandon_orchestration_item(const std::string& lock_token,
                                                                      std::optional<Millis> delay,
                                                                      bool ignore_attempt) {
  return inner_->abandon_orchestration_item(lock_token, delay, ignore_attempt);
}
ProviderResult<void> InstrumentedProvider::renew_orchestration_item_lock(const std::string& lock_token,
                                                                         Millis extend_for) {
  return inner_->renew_orchestration_item_lock(lock_token, extend_for);
}
ProviderResult<void> InstrumentedProvider::enqueue_for_worker(const WorkItem& item) {
  return inner_->enqueue_for_worker(item);
}
ProviderResult<std::optional<LockedWorkItem>> InstrumentedProvider::fetch_work_item(
    Millis lock_timeout, Millis poll_timeout, const std::optional<SessionFetchConfig>& session, const TagFilter& tags) {
  return timed("fetch_work_item", [&] { return inner_->fetch_work_item(lock_timeout, poll_timeout, session, tags); });
}
ProviderResult<void> InstrumentedProvider::ack_work_item(const std::string& lock_token,
                                                         const std::optional<WorkItem>& completion) {
  return timed("ack_work_item", [&] { return inner_->ack_work_item(lock_token, completion); });
}
ProviderResult<void> InstrumentedProvider::abandon_work_item(const std::string& lock_token, std::optional<Millis> delay,
                                                             bool ignore_attempt) {
  return inner_->abandon_work_item(lock_token, delay, ignore_attempt);
}
ProviderResult<void> InstrumentedProvider::renew_work_item_lock(const std::string& lock_token, Millis extend_for) {
  return inner_->renew_work_item_lock(lock_token, extend_for);
}
ProviderResult<std::size_t> InstrumentedProvider::renew_session_lock(const std::vector<std::string>& owner_ids,
                                                                     Millis extend_for, Millis idle_timeout) {
  return timed("renew_session_lock", [&] { return inner_->renew_session_lock(owner_ids, extend_for, idle_timeout); });
}
ProviderResult<std::size_t> InstrumentedProvider::cleanup_orphaned_sessions(Millis idle_timeout) {
  return timed("cleanup_orphaned_sessions", [&] { return inner_->cleanup_orphaned_sessions(idle_timeout); });
}
ProviderResult<std::vector<Event>> InstrumentedProvider::read(const std::string& instance) {
  return timed("read", [&] { return inner_->read(instance); });
}
ProviderResult<std::vector<Event>> InstrumentedProvider::read_with_execution(const std::string& instance,
                                                                             std::uint64_t execution_id) {
  return inner_->read_with_execution(instance, execution_id);
}
ProviderResult<std::optional<CustomStatusSnapshot>> InstrumentedProvider::get_custom_status(
    const std::string& instance, std::uint64_t last_seen_version) {
  return inner_->get_custom_status(instance, last_seen_version);
}
ProviderResult<std::optional<InstanceStatusRecord>> InstrumentedProvider::get_instance_status(
    const std::string& instance) {
  return timed("get_instance_status", [&] { return inner_->get_instance_status(instance); });
}
ProviderResult<std::optional<std::string>> InstrumentedProvider::get_kv_value(const std::string& instance,
                                                                              const std::string& key) {
  return inner_->get_kv_value(instance, key);
}
ProviderResult<std::map<std::string, std::string>> InstrumentedProvider::get_kv_all_values(
    const std::string& instance) {
  return inner_->get_kv_all_values(instance);
}
ProviderResult<std::optional<SystemStats>> InstrumentedProvider::get_instance_stats(const std::string& instance) {
  return inner_->get_instance_stats(instance);
}
void InstrumentedProvider::wake_waiters() { inner_->wake_waiters(); }
std::uint64_t InstrumentedProvider::change_epoch(const std::string& instance) { return inner_->change_epoch(instance); }
void InstrumentedProvider::wait_for_change(const std::string& instance, std::uint64_t seen, Millis timeout) {
  inner_->wait_for_change(instance, seen, timeout);
}
std::string InstrumentedProvider::name() const { return inner_->name(); }
std::string InstrumentedProvider::version() const { return inner_->version(); }
ProviderAdmin* InstrumentedProvider::as_management_capability() { return inner_->as_management_capability(); }

}  // namespace duroxide
