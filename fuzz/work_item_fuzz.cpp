// Work-item decoder. Not canonical on the wire (whitespace, key order, unknown keys, escapes,
// null versus omitted optional fields), so the property is the fixed point: a decoded item
// re-encodes to text that decodes to the same item and re-encodes to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <duroxide/wire.hpp>

#include "fuzz_check.hpp"

using duroxide::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto decoded = duroxide::parse_work_item(input);
  if (!decoded) return 0;
  const std::string encoded = duroxide::serialize_work_item(*decoded);
  auto again = duroxide::parse_work_item(encoded);
  check(again.has_value(), "an encoded work item decodes", again ? encoded : again.error() + "\n" + encoded);
  check(*again == *decoded, "decode(encode(decode(x))) == decode(x)", encoded);
  check(duroxide::serialize_work_item(*again) == encoded, "encode(decode(w)) == w for an encoded w", encoded);
  return 0;
}
