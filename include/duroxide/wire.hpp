// The JSON wire format of events, work items and error details (docs/core.md), byte-compatible with
// duroxide 0.1.27: compact JSON, keys in duroxide's order, optional fields omitted or null exactly
// as duroxide writes them. Readers ignore unknown keys and accept missing optional fields.
//
// Parsing never throws: malformed JSON, an unknown `type`, a missing required field or a field of
// the wrong type yields an error message that names the problem.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <duroxide/error_details.hpp>
#include <duroxide/event.hpp>
#include <duroxide/result.hpp>
#include <duroxide/work_item.hpp>

namespace duroxide {

/// Compact JSON of one history event. Strings must be valid UTF-8; invalid bytes are written as
/// U+FFFD (API boundaries reject invalid UTF-8 before it gets here).
std::string serialize_event(const Event& event);
Result<Event> parse_event(std::string_view json);

/// A whole history as a JSON array of events (export, comparison, fixtures).
std::string serialize_history(const std::vector<Event>& history);
Result<std::vector<Event>> parse_history(std::string_view json);

std::string serialize_work_item(const WorkItem& item);
Result<WorkItem> parse_work_item(std::string_view json);

std::string serialize_error_details(const ErrorDetails& details);
Result<ErrorDetails> parse_error_details(std::string_view json);

/// True when `text` is well-formed UTF-8 (what every stored string must be).
bool is_valid_utf8(std::string_view text);

}  // namespace duroxide
