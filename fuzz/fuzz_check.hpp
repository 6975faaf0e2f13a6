// What every fuzz target shares: a failed property prints what broke and aborts, so libFuzzer
// records the input as a crash (docs/fuzzing.md).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace duroxide::fuzz {

inline void check(bool ok, std::string_view property, std::string_view detail = {}) {
  if (ok) return;
  std::fprintf(stderr, "fuzz property violated: %.*s\n%.*s\n", static_cast<int>(property.size()), property.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

}  // namespace duroxide::fuzz
