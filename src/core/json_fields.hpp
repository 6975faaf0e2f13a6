// Private helpers of the wire format: a strict reader for JSON object fields that reports the
// exact problem (missing field, wrong type, out of range) and writers for optional fields.
// Readers throw WireError internally; the public parse_* functions turn it into an error value.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <duroxide/error_details.hpp>
#include <duroxide/event.hpp>

namespace duroxide::wire {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;  // writers keep duroxide's key order

/// Internal failure of a reader; never escapes the public parse_* functions.
class WireError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The JSON type of `j` in words, for error messages.
std::string_view json_type_name(const Json& j);

/// Reads the fields of one JSON object. `where` names the object in messages, e.g. "ActivityScheduled".
class FieldReader {
 public:
  FieldReader(const Json& object, std::string where);

  std::string str(const char* key) const;
  std::optional<std::string> opt_str(const char* key) const;  // missing or null ⇒ absent
  std::uint64_t u64(const char* key) const;
  std::optional<std::uint64_t> opt_u64(const char* key) const;
  std::uint64_t u64_or(const char* key, std::uint64_t fallback) const;
  std::uint32_t u32(const char* key) const;
  bool boolean(const char* key) const;
  const Json& required(const char* key) const;  // any JSON type
  const Json* optional(const char* key) const;  // nullptr when missing or null
  const std::string& where() const { return where_; }

  [[noreturn]] void fail_type(const char* key, std::string_view expected, const Json& got) const;

 private:
  const Json& object_;
  std::string where_;
};

/// Parses text into JSON, turning syntax errors into WireError("malformed JSON: ...").
Json parse_json_text(std::string_view text);

/// The single key of an externally tagged enum object ({"Variant": {...}}), and its value.
std::pair<std::string, const Json*> external_tag(const Json& j, std::string_view what);

OrderedJson error_details_to_json(const ErrorDetails& details);
ErrorDetails error_details_from_json(const Json& j, std::string_view where);

OrderedJson carried_events_to_json(const std::vector<CarriedEvent>& events);
std::vector<CarriedEvent> carried_events_from_json(const Json& j, std::string_view where);

OrderedJson event_to_json(const Event& event);
Event event_from_json(const Json& j);

/// The value, or JSON null when absent (duroxide's "always written, null when absent" fields).
template <class T>
OrderedJson nullable(const std::optional<T>& value) {
  return value ? OrderedJson(*value) : OrderedJson(nullptr);
}

/// Dumps compactly; invalid UTF-8 becomes U+FFFD instead of throwing.
std::string dump_compact(const OrderedJson& j);

}  // namespace duroxide::wire
