#include <duroxide/registry.hpp>

#include <stdexcept>

#include <fmt/format.h>

#include <duroxide/constants.hpp>

namespace duroxide {
namespace {

std::string join_errors(const std::vector<std::string>& errors) {
  std::string joined;
  for (const auto& e : errors) {
    if (!joined.empty()) joined += "; ";
    joined += e;
  }
  return joined;
}

const Version& default_version() {
  static const Version v = *Version::parse(kDefaultHandlerVersion);
  return v;
}

}  // namespace

// ---- orchestrations ----

OrchestrationRegistry::Builder OrchestrationRegistry::builder() { return Builder{}; }

OrchestrationRegistry::Builder OrchestrationRegistry::builder_from(const OrchestrationRegistry& base) {
  Builder b;
  b.handlers_ = base.handlers();
  b.policies_ = base.policies_copy();
  return b;
}

OrchestrationRegistry::Builder& OrchestrationRegistry::Builder::insert(std::string name, Version version,
                                                                       OrchestrationHandler handler, bool from_merge) {
  auto& versions = handlers_[name];
  if (versions.contains(version)) {
    errors_.push_back(fmt::format("duplicate orchestration {}: {}@{}", from_merge ? "in merge" : "registration", name,
                                  version.to_string()));
    return *this;
  }
  versions.emplace(std::move(version), std::move(handler));
  return *this;
}

OrchestrationRegistry::Builder& OrchestrationRegistry::Builder::add(std::string name, OrchestrationHandler handler) {
  return insert(std::move(name), default_version(), std::move(handler), false);
}

OrchestrationRegistry::Builder& OrchestrationRegistry::Builder::add_versioned(std::string name,
                                                                              std::string_view version,
                                                                              OrchestrationHandler handler) {
  auto parsed = Version::parse(version);
  if (!parsed) {
    throw std::invalid_argument(fmt::format("orchestration '{}': {}", name, parsed.error()));
  }
  if (auto it = handlers_.find(name); it != handlers_.end() && !it->second.empty()) {
    const Version& highest = it->second.rbegin()->first;
    // A duplicate is a conflict (recorded); anything else not above the highest is a programming error.
    if (!it->second.contains(*parsed) && *parsed <= highest) {
      throw std::invalid_argument(fmt::format("non-monotonic orchestration version for '{}': {} is not above {}", name,
                                              parsed->to_string(), highest.to_string()));
    }
  }
  return insert(std::move(name), std::move(*parsed), std::move(handler), false);
}

OrchestrationRegistry::Builder& OrchestrationRegistry::Builder::add_all(
    std::vector<std::pair<std::string, OrchestrationHandler>> handlers) {
  for (auto& [name, handler] : handlers) add(std::move(name), std::move(handler));
  return *this;
}

OrchestrationRegistry::Builder& OrchestrationRegistry::Builder::merge(const OrchestrationRegistry& other) {
  for (const auto& [name, versions] : other.handlers()) {
    for (const auto& [version, handler] : versions) insert(name, version, handler, true);
  }
  for (auto& [name, policy] : other.policies_copy()) policies_.try_emplace(name, std::move(policy));
  return *this;
}

OrchestrationRegistry::Builder& OrchestrationRegistry::Builder::set_policy(std::string name, VersionPolicy policy) {
  policies_[std::move(name)] = std::move(policy);
  return *this;
}

OrchestrationRegistry OrchestrationRegistry::Builder::build() const {
  return OrchestrationRegistry(handlers_, policies_);
}

Result<OrchestrationRegistry> OrchestrationRegistry::Builder::build_result() const {
  if (!errors_.empty()) return Err(join_errors(errors_));
  return build();
}

// ---- activities ----

ActivityRegistry::Builder ActivityRegistry::builder() { return Builder{}; }

ActivityRegistry::Builder ActivityRegistry::builder_from(const ActivityRegistry& base) {
  Builder b;
  b.handlers_ = base.handlers();
  return b;
}

ActivityRegistry::Builder& ActivityRegistry::Builder::insert(std::string name, ActivityHandler handler,
                                                             bool from_merge) {
  auto& versions = handlers_[name];
  if (versions.contains(default_version())) {
    errors_.push_back(fmt::format("duplicate activity {}: {}@{}", from_merge ? "in merge" : "registration", name,
                                  kDefaultHandlerVersion));
    return *this;
  }
  versions.emplace(default_version(), std::move(handler));
  return *this;
}

ActivityRegistry::Builder& ActivityRegistry::Builder::add(std::string name, ActivityHandler handler) {
  if (std::string_view(name).starts_with(kSyscallActivityPrefix)) {
    errors_.push_back(fmt::format("activity name '{}' uses reserved prefix '{}'", name, kSyscallActivityPrefix));
    return *this;
  }
  return insert(std::move(name), std::move(handler), false);
}

ActivityRegistry::Builder& ActivityRegistry::Builder::add_all(
    std::vector<std::pair<std::string, ActivityHandler>> handlers) {
  for (auto& [name, handler] : handlers) add(std::move(name), std::move(handler));
  return *this;
}

ActivityRegistry::Builder& ActivityRegistry::Builder::merge(const ActivityRegistry& other) {
  for (const auto& [name, versions] : other.handlers()) {
    for (const auto& [version, handler] : versions) insert(name, handler, true);
  }
  return *this;
}

ActivityRegistry ActivityRegistry::Builder::build() const { return ActivityRegistry(handlers_, {}); }

Result<ActivityRegistry> ActivityRegistry::Builder::build_result() const {
  if (!errors_.empty()) return Err(join_errors(errors_));
  return build();
}

}  // namespace duroxide
