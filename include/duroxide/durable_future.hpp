// DurableFuture<T>: the awaitable every schedule_* call returns (docs/orchestration-engine.md).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include <duroxide/detail/context_state.hpp>
#include <duroxide/task.hpp>

namespace duroxide {

namespace detail {

/// Identity of a scheduled operation. Destroying it before its value was consumed records a drop,
/// which the engine turns into a cancellation (docs/orchestration-engine.md, "Dropped futures").
class FutureIdentity {
 public:
  FutureIdentity(std::shared_ptr<ContextState> state, std::uint64_t token, FutureKind kind)
      : state_(std::move(state)), token_(token), kind_(kind) {}
  FutureIdentity(const FutureIdentity&) = delete;
  FutureIdentity& operator=(const FutureIdentity&) = delete;
  // Moving hands the operation over: only the destination can still record a drop.
  FutureIdentity(FutureIdentity&& other) noexcept
      : state_(std::move(other.state_)), token_(other.token_), kind_(other.kind_), consumed_(other.consumed_) {
    other.consumed_ = true;
  }
  FutureIdentity& operator=(FutureIdentity&& other) noexcept {
    if (this != &other) {
      release();
      state_ = std::move(other.state_);
      token_ = other.token_;
      kind_ = other.kind_;
      consumed_ = std::exchange(other.consumed_, true);
    }
    return *this;
  }
  ~FutureIdentity() { release(); }

  ContextState& state() const { return *state_; }
  std::uint64_t token() const { return token_; }
  FutureKind kind() const { return kind_; }
  void mark_consumed() { consumed_ = true; }

 private:
  void release() {
    if (!consumed_) state_->record_drop(token_, kind_);
  }

  std::shared_ptr<ContextState> state_;
  std::uint64_t token_;
  FutureKind kind_;
  bool consumed_ = false;
};

}  // namespace detail

/// A handle to one durable operation. Move-only. `co_await` it inside a Task, or pass it to
/// join/select. Destroying it before its value was consumed cancels the operation (activity:
/// cancellation request; sub-orchestration: child cancelled; waits: subscription cancelled;
/// timers: nothing).
template <class T>
class [[nodiscard]] DurableFuture : public detail::PollAwaitable<DurableFuture<T>> {
 public:
  using Probe = std::function<std::optional<T>()>;

  DurableFuture(detail::FutureIdentity identity, Probe probe)
      : identity_(std::move(identity)), probe_(std::move(probe)) {}
  DurableFuture(DurableFuture&&) noexcept = default;
  DurableFuture& operator=(DurableFuture&&) noexcept = default;
  DurableFuture(const DurableFuture&) = delete;
  DurableFuture& operator=(const DurableFuture&) = delete;
  ~DurableFuture() = default;

  /// True once the result is available (checks delivered results; never blocks).
  bool poll() {
    if (ready_) return true;
    if (auto value = probe_()) ready_.emplace(std::move(*value));
    return ready_.has_value();
  }

  /// Consumes the result; only after poll() returned true.
  T take() {
    if (!ready_) throw std::logic_error("duroxide::DurableFuture: take before completion");
    identity_.mark_consumed();
    return std::move(*ready_);
  }

  /// A future of f(result): same operation, same cancellation; f runs synchronously on resolution.
  template <class F>
  auto map(F f) && -> DurableFuture<std::invoke_result_t<F, T>> {
    using U = std::invoke_result_t<F, T>;
    auto probe = [inner = std::move(probe_), ready = std::move(ready_),
                  fn = std::move(f)]() mutable -> std::optional<U> {
      if (!ready) ready = inner();
      if (!ready) return std::nullopt;
      return std::optional<U>(fn(std::move(*ready)));
    };
    return DurableFuture<U>(std::move(identity_), std::move(probe));
  }

  /// Sets the routing tag of this activity (only activities; only before the code yields back to
  /// the engine). Misuse throws std::logic_error, which fails the orchestration (docs/orchestration-engine.md).
  DurableFuture&& with_tag(std::string tag) && {
    if (identity_.kind() != FutureKind::Activity) throw std::logic_error("with_tag is only valid on activity futures");
    auto* action = identity_.state().queued_action(identity_.token());
    auto* call = action ? std::get_if<actions::CallActivity>(action) : nullptr;
    if (call == nullptr)
      throw std::logic_error("with_tag must be called before the orchestration yields (activity already scheduled)");
    call->tag = std::move(tag);
    return std::move(*this);
  }

  std::uint64_t token() const { return identity_.token(); }
  FutureKind kind() const { return identity_.kind(); }

 private:
  // Held by value: one heap allocation fewer per scheduled operation.
  detail::FutureIdentity identity_;
  Probe probe_;
  std::optional<T> ready_;
};

/// Returned by continue_as_new*: never completes; code after `co_await` of it never runs.
class [[nodiscard]] ContinueAsNewAwaitable : public detail::PollAwaitable<ContinueAsNewAwaitable> {
 public:
  bool poll() { return false; }
  std::monostate take() { throw std::logic_error("continue_as_new never completes"); }
};

}  // namespace duroxide
