// The built-in system activities (spec/04 §6). Orchestrations reach them through
// ctx.new_guid(), ctx.utc_now() and ctx.get_kv_value_from_instance(); being activities, their
// results are recorded in history and replayed.
#include <atomic>
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <duroxide/constants.hpp>

#include "runtime/runtime_state.hpp"

namespace duroxide {
namespace detail {
// Lets the runtime add activities under the reserved prefix (declared a friend of the builder).
struct RegistryAccess {
  static void add_system(ActivityRegistry::Builder& builder, std::string name, ActivityHandler handler) {
    builder.insert(std::move(name), std::move(handler), false);
  }
};
}  // namespace detail

namespace runtime {

namespace {

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

/// UUID-shaped 8-4-4-4-12 lowercase hex from the clock, a process-wide counter and the thread:
/// unique, not random (the contract of new_guid).
std::string new_guid() {
  static std::atomic<std::uint64_t> counter{0};
  const std::uint64_t time = now_ns();
  const std::uint64_t sequence = counter.fetch_add(1, std::memory_order_relaxed);
  const auto thread = static_cast<std::uint64_t>(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", static_cast<std::uint32_t>(time >> 32),
                     static_cast<std::uint16_t>(time >> 16), static_cast<std::uint16_t>(time),
                     static_cast<std::uint16_t>(sequence ^ (thread & 0xffff)),
                     (sequence & 0xffffff) << 24 | ((thread >> 16) & 0xffffff));
}

Result<std::string> get_kv_value(const std::weak_ptr<Provider>& weak_store, const std::string& input) {
  auto request = nlohmann::json::parse(input, nullptr, false);
  if (request.is_discarded() || !request.is_object()) return Err("get_kv_value: invalid input: " + input);
  if (!request.contains("instance_id") || !request["instance_id"].is_string()) {
    return Err("get_kv_value: invalid input: missing instance_id");
  }
  if (!request.contains("key") || !request["key"].is_string()) return Err("get_kv_value: invalid input: missing key");
  auto store = weak_store.lock();
  if (!store) return Err("get_kv_value client error: the store is gone");
  auto value = store->get_kv_value(request["instance_id"].get<std::string>(), request["key"].get<std::string>());
  if (!value) return Err("get_kv_value client error: " + value.error().to_string());
  return *value ? nlohmann::json(**value).dump() : std::string("null");
}

}  // namespace

ActivityRegistry with_system_activities(const ActivityRegistry& user, std::weak_ptr<Provider> store) {
  auto builder = ActivityRegistry::builder_from(user);
  detail::RegistryAccess::add_system(
      builder, std::string(kSyscallNewGuid),
      [](ActivityContext&, const std::string&) -> Result<std::string> { return new_guid(); });
  detail::RegistryAccess::add_system(
      builder, std::string(kSyscallUtcNowMs),
      [](ActivityContext&, const std::string&) -> Result<std::string> { return std::to_string(now_ns() / 1'000'000); });
  detail::RegistryAccess::add_system(
      builder, std::string(kSyscallGetKvValue),
      [store](ActivityContext&, const std::string& input) { return get_kv_value(store, input); });
  return builder.build();
}

}  // namespace runtime
}  // namespace duroxide
