// What the page sends, checked like client input before anything reaches the store
// (docs/dashboard.md, "Input limits"): sizes within limits, text valid UTF-8 (duroxide/utf8.hpp),
// numbers that are numbers. A bad value stops the request with 400 and a message naming it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <httplib.h>

#include "http_response.hpp"

namespace duroxide::dashboard {

/// Instance ids, orchestration and event names (the stores' limit for identifiers).
inline constexpr std::size_t kMaxIdentifierBytes = 1024;
/// Data of a raised event.
inline constexpr std::size_t kMaxEventDataBytes = 1024 * 1024;
/// A cancellation's or a termination's reason.
inline constexpr std::size_t kMaxReasonBytes = 4096;
/// A request body; a longer one is refused with 413 before it is read.
inline constexpr std::size_t kMaxBodyBytes = 2 * 1024 * 1024;
/// Instances on one page of the listing.
inline constexpr std::size_t kMaxPageLimit = 500;

/// Throws HttpError 400 unless `value` is valid UTF-8, at most `max_bytes` long and, unless
/// `may_be_empty`, not empty. `what` names the value in the message.
void check_text(std::string_view what, std::string_view value, std::size_t max_bytes, bool may_be_empty);

/// The query parameter `name`, checked with check_text; nothing when absent (an empty value is
/// absent too: a filter left blank).
std::optional<std::string> optional_param(const httplib::Request& request, const char* name, std::size_t max_bytes);

/// The query parameter `name`, which must be present and not empty.
std::string required_param(const httplib::Request& request, const char* name, std::size_t max_bytes);

/// The query parameter `name` as a whole number within [min, max]; nothing when absent.
std::optional<std::uint64_t> optional_number_param(const httplib::Request& request, const char* name, std::uint64_t min,
                                                   std::uint64_t max);

/// The request body: a JSON object in valid UTF-8.
Json json_body(const httplib::Request& request);

/// The string field `field` of a JSON body, checked with check_text; `fallback` when absent or
/// null (400 when absent and there is no fallback).
std::string body_text(const Json& body, const char* field, std::size_t max_bytes, bool may_be_empty,
                      std::optional<std::string> fallback = std::nullopt);

/// The boolean field `field` of a JSON body; `fallback` when absent or null, 400 when not a boolean.
bool body_flag(const Json& body, const char* field, bool fallback);

}  // namespace duroxide::dashboard
