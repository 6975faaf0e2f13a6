#include "runtime/test_hooks.hpp"

#include <atomic>
#include <mutex>

namespace duroxide::runtime::test_hooks {

namespace {
std::atomic<bool> g_active{false};
std::mutex g_mutex;
std::chrono::milliseconds g_delay{0};
std::optional<std::string> g_prefix;
}  // namespace

void set_orch_processing_delay(std::chrono::milliseconds delay, std::optional<std::string> instance_prefix) {
  std::lock_guard lock(g_mutex);
  g_delay = delay;
  g_prefix = std::move(instance_prefix);
  g_active = true;
}

std::optional<std::chrono::milliseconds> get_orch_processing_delay(const std::string& instance) {
  if (!g_active.load(std::memory_order_relaxed)) return std::nullopt;
  std::lock_guard lock(g_mutex);
  if (g_prefix && !instance.starts_with(*g_prefix)) return std::nullopt;
  return g_delay;
}

void clear_orch_processing_delay() {
  std::lock_guard lock(g_mutex);
  g_active = false;
  g_prefix.reset();
}

}  // namespace duroxide::runtime::test_hooks
