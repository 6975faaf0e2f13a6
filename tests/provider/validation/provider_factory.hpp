// The provider validation suite's harness (docs/storage.md): what a store must supply to be checked.
// A store's test runner derives a ProviderFactory and instantiates every category with
// DUROXIDE_INSTANTIATE_PROVIDER_VALIDATION (validation_suites.hpp). The suite itself only uses the
// Provider / ProviderAdmin interfaces, so the next store reuses it unchanged.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <duroxide/provider.hpp>

namespace duroxide::validation {

class ProviderFactory {
 public:
  virtual ~ProviderFactory() = default;

  /// Short label used in test names ("file", "memory", "postgres").
  virtual std::string label() const = 0;

  /// A provider over an empty, isolated store: every call gives a fresh store.
  virtual std::shared_ptr<Provider> create_provider() = 0;

  /// Lock timeout the checks pass to fetches and then wait out.
  virtual std::chrono::milliseconds lock_timeout() const { return std::chrono::seconds(5); }

  /// Upper bound for "returns immediately" in the short-poll checks.
  virtual std::chrono::milliseconds short_poll_threshold() const { return std::chrono::milliseconds(100); }

  /// True when fetches wait up to poll_timeout for work (long-poll providers, docs/storage.md).
  virtual bool is_long_poll() const { return false; }

  /// Whether the hooks below work. Checks marked [corrupt] are skipped otherwise.
  virtual bool supports_corruption_hooks() const { return false; }

  /// Overwrites every stored history row of `instance` in `provider`'s store with undecodable data.
  /// Departure from duroxide's harness: the hooks take the provider the check created instead of
  /// requiring a "shared" factory, so every factory can offer them.
  virtual void corrupt_instance_history(Provider& provider, const std::string& instance);

  /// Max attempt_count over the instance's orchestrator-queue messages in `provider`'s store.
  virtual std::uint32_t get_max_attempt_count(Provider& provider, const std::string& instance);

  /// Inserts a visible, unlocked worker-queue row holding `raw_text`, with these row columns
  /// (nothing: the column is empty). Returns nothing; the row is what a corrupt write leaves.
  virtual void insert_raw_worker_row(Provider& provider, const std::optional<std::string>& instance,
                                     std::optional<std::uint64_t> execution_id,
                                     std::optional<std::uint64_t> activity_id, const std::string& raw_text);
  /// Inserts a visible orchestrator-queue row of `instance` holding `raw_text`.
  virtual void insert_raw_orchestrator_row(Provider& provider, const std::string& instance,
                                           const std::string& raw_text);
  /// Points the instance row's current execution at `execution_id` (which need not exist).
  virtual void set_current_execution_id(Provider& provider, const std::string& instance, std::uint64_t execution_id);
};

}  // namespace duroxide::validation
