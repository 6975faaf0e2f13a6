// UTF-8 checks for the boundaries where strings enter the engine (docs/core.md "Wire format"):
// every stored string must be well-formed UTF-8, so the client, the runtime's turn validation and
// the worker reject anything else with an error naming the field and the first bad byte.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace duroxide {

/// The offset of the first byte that does not belong to well-formed UTF-8 (overlong forms,
/// surrogates and code points past U+10FFFF included), or nothing when `text` is valid.
/// Embedded NUL bytes are valid.
std::optional<std::size_t> first_invalid_utf8_offset(std::string_view text);

/// "<what> is not valid UTF-8 at byte N", or nothing when `text` is valid.
std::optional<std::string> invalid_utf8_problem(std::string_view what, std::string_view text);

}  // namespace duroxide
