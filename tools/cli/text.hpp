// Text for people: how the tool prints stored values in its human output (docs/cli.md, "Output").
// Values are printed exactly, except for the characters that would break a line or a table, which
// are escaped; --json output is never escaped this way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace duroxide::cli {

/// `text` with every character that could break a line or a table escaped, everything else as is:
/// `\` as `\\`; newline, carriage return and tab as `\n`, `\r`, `\t`; other C0 controls and DEL as
/// `\xNN`; C1 controls and the bidirectional formatting characters as `\uNNNN`; bytes that are not
/// UTF-8 as `\xNN`. With `quoted`, `"` is escaped too and the result is put in double quotes.
std::string escape(std::string_view text, bool quoted = false);

/// escape(text, true).
inline std::string quote(std::string_view text) { return escape(text, true); }

/// An identifier (instance id, event name, ...) for a message: escape(id) in single quotes.
inline std::string quote_id(std::string_view id) { return "'" + escape(id) + "'"; }

/// The number of terminal columns `text` (valid UTF-8, already escaped) takes: combining marks
/// and zero-width characters take none, East Asian wide characters and emoji take two.
std::size_t display_width(std::string_view text);

/// Milliseconds since the Unix epoch as ISO 8601 UTC, e.g. "2026-12-03T16:08:01.123Z"; 0 as "-".
std::string format_time_ms(std::uint64_t ms);

/// The inverse for times typed on the command line: digits are milliseconds since the epoch; else
/// a UTC date "YYYY-MM-DD", optionally with "THH:MM:SS", fractions of a second and a final "Z".
/// Nothing for any other text.
std::optional<std::uint64_t> parse_time_ms(std::string_view text);

/// `text` on one line: line breaks and tabs become single spaces (for other libraries' error messages).
std::string one_line(std::string_view text);

}  // namespace duroxide::cli
