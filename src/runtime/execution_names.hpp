#pragma once
// Orchestration name and version of recently run executions, so an activity's context can name
// its orchestration without reading the instance's whole history from the store. The
// orchestration dispatcher records them before acking a turn that schedules activities; a miss
// (another process ran the turn, or the entry was evicted) falls back to reading the history.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace duroxide::runtime {

class ExecutionNames {
 public:
  struct Names {
    std::string name;
    std::string version;
  };

  void remember(const std::string& instance, std::uint64_t execution_id, const std::string& name,
                const std::string& version) {
    std::lock_guard lock(mutex_);
    if (entries_.size() >= kCapacity && !entries_.contains(instance)) entries_.clear();  // bounded; misses are cheap
    entries_.insert_or_assign(instance, Entry{execution_id, Names{name, version}});
  }

  std::optional<Names> find(const std::string& instance, std::uint64_t execution_id) const {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(instance);
    if (it == entries_.end() || it->second.execution_id != execution_id) return std::nullopt;
    return it->second.names;
  }

 private:
  static constexpr std::size_t kCapacity = 16384;
  struct Entry {
    std::uint64_t execution_id;
    Names names;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace duroxide::runtime
