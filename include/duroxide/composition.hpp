// join / select over durable futures and tasks (docs/orchestration-engine.md). Both are pollables themselves, so
// they nest (a select of joins, a join of tasks that select, ...).
#pragma once

#include <cstddef>
#include <optional>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include <duroxide/task.hpp>

namespace duroxide {

/// The outcome of select2: which branch won (0 or 1) and its value.
template <class A, class B>
class Either2 {
 public:
  static Either2 first(A value) { return Either2(std::in_place_index<0>, std::move(value)); }
  static Either2 second(B value) { return Either2(std::in_place_index<1>, std::move(value)); }

  std::size_t index() const { return value_.index(); }
  bool is_first() const { return value_.index() == 0; }
  bool is_second() const { return value_.index() == 1; }
  A& first_value() { return std::get<0>(value_); }
  B& second_value() { return std::get<1>(value_); }

 private:
  template <std::size_t I, class V>
  Either2(std::in_place_index_t<I> index, V&& value) : value_(index, std::forward<V>(value)) {}
  std::variant<A, B> value_;
};

/// The outcome of select3: which branch won (0, 1 or 2) and its value.
template <class A, class B, class C>
class Either3 {
 public:
  template <std::size_t I, class V>
  static Either3 make(V&& value) {
    return Either3(std::in_place_index<I>, std::forward<V>(value));
  }
  std::size_t index() const { return value_.index(); }
  A& first_value() { return std::get<0>(value_); }
  B& second_value() { return std::get<1>(value_); }
  C& third_value() { return std::get<2>(value_); }

 private:
  template <std::size_t I, class V>
  Either3(std::in_place_index_t<I> index, V&& value) : value_(index, std::forward<V>(value)) {}
  std::variant<A, B, C> value_;
};

/// Waits for every future of a list; results in list order. Children are never dropped early.
template <class F>
class [[nodiscard]] JoinAll : public detail::PollAwaitable<JoinAll<F>> {
 public:
  explicit JoinAll(std::vector<F> children) : children_(std::move(children)), ready_(children_.size(), false) {}

  bool poll() {
    bool all = true;
    for (std::size_t i = 0; i < children_.size(); ++i) {
      if (!ready_[i]) ready_[i] = children_[i].poll();
      all = all && ready_[i];
    }
    return all;
  }
  std::vector<PollValue<F>> take() {
    std::vector<PollValue<F>> results;
    results.reserve(children_.size());
    for (auto& child : children_) results.push_back(child.take());
    return results;
  }

 private:
  std::vector<F> children_;
  std::vector<bool> ready_;
};

/// Waits for every future of a fixed set; results as a tuple in argument order.
template <class... Fs>
class [[nodiscard]] JoinTuple : public detail::PollAwaitable<JoinTuple<Fs...>> {
 public:
  explicit JoinTuple(Fs... children) : children_(std::move(children)...) {}

  bool poll() {
    return std::apply([this](auto&... child) { return poll_each(std::index_sequence_for<Fs...>{}, child...); },
                      children_);
  }
  std::tuple<PollValue<Fs>...> take() {
    return std::apply([](auto&... child) { return std::tuple<PollValue<Fs>...>(child.take()...); }, children_);
  }

 private:
  template <std::size_t... I, class... Cs>
  bool poll_each(std::index_sequence<I...>, Cs&... child) {
    bool all = true;
    ((ready_[I] = ready_[I] || child.poll(), all = all && ready_[I]), ...);
    return all;
  }
  std::tuple<Fs...> children_;
  bool ready_[sizeof...(Fs)] = {};
};

/// First of two to complete wins (ties: argument order); the loser is destroyed at once, which
/// cancels its work (docs/orchestration-engine.md, "Dropped futures").
template <class A, class B>
class [[nodiscard]] Select2 : public detail::PollAwaitable<Select2<A, B>> {
 public:
  using Output = Either2<PollValue<A>, PollValue<B>>;
  Select2(A a, B b) : a_(std::move(a)), b_(std::move(b)) {}

  bool poll() {
    if (result_) return true;
    if (a_->poll()) {
      result_.emplace(Output::first(a_->take()));
    } else if (b_->poll()) {
      result_.emplace(Output::second(b_->take()));
    } else {
      return false;
    }
    a_.reset();
    b_.reset();
    return true;
  }
  Output take() { return std::move(*result_); }

 private:
  std::optional<A> a_;
  std::optional<B> b_;
  std::optional<Output> result_;
};

/// First of three to complete wins (ties: argument order); losers are destroyed at once.
template <class A, class B, class C>
class [[nodiscard]] Select3 : public detail::PollAwaitable<Select3<A, B, C>> {
 public:
  using Output = Either3<PollValue<A>, PollValue<B>, PollValue<C>>;
  Select3(A a, B b, C c) : a_(std::move(a)), b_(std::move(b)), c_(std::move(c)) {}

  bool poll() {
    if (result_) return true;
    if (a_->poll()) {
      result_.emplace(Output::template make<0>(a_->take()));
    } else if (b_->poll()) {
      result_.emplace(Output::template make<1>(b_->take()));
    } else if (c_->poll()) {
      result_.emplace(Output::template make<2>(c_->take()));
    } else {
      return false;
    }
    a_.reset();
    b_.reset();
    c_.reset();
    return true;
  }
  Output take() { return std::move(*result_); }

 private:
  std::optional<A> a_;
  std::optional<B> b_;
  std::optional<C> c_;
  std::optional<Output> result_;
};

}  // namespace duroxide
