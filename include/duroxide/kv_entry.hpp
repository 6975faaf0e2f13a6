// KvEntry: one entry of an instance's key-value store, shared by the engine and the
// providers.
#pragma once

#include <cstdint>
#include <string>

namespace duroxide {

/// A KV value and the wall-clock ms of its last update.
struct KvEntry {
  std::string value;
  std::uint64_t last_updated_at_ms = 0;
  bool operator==(const KvEntry&) const = default;
};

}  // namespace duroxide
