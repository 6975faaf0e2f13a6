// What every fuzz target shares: a failed property prints what broke and aborts, so libFuzzer
// records the input as a crash (docs/fuzzing.md).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace duroxide::fuzz {

inline void check(bool ok, std::string_view property, std::string_view detail = {}) {
  if (ok) return;
  std::fprintf(stderr, "fuzz property violated: %.*s\n%.*s\n", static_cast<int>(property.size()), property.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

/// The property of a decoder whose wire format is not canonical: when `input` decodes, its encoding
/// decodes to the same value and encodes to the same bytes (a fixed point). Returns the value
/// decoded from `input` (nothing when it did not decode) for target-specific checks.
template <class Parse, class Serialize>
auto check_fixed_point(std::string_view input, Parse parse, Serialize serialize)
    -> std::optional<std::remove_cvref_t<decltype(*parse(input))>> {
  auto decoded = parse(input);
  if (!decoded) return std::nullopt;
  const std::string encoded = serialize(*decoded);
  auto again = parse(encoded);
  check(again.has_value(), "an encoded value decodes", again ? encoded : again.error() + "\n" + encoded);
  check(*again == *decoded, "decode(encode(decode(x))) == decode(x)", encoded);
  check(serialize(*again) == encoded, "encode(decode(e)) == e for an encoded e", encoded);
  return std::move(*decoded);
}

}  // namespace duroxide::fuzz
