#include "request_input.hpp"

#include <charconv>

#include <fmt/format.h>

#include <duroxide/utf8.hpp>

namespace duroxide::dashboard {

void check_text(std::string_view what, std::string_view value, std::size_t max_bytes, bool may_be_empty) {
  if (auto problem = invalid_utf8_problem(what, value)) throw HttpError(400, *problem);
  if (value.size() > max_bytes) {
    throw HttpError(400, fmt::format("{} is too long: {} bytes, at most {}", what, value.size(), max_bytes));
  }
  if (value.empty() && !may_be_empty) throw HttpError(400, fmt::format("{} must not be empty", what));
}

std::optional<std::string> optional_param(const httplib::Request& request, const char* name, std::size_t max_bytes) {
  if (!request.has_param(name)) return std::nullopt;
  auto value = request.get_param_value(name);
  if (value.empty()) return std::nullopt;
  check_text(fmt::format("the parameter '{}'", name), value, max_bytes, false);
  return value;
}

std::string required_param(const httplib::Request& request, const char* name, std::size_t max_bytes) {
  auto value = optional_param(request, name, max_bytes);
  if (!value) throw HttpError(400, fmt::format("the parameter '{}' is required", name));
  return std::move(*value);
}

std::optional<std::uint64_t> optional_number_param(const httplib::Request& request, const char* name, std::uint64_t min,
                                                   std::uint64_t max) {
  const auto text = optional_param(request, name, 32);
  if (!text) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size() || value < min || value > max) {
    throw HttpError(400, fmt::format("the parameter '{}' must be a whole number from {} to {}", name, min, max));
  }
  return value;
}

Json json_body(const httplib::Request& request) {
  check_text("the request body", request.body, kMaxBodyBytes, false);
  Json body;
  try {
    body = Json::parse(request.body);
  } catch (const Json::exception& error) {
    throw HttpError(400, fmt::format("the request body is not valid JSON: {}", error.what()));
  }
  if (!body.is_object()) throw HttpError(400, "the request body must be a JSON object");
  return body;
}

std::string body_text(const Json& body, const char* field, std::size_t max_bytes, bool may_be_empty,
                      std::optional<std::string> fallback) {
  const auto found = body.find(field);
  if (found == body.end() || found->is_null()) {
    if (!fallback) throw HttpError(400, fmt::format("the field '{}' is required", field));
    return std::move(*fallback);
  }
  if (!found->is_string()) throw HttpError(400, fmt::format("the field '{}' must be a string", field));
  auto value = found->get<std::string>();
  check_text(fmt::format("the field '{}'", field), value, max_bytes, may_be_empty);
  return value;
}

bool body_flag(const Json& body, const char* field, bool fallback) {
  const auto found = body.find(field);
  if (found == body.end() || found->is_null()) return fallback;
  if (!found->is_boolean()) throw HttpError(400, fmt::format("the field '{}' must be true or false", field));
  return found->get<bool>();
}

}  // namespace duroxide::dashboard
