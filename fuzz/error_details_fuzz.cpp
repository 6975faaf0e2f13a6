// Error-details decoder. Not canonical on the wire (whitespace, key order, unknown keys, escapes),
// so the property is the fixed point: decoded details re-encode to text that decodes to the same
// details and re-encodes to the same bytes; the derived display message and category never throw.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <duroxide/wire.hpp>

#include "fuzz_check.hpp"

using duroxide::fuzz::check;
using duroxide::fuzz::check_fixed_point;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto decoded = check_fixed_point(
      input, [](std::string_view text) { return duroxide::parse_error_details(text); },
      [](const auto& value) { return duroxide::serialize_error_details(value); });
  if (!decoded) return 0;
  // Derived strings never throw, and survive the round trip.
  const auto again = duroxide::parse_error_details(duroxide::serialize_error_details(*decoded));
  check(decoded->display_message() == again->display_message(), "the display message survives", input);
  check(decoded->category() == again->category(), "the category survives", input);
  return 0;
}
