// Fault-injecting store decorators (docs/runtime.md, "Testing with fault injection"): one-shot failures,
// counted transient failures of acks and reads, acks whose reply is lost after they committed,
// forced attempt counts for poison tests, and a capability-filter bypass.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "support/forwarding_provider.hpp"

namespace duroxide::testing {

/// One-shot failures: fetches fail retryably, acks fail permanently.
class FailingProvider : public ForwardingProvider {
 public:
  using ForwardingProvider::ForwardingProvider;

  void fail_next_fetch_orchestration_item() { fail_fetch_orchestration_ = true; }
  void fail_next_fetch_work_item() { fail_fetch_work_ = true; }
  void fail_next_ack_orchestration_item() { fail_ack_orchestration_ = true; }
  void fail_next_ack_work_item() { fail_ack_work_ = true; }
  /// A failing orchestration ack still goes through when its delta holds OrchestrationFailed (so
  /// the runtime's infrastructure-failure commit lands).
  void set_allow_failure_commits(bool allow) { allow_failure_commits_ = allow; }
  /// Work-item acks are performed, then reported as failed.
  void set_ack_then_fail(bool enabled) { ack_then_fail_ = enabled; }
  /// The next `count` orchestration acks that commit are reported as a transient failure: the turn
  /// is committed but its reply is lost on the way back (a connection dropped after COMMIT).
  void lose_next_orchestration_ack_replies(int count) { lost_ack_orchestration_replies_ = count; }
  /// Orchestration acks performed whose reply was reported as lost so far.
  int lost_orchestration_ack_replies() const { return lost_replies_; }
  /// The next `count` orchestration / work-item acks fail with a transient (retryable) error.
  void fail_next_acks_orchestration_transiently(int count) { transient_ack_orchestration_ = count; }
  void fail_next_acks_work_transiently(int count) { transient_ack_work_ = count; }
  /// The next `count` reads of `instance` fail with a transient (retryable) error.
  void fail_next_reads_of(const std::string& instance, int count) {
    std::lock_guard lock(mutex_);
    failing_reads_[instance] = count;
  }
  /// Every orchestration ack of `instance` fails permanently until cleared (false).
  void set_fail_acks_of(const std::string& instance, bool fail) {
    std::lock_guard lock(mutex_);
    if (fail) {
      failing_ack_instances_[instance] = 0;
    } else {
      failing_ack_instances_.erase(instance);
    }
  }
  /// Orchestration acks refused so far by set_fail_acks_of(instance).
  int refused_acks_of(const std::string& instance) {
    std::lock_guard lock(mutex_);
    auto it = failing_ack_instances_.find(instance);
    return it == failing_ack_instances_.end() ? 0 : it->second;
  }
  int reads_failed() const { return reads_failed_; }

  ProviderResult<std::optional<LockedOrchestrationItem>> fetch_orchestration_item(
      Millis lock_timeout, Millis poll_timeout, const DispatcherCapabilityFilter* filter,
      const KnownHistory* known = nullptr) override {
    if (fail_fetch_orchestration_.exchange(false)) return std::unexpected(transient("fetch_orchestration_item"));
    return ForwardingProvider::fetch_orchestration_item(lock_timeout, poll_timeout, filter, known);
  }
  ProviderResult<std::optional<LockedWorkItem>> fetch_work_item(Millis lock_timeout, Millis poll_timeout,
                                                                const std::optional<SessionFetchConfig>& session,
                                                                const TagFilter& tags) override {
    if (fail_fetch_work_.exchange(false)) return std::unexpected(transient("fetch_work_item"));
    return ForwardingProvider::fetch_work_item(lock_timeout, poll_timeout, session, tags);
  }
  ProviderResult<std::vector<Event>> read(const std::string& instance) override {
    {
      std::lock_guard lock(mutex_);
      if (auto it = failing_reads_.find(instance); it != failing_reads_.end() && it->second > 0) {
        --it->second;
        ++reads_failed_;
        return std::unexpected(transient("read"));
      }
    }
    return ForwardingProvider::read(instance);
  }
  ProviderResult<void> ack_orchestration_item(const std::string& token, const OrchestrationAck& ack) override {
    if (take_one(transient_ack_orchestration_)) return std::unexpected(transient("ack_orchestration_item"));
    if (!ack.history_delta.empty()) {
      std::lock_guard lock(mutex_);
      if (auto it = failing_ack_instances_.find(ack.history_delta.front().instance_id);
          it != failing_ack_instances_.end()) {
        ++it->second;
        return std::unexpected(permanent("ack_orchestration_item"));
      }
    }
    const bool is_failure_commit = std::any_of(ack.history_delta.begin(), ack.history_delta.end(),
                                               [](const Event& e) { return e.is<events::OrchestrationFailed>(); });
    if (!(allow_failure_commits_ && is_failure_commit) && fail_ack_orchestration_.exchange(false)) {
      return std::unexpected(permanent("ack_orchestration_item"));
    }
    auto committed = ForwardingProvider::ack_orchestration_item(token, ack);
    // Only an ack that committed has a reply to lose (a failed one leaves the count for the next).
    if (committed && take_one(lost_ack_orchestration_replies_)) {
      ++lost_replies_;
      return std::unexpected(ProviderError::transient("ack_orchestration_item", "simulated lost reply after commit"));
    }
    return committed;
  }
  ProviderResult<void> ack_work_item(const std::string& token, const std::optional<WorkItem>& completion) override {
    if (ack_then_fail_) {
      (void)ForwardingProvider::ack_work_item(token, completion);
      return std::unexpected(permanent("ack_work_item"));
    }
    if (fail_ack_work_.exchange(false)) return std::unexpected(permanent("ack_work_item"));
    if (take_one(transient_ack_work_)) return std::unexpected(transient("ack_work_item"));
    return ForwardingProvider::ack_work_item(token, completion);
  }

 private:
  /// Decrements a positive counter; false when it is already 0.
  static bool take_one(std::atomic<int>& counter) {
    int left = counter.load();
    while (left > 0) {
      if (counter.compare_exchange_weak(left, left - 1)) return true;
    }
    return false;
  }
  static ProviderError transient(const char* op) {
    return ProviderError::transient(op, "simulated transient infrastructure failure");
  }
  static ProviderError permanent(const char* op) {
    return ProviderError::permanent(op, "simulated infrastructure failure");
  }
  std::atomic<bool> fail_fetch_orchestration_{false};
  std::atomic<bool> fail_fetch_work_{false};
  std::atomic<bool> fail_ack_orchestration_{false};
  std::atomic<bool> fail_ack_work_{false};
  std::atomic<bool> allow_failure_commits_{false};
  std::atomic<bool> ack_then_fail_{false};
  std::atomic<int> transient_ack_orchestration_{0};
  std::atomic<int> transient_ack_work_{0};
  std::atomic<int> lost_ack_orchestration_replies_{0};
  std::atomic<int> lost_replies_{0};
  std::atomic<int> reads_failed_{0};
  std::mutex mutex_;
  std::map<std::string, int> failing_reads_;          ///< instance -> reads still to fail
  std::map<std::string, int> failing_ack_instances_;  ///< instance -> acks refused so far
};

/// Replaces the attempt count fetches report: one-shot, persistent, or after skipping N fetches.
class PoisonInjectingProvider : public ForwardingProvider {
 public:
  using ForwardingProvider::ForwardingProvider;

  void inject_orchestration_poison(std::uint32_t attempts) { set(orchestration_, attempts, false, 0); }
  void inject_orchestration_poison_persistent(std::uint32_t attempts) { set(orchestration_, attempts, true, 0); }
  void inject_orchestration_poison_after_skip(std::uint32_t skip, std::uint32_t attempts) {
    set(orchestration_, attempts, false, skip);
  }
  void inject_worker_poison(std::uint32_t attempts) { set(worker_, attempts, false, 0); }
  void inject_worker_poison_persistent(std::uint32_t attempts) { set(worker_, attempts, true, 0); }
  void clear_injections() {
    std::lock_guard lock(mutex_);
    orchestration_ = {};
    worker_ = {};
  }

  ProviderResult<std::optional<LockedOrchestrationItem>> fetch_orchestration_item(
      Millis lock_timeout, Millis poll_timeout, const DispatcherCapabilityFilter* filter,
      const KnownHistory* known = nullptr) override {
    auto result = ForwardingProvider::fetch_orchestration_item(lock_timeout, poll_timeout, filter, known);
    if (result && *result) apply(orchestration_, (*result)->attempt_count);
    return result;
  }
  ProviderResult<std::optional<LockedWorkItem>> fetch_work_item(Millis lock_timeout, Millis poll_timeout,
                                                                const std::optional<SessionFetchConfig>& session,
                                                                const TagFilter& tags) override {
    auto result = ForwardingProvider::fetch_work_item(lock_timeout, poll_timeout, session, tags);
    if (result && *result) apply(worker_, (*result)->attempt_count);
    return result;
  }

 private:
  struct Injection {
    std::optional<std::uint32_t> attempts;
    bool persistent = false;
    std::uint32_t skip = 0;
  };
  void set(Injection& injection, std::uint32_t attempts, bool persistent, std::uint32_t skip) {
    std::lock_guard lock(mutex_);
    injection = {attempts, persistent, skip};
  }
  void apply(Injection& injection, std::uint32_t& attempt_count) {
    std::lock_guard lock(mutex_);
    if (!injection.attempts) return;
    if (injection.skip > 0) {
      --injection.skip;
      return;
    }
    attempt_count = *injection.attempts;
    if (!injection.persistent) injection.attempts.reset();
  }
  std::mutex mutex_;
  Injection orchestration_;
  Injection worker_;
};

/// Ignores the capability filter, so incompatible items reach the runtime's own check.
class FilterBypassProvider : public ForwardingProvider {
 public:
  using ForwardingProvider::ForwardingProvider;
  ProviderResult<std::optional<LockedOrchestrationItem>> fetch_orchestration_item(
      Millis lock_timeout, Millis poll_timeout, const DispatcherCapabilityFilter*,
      const KnownHistory* known = nullptr) override {
    return ForwardingProvider::fetch_orchestration_item(lock_timeout, poll_timeout, nullptr, known);
  }
};

}  // namespace duroxide::testing
