// Event decoder. The wire format is not canonical (whitespace, key order, unknown keys, escapes,
// null versus omitted optional fields all vary), so the property is the fixed point: a decoded
// event re-encodes to text that decodes to the same event and re-encodes to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <duroxide/wire.hpp>

#include "fuzz_check.hpp"

using duroxide::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto decoded = duroxide::parse_event(input);
  if (!decoded) return 0;
  const std::string encoded = duroxide::serialize_event(*decoded);
  auto again = duroxide::parse_event(encoded);
  check(again.has_value(), "an encoded event decodes", again ? encoded : again.error() + "\n" + encoded);
  check(*again == *decoded, "decode(encode(decode(x))) == decode(x)", encoded);
  check(duroxide::serialize_event(*again) == encoded, "encode(decode(e)) == e for an encoded e", encoded);
  return 0;
}
