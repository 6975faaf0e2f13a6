// Work-item decoder. Not canonical on the wire (whitespace, key order, unknown keys, escapes,
// null versus omitted optional fields), so the property is the fixed point: a decoded item
// re-encodes to text that decodes to the same item and re-encodes to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <duroxide/wire.hpp>

#include "fuzz_check.hpp"

using duroxide::fuzz::check_fixed_point;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)check_fixed_point(
      input, [](std::string_view text) { return duroxide::parse_work_item(text); },
      [](const auto& value) { return duroxide::serialize_work_item(value); });
  return 0;
}
