// std::expected for the fuzz build only (docs/fuzzing.md): libFuzzer needs clang, Debian's clang 14
// reports concepts as 201907L, so libstdc++ 12's <expected> comes out empty under it, and libc++
// 14 has none. The fuzz build force-includes this header (-include); when the standard library
// provides std::expected (g++, a newer clang) it adds nothing. It covers what our sources use: a
// value or an error held in a std::variant, with the standard's names and observable behaviour.
#pragma once

#include <version>

#include <expected>

#if !defined(__cpp_lib_expected)

#include <exception>
#include <initializer_list>
#include <type_traits>
#include <utility>
#include <variant>

namespace std {

struct unexpect_t {
  explicit unexpect_t() = default;
};
inline constexpr unexpect_t unexpect{};

template <class E>
class bad_expected_access : public exception {
 public:
  explicit bad_expected_access(E e) : error_(std::move(e)) {}
  const char* what() const noexcept override { return "bad access to std::expected without expected value"; }
  const E& error() const& noexcept { return error_; }

 private:
  E error_;
};

template <class E>
class unexpected {
 public:
  template <class Err = E>
  requires(!is_same_v<remove_cvref_t<Err>, unexpected> && !is_same_v<remove_cvref_t<Err>, in_place_t> &&
           is_constructible_v<E, Err>) constexpr explicit unexpected(Err&& e)
      : error_(std::forward<Err>(e)) {}
  template <class... Args>
  constexpr explicit unexpected(in_place_t, Args&&... args) : error_(std::forward<Args>(args)...) {}

  constexpr const E& error() const& noexcept { return error_; }
  constexpr E& error() & noexcept { return error_; }
  constexpr E&& error() && noexcept { return std::move(error_); }

  template <class E2>
  friend constexpr bool operator==(const unexpected& x, const unexpected<E2>& y) {
    return x.error() == y.error();
  }

 private:
  E error_;
};

template <class E>
unexpected(E) -> unexpected<E>;

namespace expected_shim_detail {
template <class T>
struct is_unexpected : false_type {};
template <class E>
struct is_unexpected<unexpected<E>> : true_type {};
}  // namespace expected_shim_detail

template <class T, class E>
class expected {
  // Index 0 holds the value, 1 the error (T and E may be the same type).
  using Storage = variant<conditional_t<is_void_v<T>, monostate, T>, E>;
  using Value = conditional_t<is_void_v<T>, monostate, T>;

 public:
  using value_type = T;
  using error_type = E;
  using unexpected_type = unexpected<E>;
  template <class U>
  using rebind = expected<U, error_type>;

  constexpr expected() : storage_(in_place_index<0>) {}
  constexpr expected(const expected&) = default;
  constexpr expected(expected&&) = default;
  constexpr expected& operator=(const expected&) = default;
  constexpr expected& operator=(expected&&) = default;

  template <class U = Value>
  requires(!is_void_v<T> && !is_same_v<remove_cvref_t<U>, expected> && !is_same_v<remove_cvref_t<U>, in_place_t> &&
           !is_same_v<remove_cvref_t<U>, unexpect_t> &&
           !expected_shim_detail::is_unexpected<remove_cvref_t<U>>::value &&
           is_constructible_v<Value, U>) constexpr explicit(!is_convertible_v<U, Value>) expected(U&& v)
      : storage_(in_place_index<0>, std::forward<U>(v)) {}

  template <class G>
  requires is_constructible_v<E, const G&>
  constexpr explicit(!is_convertible_v<const G&, E>) expected(const unexpected<G>& e)
      : storage_(in_place_index<1>, e.error()) {}
  template <class G>
  requires is_constructible_v<E, G>
  constexpr explicit(!is_convertible_v<G, E>) expected(unexpected<G>&& e)
      : storage_(in_place_index<1>, std::move(e).error()) {}

  template <class... Args>
  constexpr explicit expected(in_place_t, Args&&... args) : storage_(in_place_index<0>, std::forward<Args>(args)...) {}
  template <class... Args>
  constexpr explicit expected(unexpect_t, Args&&... args) : storage_(in_place_index<1>, std::forward<Args>(args)...) {}

  template <class U = Value>
  requires(!is_void_v<T> && !is_same_v<remove_cvref_t<U>, expected> &&
           !expected_shim_detail::is_unexpected<remove_cvref_t<U>>::value &&
           is_constructible_v<Value, U>) constexpr expected&
  operator=(U&& v) {
    storage_.template emplace<0>(std::forward<U>(v));
    return *this;
  }
  template <class G>
  constexpr expected& operator=(const unexpected<G>& e) {
    storage_.template emplace<1>(e.error());
    return *this;
  }
  template <class G>
  constexpr expected& operator=(unexpected<G>&& e) {
    storage_.template emplace<1>(std::move(e).error());
    return *this;
  }

  template <class... Args>
  constexpr decltype(auto) emplace(Args&&... args) {
    storage_.template emplace<0>(std::forward<Args>(args)...);
    if constexpr (!is_void_v<T>) return (std::get<0>(storage_));
  }

  constexpr bool has_value() const noexcept { return storage_.index() == 0; }
  constexpr explicit operator bool() const noexcept { return has_value(); }

  constexpr const Value* operator->() const noexcept { return std::get_if<0>(&storage_); }
  constexpr Value* operator->() noexcept { return std::get_if<0>(&storage_); }
  constexpr const Value& operator*() const& noexcept { return *std::get_if<0>(&storage_); }
  constexpr Value& operator*() & noexcept { return *std::get_if<0>(&storage_); }
  constexpr Value&& operator*() && noexcept { return std::move(*std::get_if<0>(&storage_)); }

  constexpr decltype(auto) value() const& {
    if (!has_value()) throw bad_expected_access<E>(error());
    if constexpr (!is_void_v<T>) return (**this);
  }
  constexpr decltype(auto) value() & {
    if (!has_value()) throw bad_expected_access<E>(error());
    if constexpr (!is_void_v<T>) return (**this);
  }
  constexpr decltype(auto) value() && {
    if (!has_value()) throw bad_expected_access<E>(std::move(error()));
    if constexpr (!is_void_v<T>) return std::move(**this);
  }

  constexpr const E& error() const& noexcept { return *std::get_if<1>(&storage_); }
  constexpr E& error() & noexcept { return *std::get_if<1>(&storage_); }
  constexpr E&& error() && noexcept { return std::move(*std::get_if<1>(&storage_)); }

  template <class U>
  constexpr Value value_or(U&& fallback) const& {
    return has_value() ? **this : static_cast<Value>(std::forward<U>(fallback));
  }
  template <class U>
  constexpr Value value_or(U&& fallback) && {
    return has_value() ? std::move(**this) : static_cast<Value>(std::forward<U>(fallback));
  }

  template <class T2, class E2>
  friend constexpr bool operator==(const expected& x, const expected<T2, E2>& y) {
    if (x.has_value() != y.has_value()) return false;
    if (!x.has_value()) return x.error() == y.error();
    if constexpr (is_void_v<T>) {
      return true;
    } else {
      return *x == *y;
    }
  }
  template <class U>
  requires(!is_void_v<T> && !expected_shim_detail::is_unexpected<U>::value) friend constexpr bool operator==(
      const expected& x, const U& v) {
    return x.has_value() && *x == v;
  }
  template <class G>
  friend constexpr bool operator==(const expected& x, const unexpected<G>& e) {
    return !x.has_value() && x.error() == e.error();
  }

 private:
  Storage storage_;
};

}  // namespace std

#endif  // !defined(__cpp_lib_expected)
