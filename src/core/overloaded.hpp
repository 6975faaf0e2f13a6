// Overloaded: builds a std::visit visitor from lambdas. Private helper usable by every layer.
#pragma once

namespace duroxide::detail {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
// Implicit in C++20, but clang 14 (the fuzz build, docs/fuzzing.md) needs it spelled out.
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace duroxide::detail
