// The typed codec of every `_typed` API (docs/core.md, "Typed codec"), built on nlohmann::json's
// to_json/from_json (the analogue of serde): make a type usable by giving it those functions, e.g.
// with NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <duroxide/result.hpp>

namespace duroxide::codec {

/// Encodes `value` as text: a JSON string is stored raw (its content, no quotes); anything else is
/// compact JSON with object keys sorted. Fails (never throws) when the value cannot be converted.
template <class T>
Result<std::string> encode(const T& value) {
  try {
    nlohmann::json j = value;
    if (j.is_string()) return j.get<std::string>();
    return j.dump();
  } catch (const std::exception& e) {
    return Err(std::string("encode error: ") + e.what());
  }
}

/// Decodes text into T: first as JSON; when that fails, as the content of a JSON string (so for
/// T = std::string both `abc` and `"abc"` give "abc"). Returns the conversion error text otherwise.
template <class T>
Result<T> decode(std::string_view text) {
  try {
    auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) return parsed.template get<T>();
  } catch (const std::exception&) {
    // Parsed as JSON but not convertible to T: fall through to the raw-string reading.
  }
  try {
    return nlohmann::json(std::string(text)).template get<T>();
  } catch (const std::exception& e) {
    return Err(e.what());
  }
}

}  // namespace duroxide::codec
