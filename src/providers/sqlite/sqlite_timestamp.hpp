#pragma once
// Timestamps as stored in a SQLite file: this provider writes integer milliseconds since the Unix
// epoch, while stores created by duroxide (Rust) fill some columns from SQLite's CURRENT_TIMESTAMP,
// i.e. UTC text 'YYYY-MM-DD HH:MM:SS'. Readers accept both (docs/storage.md, "Files shared with
// duroxide").

#include <cstdint>
#include <optional>
#include <string_view>

namespace duroxide::sqlite {

/// Milliseconds since the Unix epoch (UTC) from the text form of a timestamp: digits alone (an
/// integer stored as text), or 'YYYY-MM-DD', optionally followed by ' HH:MM' or 'THH:MM', ':SS',
/// a fraction of a second, and 'Z' or a '+HH:MM'/'-HH:MM' offset. Text without a zone is UTC, as
/// SQLite's date functions treat it. Nullopt for anything else, or an impossible date or time.
std::optional<std::int64_t> timestamp_text_to_ms(std::string_view text);

}  // namespace duroxide::sqlite
