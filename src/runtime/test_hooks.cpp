#include "runtime/test_hooks.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>

namespace duroxide::runtime::test_hooks {

namespace {
std::atomic<bool> g_active{false};
std::mutex g_mutex;
std::chrono::milliseconds g_delay{0};
std::optional<std::string> g_prefix;
std::atomic<bool> g_throw_armed{false};
std::map<std::pair<ThrowSite, std::string>, bool> g_throws;  ///< armed throws: standard exception?
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

void throw_once_at(ThrowSite site, std::string instance, bool standard) {
  std::lock_guard lock(g_mutex);
  g_throws[{site, std::move(instance)}] = standard;
  g_throw_armed = true;
}

void maybe_throw(ThrowSite site, const std::string& instance) {
  if (!g_throw_armed.load(std::memory_order_relaxed)) return;
  bool standard = false;
  {
    std::lock_guard lock(g_mutex);
    auto it = g_throws.find({site, instance});
    if (it == g_throws.end()) return;
    standard = it->second;
    g_throws.erase(it);
    g_throw_armed = !g_throws.empty();
  }
  if (standard) throw std::runtime_error("test hook: thrown while processing " + instance);
  throw 42;  // NOLINT(hicpp-exception-baseclass): the point is a throw that is not a std::exception
}

}  // namespace duroxide::runtime::test_hooks
