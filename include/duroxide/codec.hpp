// The typed codec of every `_typed` API (docs/core.md, "Typed codec"), built on nlohmann::json's
// to_json/from_json (the analogue of serde): make a type usable by giving it those functions, e.g.
// with NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE.
#pragma once

#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <duroxide/result.hpp>

namespace duroxide::codec {

/// Reads an integer of type I from `j`, strictly: a floating-point number or an integer outside I's
/// range throws std::out_of_range naming the value, where nlohmann::json's own conversion truncates,
/// wraps or (for a float out of range) is undefined behaviour. Use it in a hand-written `from_json`
/// for integer fields of untrusted input (docs/core.md, "Typed codec").
template <class I>
requires(std::is_integral_v<I> && !std::is_same_v<I, bool>) I get_integer(const nlohmann::json& j) {
  if (j.is_number_unsigned()) {
    const auto v = j.get<std::uint64_t>();
    if (v <= static_cast<std::uint64_t>(std::numeric_limits<I>::max())) return static_cast<I>(v);
    throw std::out_of_range("integer " + j.dump() + " is out of range for its field");
  }
  if (j.is_number_integer()) {
    const auto v = j.get<std::int64_t>();
    if (std::in_range<I>(v)) return static_cast<I>(v);
    throw std::out_of_range("integer " + j.dump() + " is out of range for its field");
  }
  if (j.is_number_float()) throw std::out_of_range("number " + j.dump() + " is not an integer");
  return j.get<I>();  // not a number: nlohmann's type error says so
}

namespace detail {

// Checks, before nlohmann converts, that every number bound for an integer of T is an integer in
// range. It sees integers at the top level and inside vector and string-keyed map; the
// fields of a user type are converted by its own from_json (see get_integer).
template <class T>
struct IntegerCheck {
  static void run(const nlohmann::json&) {}
};
template <class I>
requires(std::is_integral_v<I> && !std::is_same_v<I, bool>) struct IntegerCheck<I> {
  static void run(const nlohmann::json& j) {
    if (j.is_number()) (void)get_integer<I>(j);
  }
};
template <class T, class A>
struct IntegerCheck<std::vector<T, A>> {
  static void run(const nlohmann::json& j) {
    if (!j.is_array()) return;
    for (const auto& element : j) IntegerCheck<T>::run(element);
  }
};
template <class T, class C, class A>
struct IntegerCheck<std::map<std::string, T, C, A>> {
  static void run(const nlohmann::json& j) {
    if (!j.is_object()) return;
    for (const auto& [key, value] : j.items()) IntegerCheck<T>::run(value);
  }
};

template <class T>
T convert(const nlohmann::json& j) {
  IntegerCheck<T>::run(j);
  return j.template get<T>();
}

}  // namespace detail

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
/// An integer of T (see detail::IntegerCheck) must be given as an integer within its range.
template <class T>
Result<T> decode(std::string_view text) {
  try {
    auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) return detail::convert<T>(parsed);
  } catch (const std::out_of_range& e) {
    return Err(e.what());  // a number that does not fit its integer: not a string either
  } catch (const std::exception&) {
    // Parsed as JSON but not convertible to T: fall through to the raw-string reading.
  }
  try {
    return detail::convert<T>(nlohmann::json(std::string(text)));
  } catch (const std::exception& e) {
    return Err(e.what());
  }
}

}  // namespace duroxide::codec
