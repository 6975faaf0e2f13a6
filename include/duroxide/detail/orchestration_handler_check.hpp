// Compile-time check of an orchestration handler's parameters. A handler is a lazy coroutine: it
// starts after the std::function call that created it has returned, so a reference parameter
// would refer to that call's arguments, already destroyed (docs/orchestration-engine.md).
#pragma once

#include <tuple>
#include <type_traits>

#include <duroxide/detail/callable_traits.hpp>

namespace duroxide::detail {

/// A callable whose parameter list can be read: a function (pointer) or a functor with one
/// non-template call operator. Generic lambdas cannot be inspected and are let through.
template <class F>
concept InspectableCallable = std::is_function_v<std::remove_pointer_t<std::decay_t<F>>> || requires {
  &std::remove_cvref_t<F>::operator();
};

template <class Args>
struct AnyReferenceParameter;
template <class... A>
struct AnyReferenceParameter<std::tuple<A...>> : std::bool_constant<(std::is_reference_v<A> || ...)> {};

template <class F>
constexpr bool orchestration_parameters_by_value() {
  if constexpr (InspectableCallable<F>) {
    return !AnyReferenceParameter<typename CallableTraits<std::decay_t<F>>::Args>::value;
  } else {
    return true;
  }
}

}  // namespace duroxide::detail
