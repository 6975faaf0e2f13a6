#include "orchestration/turn_limits.hpp"

#include <set>

#include <fmt/format.h>

#include <duroxide/constants.hpp>

namespace duroxide::orchestration {

namespace {

void apply_kv_events(const std::vector<Event>& events, std::set<std::string>& keys) {
  for (const Event& event : events) {
    if (auto* set = event.get_if<events::KeyValueSet>()) keys.insert(set->key);
    if (auto* cleared = event.get_if<events::KeyValueCleared>()) keys.erase(cleared->key);
    if (event.is<events::KeyValuesCleared>()) keys.clear();
  }
}

}  // namespace

std::optional<std::string> check_turn_limits(const std::vector<Event>& baseline, const std::vector<Event>& delta,
                                             const std::map<std::string, KvEntry>& kv_snapshot) {
  for (auto it = delta.rbegin(); it != delta.rend(); ++it) {
    auto* status = it->get_if<events::CustomStatusUpdated>();
    if (status == nullptr || !status->status) continue;
    if (status->status->size() > kMaxCustomStatusBytes)
      return fmt::format("Custom status size ({} bytes) exceeds limit ({} bytes)", status->status->size(),
                         kMaxCustomStatusBytes);
    break;
  }
  for (const Event& event : delta) {
    auto* scheduled = event.get_if<events::ActivityScheduled>();
    if (scheduled != nullptr && scheduled->tag && scheduled->tag->size() > kMaxTagNameBytes)
      return fmt::format("Activity '{}' tag size ({} bytes) exceeds limit ({} bytes)", scheduled->name,
                         scheduled->tag->size(), kMaxTagNameBytes);
  }
  for (const Event& event : delta) {
    auto* set = event.get_if<events::KeyValueSet>();
    if (set != nullptr && set->value.size() > kMaxKvValueBytes)
      return fmt::format("KV value for key '{}' ({} bytes) exceeds limit ({} bytes)", set->key, set->value.size(),
                         kMaxKvValueBytes);
  }
  std::set<std::string> keys;
  for (const auto& [key, entry] : kv_snapshot) keys.insert(key);
  apply_kv_events(baseline, keys);
  apply_kv_events(delta, keys);
  if (keys.size() > kMaxKvKeys) return fmt::format("KV key count ({}) exceeds limit ({})", keys.size(), kMaxKvKeys);
  return std::nullopt;
}

}  // namespace duroxide::orchestration
