// The built-in system activities (docs/core.md, "Identifiers and limits"). Orchestrations reach them through
// ctx.new_guid(), ctx.utc_now() and ctx.get_kv_value_from_instance(); being activities, their
// results are recorded in history and replayed.
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <duroxide/constants.hpp>

#include "runtime/runtime_state.hpp"
#include "runtime/uuid_v4.hpp"

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

/// The status name of an instance, for schedules deciding whether their last run has ended
/// (docs/schedules.md, "Overlap").
Result<std::string> get_instance_status(const std::weak_ptr<Provider>& weak_store, const std::string& input) {
  auto request = nlohmann::json::parse(input, nullptr, false);
  if (request.is_discarded() || !request.is_object() || !request.contains("instance_id") ||
      !request["instance_id"].is_string()) {
    return Err("instance_status: invalid input: " + input);
  }
  auto store = weak_store.lock();
  if (!store) return Err("instance_status: the store is gone");
  auto record = store->get_instance_status(request["instance_id"].get<std::string>());
  if (!record) return Err("instance_status: " + record.error().to_string());
  return *record ? std::string(to_string((*record)->status)) : std::string("NotFound");
}

}  // namespace

ActivityRegistry with_system_activities(const ActivityRegistry& user, std::weak_ptr<Provider> store) {
  auto builder = ActivityRegistry::builder_from(user);
  detail::RegistryAccess::add_system(
      builder, std::string(kSyscallNewGuid),
      [](ActivityContext&, const std::string&) -> Result<std::string> { return random_uuid_v4(); });
  detail::RegistryAccess::add_system(
      builder, std::string(kSyscallUtcNowMs),
      [](ActivityContext&, const std::string&) -> Result<std::string> { return std::to_string(now_ns() / 1'000'000); });
  detail::RegistryAccess::add_system(
      builder, std::string(kSyscallGetKvValue),
      [store](ActivityContext&, const std::string& input) { return get_kv_value(store, input); });
  detail::RegistryAccess::add_system(
      builder, std::string(kSyscallInstanceStatus),
      [store](ActivityContext&, const std::string& input) { return get_instance_status(store, input); });
  return builder.build();
}

}  // namespace runtime
}  // namespace duroxide
