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

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto decoded = duroxide::parse_history(input);
  if (!decoded) return 0;
  const std::string encoded = duroxide::serialize_history(*decoded);
  auto again = duroxide::parse_history(encoded);
  check(again.has_value(), "an encoded history decodes", again ? encoded : again.error() + "\n" + encoded);
  check(*again == *decoded, "decode(encode(decode(x))) == decode(x)", encoded);
  check(duroxide::serialize_history(*again) == encoded, "encode(decode(h)) == h for an encoded h", encoded);
  std::string joined = "[";
  for (std::size_t i = 0; i < decoded->size(); ++i) {
    if (i > 0) joined += ',';
    joined += duroxide::serialize_event((*decoded)[i]);
  }
  joined += ']';
  check(joined == encoded, "a history encodes as its events' encodings", encoded);
  return 0;
}
