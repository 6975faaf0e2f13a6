// Deduces the parameter and result types of a callable (function, function pointer, lambda or
// other functor with one non-template call operator). Used by the typed registration helpers.
#pragma once

#include <tuple>
#include <type_traits>

namespace duroxide::detail {

template <class F>
struct CallableTraits : CallableTraits<decltype(&std::remove_cvref_t<F>::operator())> {};

template <class R, class... A>
struct CallableTraits<R(A...)> {
  using Result = R;
  using Args = std::tuple<A...>;
};
template <class R, class... A>
struct CallableTraits<R (*)(A...)> : CallableTraits<R(A...)> {};
template <class R, class C, class... A>
struct CallableTraits<R (C::*)(A...)> : CallableTraits<R(A...)> {};
template <class R, class C, class... A>
struct CallableTraits<R (C::*)(A...) const> : CallableTraits<R(A...)> {};
template <class R, class C, class... A>
struct CallableTraits<R (C::*)(A...) noexcept> : CallableTraits<R(A...)> {};
template <class R, class C, class... A>
struct CallableTraits<R (C::*)(A...) const noexcept> : CallableTraits<R(A...)> {};

/// The decayed type of the callable's N-th parameter.
template <class F, std::size_t N>
using CallableArg = std::remove_cvref_t<std::tuple_element_t<N, typename CallableTraits<F>::Args>>;

template <class F>
using CallableResult = typename CallableTraits<F>::Result;

/// Result<T> -> T.
template <class R>
struct ResultValue;
template <class T>
struct ResultValue<std::expected<T, std::string>> {
  using type = T;
};

}  // namespace duroxide::detail
