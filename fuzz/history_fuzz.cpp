// Whole-history decoder (a JSON array of events). Not canonical on the wire, so the property is
// the fixed point, as for single events; in addition the array encoding is exactly the events'
// own encodings joined by commas, so a history and its events can never disagree.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <duroxide/wire.hpp>

#include "fuzz_check.hpp"

using duroxide::fuzz::check;
using duroxide::fuzz::check_fixed_point;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto decoded = check_fixed_point(
      input, [](std::string_view text) { return duroxide::parse_history(text); },
      [](const auto& value) { return duroxide::serialize_history(value); });
  if (!decoded) return 0;
  std::string joined = "[";
  for (std::size_t i = 0; i < decoded->size(); ++i) {
    if (i > 0) joined += ',';
    joined += duroxide::serialize_event((*decoded)[i]);
  }
  joined += ']';
  check(joined == duroxide::serialize_history(*decoded), "a history encodes as its events' encodings", joined);
  return 0;
}
