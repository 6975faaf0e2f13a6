// Registries: which orchestrations and activities a runtime can run (docs/runtime.md, "Registries").
//
//   auto activities = ActivityRegistry::builder()
//       .add("Greet", [](ActivityContext&, std::string name) -> Result<std::string> { return "Hello, " + name; })
//       .build();
//   auto orchestrations = OrchestrationRegistry::builder().add("HelloWorld", hello).build();
//
// A registry maps a name to handlers keyed by semantic version plus a per-name version policy
// (Latest by default). Handlers are immutable after build(); the policy table is shared by every
// copy of a registry and may be changed at any time with set_version_policy().
//
// Registration problems are of two kinds. Programming errors (an unparsable version, a version not
// above the ones already registered for that name) throw std::invalid_argument from the builder
// call. Conflicts (a duplicate name@version, a reserved activity name, a collision in merge()) are
// recorded: build() leaves the failed registration out, build_result() returns all of them joined
// with "; ".
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <duroxide/activity_context.hpp>
#include <duroxide/codec.hpp>
#include <duroxide/detail/callable_traits.hpp>
#include <duroxide/detail/orchestration_handler_check.hpp>
#include <duroxide/orchestration_context.hpp>
#include <duroxide/result.hpp>
#include <duroxide/semver.hpp>
#include <duroxide/task.hpp>

namespace duroxide {

/// Orchestration code: (context, input) -> coroutine producing the output or an error message.
/// A lambda coroutine must not rely on its captures (they die with the lambda object): pass what
/// it needs through the input or capture nothing, as with cppcoro.
using OrchestrationHandler = std::function<Task<Result<std::string>>(OrchestrationContext, std::string)>;
/// Activity code: runs on a worker thread; an error or an exception fails the activity.
using ActivityHandler = std::function<Result<std::string>(ActivityContext&, std::string)>;

/// Which registered version a new execution uses when none is requested.
namespace version_policy {
struct Latest {
  bool operator==(const Latest&) const = default;
};
struct Exact {
  Version version;
  bool operator==(const Exact&) const = default;
};
}  // namespace version_policy
using VersionPolicy = std::variant<version_policy::Latest, version_policy::Exact>;

namespace detail {

struct RegistryAccess;

/// The lookup side shared by both registries.
template <class Handler>
class HandlerTable {
 public:
  using Versions = std::map<Version, Handler>;
  using Names = std::map<std::string, Versions, std::less<>>;

  struct Resolved {
    Version version;
    Handler handler;
  };

  HandlerTable() : handlers_(std::make_shared<Names>()), policies_(std::make_shared<Policies>()) {}
  HandlerTable(Names handlers, std::map<std::string, VersionPolicy, std::less<>> policies)
      : handlers_(std::make_shared<Names>(std::move(handlers))), policies_(std::make_shared<Policies>()) {
    policies_->table = std::move(policies);
  }

  /// By policy: Latest = highest version; Exact(v) = v if registered. Nothing when unknown.
  std::optional<Resolved> resolve_handler(std::string_view name) const {
    auto it = handlers_->find(name);
    if (it == handlers_->end() || it->second.empty()) return std::nullopt;
    const VersionPolicy policy = version_policy(name);
    if (const auto* exact = std::get_if<version_policy::Exact>(&policy)) {
      return resolve_handler_exact(name, exact->version);
    }
    const auto& [version, handler] = *it->second.rbegin();
    return Resolved{version, handler};
  }
  std::optional<Resolved> resolve_handler_exact(std::string_view name, const Version& version) const {
    auto it = handlers_->find(name);
    if (it == handlers_->end()) return std::nullopt;
    auto v = it->second.find(version);
    if (v == it->second.end()) return std::nullopt;
    return Resolved{v->first, v->second};
  }
  std::optional<Version> resolve_version(std::string_view name) const {
    auto resolved = resolve_handler(name);
    if (!resolved) return std::nullopt;
    return resolved->version;
  }
  /// Registered names, sorted.
  std::vector<std::string> list_names() const {
    std::vector<std::string> names;
    for (const auto& [name, versions] : *handlers_) names.push_back(name);
    return names;
  }
  /// Registered versions of `name`, ascending; empty when unknown.
  std::vector<Version> list_versions(std::string_view name) const {
    std::vector<Version> out;
    if (auto it = handlers_->find(name); it != handlers_->end()) {
      for (const auto& [version, handler] : it->second) out.push_back(version);
    }
    return out;
  }
  bool has(std::string_view name) const { return handlers_->contains(name); }
  /// Number of distinct names.
  std::size_t count() const { return handlers_->size(); }

  /// Changes the policy of `name` for this registry and every copy of it.
  void set_version_policy(const std::string& name, VersionPolicy policy) const {
    std::lock_guard lock(policies_->mutex);
    policies_->table[name] = std::move(policy);
  }
  VersionPolicy version_policy(std::string_view name) const {
    std::lock_guard lock(policies_->mutex);
    auto it = policies_->table.find(name);
    return it == policies_->table.end() ? VersionPolicy{version_policy::Latest{}} : it->second;
  }

  const Names& handlers() const { return *handlers_; }
  std::map<std::string, VersionPolicy, std::less<>> policies_copy() const {
    std::lock_guard lock(policies_->mutex);
    return policies_->table;
  }

 private:
  struct Policies {
    mutable std::mutex mutex;
    std::map<std::string, VersionPolicy, std::less<>> table;
  };
  std::shared_ptr<const Names> handlers_;
  std::shared_ptr<Policies> policies_;
};

/// Runs a typed orchestration: decode input, run, encode output. A free coroutine so that the
/// user's callable lives in the coroutine frame, not in a lambda that may be gone.
template <class In, class Out, class F>
Task<Result<std::string>> run_typed_orchestration(F f, OrchestrationContext ctx, std::string input) {
  auto decoded = codec::decode<In>(input);
  if (!decoded) co_return Err(std::move(decoded.error()));
  Result<Out> out = co_await f(std::move(ctx), std::move(*decoded));
  if (!out) co_return Err(std::move(out.error()));
  co_return codec::encode(*out);
}

template <class F>
OrchestrationHandler make_typed_orchestration(F f) {
  using In = CallableArg<F, 1>;
  using TaskType = CallableResult<F>;
  using Out = typename ResultValue<PollValue<TaskType>>::type;
  return [f = std::move(f)](OrchestrationContext ctx, std::string input) {
    return run_typed_orchestration<In, Out>(f, std::move(ctx), std::move(input));
  };
}

/// `f` as an OrchestrationHandler, refusing to compile when it takes a parameter by reference.
template <class F>
OrchestrationHandler by_value_orchestration(F f) {
  static_assert(orchestration_parameters_by_value<F>(),
                "duroxide: an orchestration handler must take its parameters by value, as "
                "(OrchestrationContext ctx, std::string input): it is a coroutine that starts after the "
                "caller's arguments are destroyed, so a reference parameter (e.g. const std::string&) would dangle");
  return OrchestrationHandler(std::move(f));
}

template <class F>
ActivityHandler make_typed_activity(F f) {
  using In = CallableArg<F, 1>;
  using Out = typename ResultValue<CallableResult<F>>::type;
  return [f = std::move(f)](ActivityContext& ctx, std::string input) -> Result<std::string> {
    auto decoded = codec::decode<In>(input);
    if (!decoded) return Err(std::move(decoded.error()));
    Result<Out> out = f(ctx, std::move(*decoded));
    if (!out) return Err(std::move(out.error()));
    return codec::encode(*out);
  };
}

}  // namespace detail

/// The orchestrations a runtime can run, by name and version.
class OrchestrationRegistry : public detail::HandlerTable<OrchestrationHandler> {
 public:
  class Builder;
  using HandlerTable::HandlerTable;

  static Builder builder();
  /// A builder holding a copy of `base`'s handlers and policies.
  static Builder builder_from(const OrchestrationRegistry& base);
};

class OrchestrationRegistry::Builder {
 public:
  /// Registers version 1.0.0. A duplicate name@1.0.0 is a recorded error.
  Builder& add(std::string name, OrchestrationHandler handler);
  /// Same for a function or lambda, whose parameters must be taken by value: the coroutine starts
  /// after the call's arguments are gone, so a reference parameter would dangle (compile error).
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, OrchestrationHandler> &&
           std::is_constructible_v<OrchestrationHandler, F>) Builder& add(std::string name, F handler) {
    return add(std::move(name), detail::by_value_orchestration(std::move(handler)));
  }
  /// Like add() for `Task<Result<Out>>(OrchestrationContext, In)`: the input is decoded and the
  /// output encoded with the typed codec; a decode failure fails the orchestration.
  template <class F>
  Builder& add_typed(std::string name, F f) {
    return add(std::move(name), detail::make_typed_orchestration(std::move(f)));
  }
  /// Registers `version` (strict semver). Throws std::invalid_argument when the version does not
  /// parse or is not above every version already registered for the name; a duplicate is recorded.
  Builder& add_versioned(std::string name, std::string_view version, OrchestrationHandler handler);
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, OrchestrationHandler> &&
           std::is_constructible_v<OrchestrationHandler, F>) Builder& add_versioned(std::string name,
                                                                                    std::string_view version,
                                                                                    F handler) {
    return add_versioned(std::move(name), version, detail::by_value_orchestration(std::move(handler)));
  }
  template <class F>
  Builder& add_versioned_typed(std::string name, std::string_view version, F f) {
    return add_versioned(std::move(name), version, detail::make_typed_orchestration(std::move(f)));
  }
  Builder& add_all(std::vector<std::pair<std::string, OrchestrationHandler>> handlers);
  /// Adds every name@version of `other`; collisions are recorded errors.
  Builder& merge(const OrchestrationRegistry& other);
  Builder& set_policy(std::string name, VersionPolicy policy);

  /// The registry without the registrations that failed.
  OrchestrationRegistry build() const;
  /// The registry, or every recorded error joined with "; ".
  Result<OrchestrationRegistry> build_result() const;

 private:
  friend class OrchestrationRegistry;
  Builder& insert(std::string name, Version version, OrchestrationHandler handler, bool from_merge);

  HandlerTable::Names handlers_;
  std::map<std::string, VersionPolicy, std::less<>> policies_;
  std::vector<std::string> errors_;
};

/// The activities a runtime's workers can run. Activities have one version, 1.0.0.
class ActivityRegistry : public detail::HandlerTable<ActivityHandler> {
 public:
  class Builder;
  using HandlerTable::HandlerTable;

  static Builder builder();
  static Builder builder_from(const ActivityRegistry& base);
};

class ActivityRegistry::Builder {
 public:
  /// Registers an activity. A name with the reserved prefix "__duroxide_syscall:" or a duplicate
  /// is a recorded error.
  Builder& add(std::string name, ActivityHandler handler);
  /// Like add() for `Result<Out>(ActivityContext&, In)` with typed-codec decode/encode.
  template <class F>
  Builder& add_typed(std::string name, F f) {
    return add(std::move(name), detail::make_typed_activity(std::move(f)));
  }
  Builder& add_all(std::vector<std::pair<std::string, ActivityHandler>> handlers);
  Builder& merge(const ActivityRegistry& other);

  ActivityRegistry build() const;
  Result<ActivityRegistry> build_result() const;

 private:
  friend class ActivityRegistry;
  // The runtime adds the built-in system activities through this (no reserved-prefix check).
  friend struct detail::RegistryAccess;
  Builder& insert(std::string name, ActivityHandler handler, bool from_merge);

  HandlerTable::Names handlers_;
  std::vector<std::string> errors_;
};

}  // namespace duroxide
