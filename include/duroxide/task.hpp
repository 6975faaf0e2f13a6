// Task<T>: the coroutine type orchestrations and async blocks return, and the polling protocol
// every orchestration awaitable follows.
//
// Design: orchestration awaitables are *polled*, as in the reference (Rust futures). Every
// awaitable (Task, DurableFuture, join/select combinators) exposes `bool poll()` (try to make
// progress; true once a value is ready, and pure with respect to durable state) and `T take()`.
// `co_await x` asks `x.poll()` in await_ready: a ready value continues the coroutine inline, so
// replaying thousands of already-completed awaits is a plain loop inside one frame and never grows
// the stack. A coroutine that suspends records what it waits on in its promise; the executor (the
// replay engine) polls the root task, which polls what it waits on and resumes its frame only when
// that is ready. Resumption depth therefore equals the logical nesting of async blocks, never the
// number of awaits. Tasks are lazy: nothing runs until first polled (docs/orchestration-engine.md).
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

namespace duroxide {

namespace detail {

/// What a suspended coroutine is waiting on: a type-erased `poll()`.
struct PollTarget {
  void* object = nullptr;
  bool (*poll)(void*) = nullptr;
};

struct TaskPromiseBase {
  PollTarget waiting_on;
  std::exception_ptr exception;

  std::suspend_always initial_suspend() noexcept { return {}; }
  std::suspend_always final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { exception = std::current_exception(); }
};

/// Where a Task's result lives: `co_return value;` for Task<T>, plain `co_return;` for Task<void>
/// (whose awaiters receive std::monostate, so void tasks still compose in join/select).
template <class T>
struct TaskResultSlot {
  std::optional<T> value;
  void return_value(T v) { value.emplace(std::move(v)); }
};
template <>
struct TaskResultSlot<void> {
  std::optional<std::monostate> value;
  void return_void() { value.emplace(); }
};

/// CRTP mixin turning a pollable (`bool poll()`, `T take()`) into an awaitable for Task coroutines.
template <class Derived>
struct PollAwaitable {
  bool await_ready() { return static_cast<Derived*>(this)->poll(); }
  template <class Promise>
  void await_suspend(std::coroutine_handle<Promise> awaiting) {
    static_assert(std::is_base_of_v<TaskPromiseBase, Promise>,
                  "duroxide awaitables can only be awaited inside duroxide::Task coroutines");
    awaiting.promise().waiting_on = PollTarget{static_cast<Derived*>(this), &poll_thunk};
  }
  decltype(auto) await_resume() { return static_cast<Derived*>(this)->take(); }

 private:
  static bool poll_thunk(void* self) { return static_cast<Derived*>(self)->poll(); }
};

}  // namespace detail

/// The value type a pollable yields.
template <class F>
using PollValue = std::remove_cvref_t<decltype(std::declval<F&>().take())>;

/// A lazily started coroutine producing a T (Task<void> yields std::monostate to its awaiter).
/// Move-only; destroying it destroys the coroutine frame (and with it any un-awaited futures it
/// holds, which cancels their work, docs/orchestration-engine.md).
template <class T>
class [[nodiscard]] Task : public detail::PollAwaitable<Task<T>> {
 public:
  using value_type = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

  struct promise_type : detail::TaskPromiseBase, detail::TaskResultSlot<T> {
    Task get_return_object() { return Task(std::coroutine_handle<promise_type>::from_promise(*this)); }
  };

  Task() = default;
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { destroy(); }

  bool valid() const { return static_cast<bool>(handle_); }
  bool done() const { return handle_ && handle_.done(); }

  /// Makes as much progress as possible without blocking; true once the value is ready.
  /// Rethrows an exception that escaped the coroutine.
  bool poll() {
    if (!handle_) throw std::logic_error("duroxide::Task: poll of an empty task");
    if (handle_.done()) return rethrow_if_failed();
    auto& promise = handle_.promise();
    if (promise.waiting_on.poll != nullptr && !promise.waiting_on.poll(promise.waiting_on.object)) return false;
    promise.waiting_on = {};
    handle_.resume();
    if (!handle_.done()) return false;
    return rethrow_if_failed();
  }

  /// The coroutine's value; only after poll() returned true.
  value_type take() {
    auto& promise = handle_.promise();
    if (!promise.value) throw std::logic_error("duroxide::Task: take before completion");
    return std::move(*promise.value);
  }

 private:
  explicit Task(std::coroutine_handle<promise_type> handle) : handle_(handle) {}

  bool rethrow_if_failed() {
    auto& promise = handle_.promise();
    if (promise.exception) std::rethrow_exception(std::exchange(promise.exception, nullptr));
    return true;
  }
  void destroy() {
    if (handle_) std::exchange(handle_, {}).destroy();
  }

  std::coroutine_handle<promise_type> handle_;
};

}  // namespace duroxide
