#include "core/json_fields.hpp"

#include <limits>

#include <fmt/format.h>

namespace duroxide::wire {

std::string_view json_type_name(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "object";
    case Json::value_t::array:
      return "array";
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::number_integer:
      return "negative integer";
    case Json::value_t::number_unsigned:
      return "unsigned integer";
    case Json::value_t::number_float:
      return "floating-point number";
    case Json::value_t::binary:
      return "binary";
    case Json::value_t::discarded:
      return "discarded value";
  }
  return "unknown";
}

FieldReader::FieldReader(const Json& object, std::string where) : object_(object), where_(std::move(where)) {
  if (!object_.is_object()) {
    throw WireError(fmt::format("{} must be a JSON object, got {}", where_, json_type_name(object_)));
  }
}

void FieldReader::fail_type(const char* key, std::string_view expected, const Json& got) const {
  throw WireError(fmt::format("field '{}' of {} must be {}, got {}", key, where_, expected, json_type_name(got)));
}

const Json& FieldReader::required(const char* key) const {
  auto it = object_.find(key);
  if (it == object_.end()) throw WireError(fmt::format("missing required field '{}' in {}", key, where_));
  return *it;
}

const Json* FieldReader::optional(const char* key) const {
  auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string FieldReader::str(const char* key) const {
  const Json& v = required(key);
  if (!v.is_string()) fail_type(key, "a string", v);
  return v.get<std::string>();
}

std::optional<std::string> FieldReader::opt_str(const char* key) const {
  const Json* v = optional(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) fail_type(key, "a string or null", *v);
  return v->get<std::string>();
}

std::uint64_t FieldReader::u64(const char* key) const {
  const Json& v = required(key);
  if (!v.is_number_unsigned()) fail_type(key, "an unsigned integer", v);
  return v.get<std::uint64_t>();
}

std::optional<std::uint64_t> FieldReader::opt_u64(const char* key) const {
  const Json* v = optional(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number_unsigned()) fail_type(key, "an unsigned integer or null", *v);
  return v->get<std::uint64_t>();
}

std::uint64_t FieldReader::u64_or(const char* key, std::uint64_t fallback) const {
  return opt_u64(key).value_or(fallback);
}

std::uint32_t FieldReader::u32(const char* key) const {
  const std::uint64_t v = u64(key);
  if (v > std::numeric_limits<std::uint32_t>::max()) {
    throw WireError(fmt::format("field '{}' of {} is out of range for a 32-bit unsigned integer: {}", key, where_, v));
  }
  return static_cast<std::uint32_t>(v);
}

bool FieldReader::boolean(const char* key) const {
  const Json& v = required(key);
  if (!v.is_boolean()) fail_type(key, "a boolean", v);
  return v.get<bool>();
}

Json parse_json_text(std::string_view text) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw WireError(fmt::format("malformed JSON: {}", e.what()));
  }
}

std::pair<std::string, const Json*> external_tag(const Json& j, std::string_view what) {
  if (!j.is_object() || j.size() != 1) {
    throw WireError(
        fmt::format("{} must be an object with exactly one key naming the variant, got {}", what,
                    j.is_object() ? fmt::format("an object with {} keys", j.size()) : std::string(json_type_name(j))));
  }
  auto it = j.begin();
  return {it.key(), &it.value()};
}

OrderedJson carried_events_to_json(const std::vector<CarriedEvent>& events) {
  OrderedJson arr = OrderedJson::array();
  for (const auto& [name, data] : events) arr.push_back(OrderedJson::array({name, data}));
  return arr;
}

std::vector<CarriedEvent> carried_events_from_json(const Json& j, std::string_view where) {
  if (!j.is_array()) {
    throw WireError(
        fmt::format("field 'carry_forward_events' of {} must be an array, got {}", where, json_type_name(j)));
  }
  std::vector<CarriedEvent> out;
  out.reserve(j.size());
  for (const auto& pair : j) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
      throw WireError(
          fmt::format("each entry of 'carry_forward_events' in {} must be a [name, data] pair of strings", where));
    }
    out.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
  }
  return out;
}

std::string dump_compact(const OrderedJson& j) {
  return j.dump(-1, ' ', false, nlohmann::detail::error_handler_t::replace);
}

}  // namespace duroxide::wire
