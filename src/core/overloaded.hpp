// Overloaded: builds a std::visit visitor from lambdas. Private helper usable by every layer.
#pragma once

namespace duroxide::detail {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};

}  // namespace duroxide::detail
