// The typed codec (include/duroxide/codec.hpp). Its encoding of any non-string value is canonical
// (compact JSON, object keys sorted), so a decoded value must re-encode to bytes that decode to
// the same value and re-encode identically. A string is stored raw, without quotes, so text that
// is itself JSON reads back as that JSON: for strings only the raw storage is checked.
// Integer targets, top level and inside containers, go through the codec's checked conversion: a
// floating number or an integer out of range is an error, never nlohmann's plain cast (undefined
// for a float out of range; found by this target, docs/fuzzing.md).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <duroxide/codec.hpp>

#include "fuzz_check.hpp"

using duroxide::fuzz::check;

namespace {

struct Order {
  std::string id;
  double price = 0;
  std::vector<std::string> tags;
  bool express = false;
  bool operator==(const Order&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Order, id, price, tags, express)

template <class T>
void round_trip(std::string_view input) {
  auto decoded = duroxide::codec::decode<T>(input);
  if (!decoded) return;
  auto encoded = duroxide::codec::encode(*decoded);
  check(encoded.has_value(), "a decoded value encodes", encoded ? "" : encoded.error());
  auto again = duroxide::codec::decode<T>(*encoded);
  check(again.has_value(), "an encoded value decodes", again ? *encoded : again.error() + "\n" + *encoded);
  check(*again == *decoded, "decode(encode(decode(x))) == decode(x)", *encoded);
  auto re_encoded = duroxide::codec::encode(*again);
  check(re_encoded.has_value() && *re_encoded == *encoded, "encoding is canonical", *encoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  auto value = duroxide::codec::decode<nlohmann::json>(input);
  check(value.has_value(), "any text decodes as a JSON value (a string when it is not JSON)");
  if (value->is_string()) {
    auto encoded = duroxide::codec::encode(*value);
    check(encoded.has_value() && *encoded == value->get<std::string>(), "a string is stored raw");
  } else {
    round_trip<nlohmann::json>(input);
  }
  round_trip<Order>(input);
  round_trip<std::map<std::string, double>>(input);
  round_trip<double>(input);
  round_trip<int>(input);
  round_trip<std::uint8_t>(input);
  round_trip<std::vector<std::int64_t>>(input);
  round_trip<std::map<std::string, std::uint32_t>>(input);
  round_trip<std::vector<std::vector<std::int16_t>>>(input);
  return 0;
}
