// Error-details decoder. Not canonical on the wire (whitespace, key order, unknown keys, escapes),
// so the property is the fixed point: decoded details re-encode to text that decodes to the same
// details and re-encodes to the same bytes; the derived display message and category never throw.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <duroxide/wire.hpp>

#include "fuzz_check.hpp"

using duroxide::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto decoded = duroxide::parse_error_details(input);
  if (!decoded) return 0;
  const std::string encoded = duroxide::serialize_error_details(*decoded);
  auto again = duroxide::parse_error_details(encoded);
  check(again.has_value(), "encoded error details decode", again ? encoded : again.error() + "\n" + encoded);
  check(*again == *decoded, "decode(encode(decode(x))) == decode(x)", encoded);
  check(duroxide::serialize_error_details(*again) == encoded, "encode(decode(d)) == d for an encoded d", encoded);
  check(decoded->display_message() == again->display_message(), "the display message survives", encoded);
  check(decoded->category() == again->category(), "the category survives", encoded);
  return 0;
}
