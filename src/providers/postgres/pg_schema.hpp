#pragma once
// The store's schema: versioned migration steps (tables and the stored function of every
// operation), applied under a session-level advisory lock so that processes opening the same
// schema at once take turns.

#include <string>
#include <string_view>

#include <duroxide/provider_types.hpp>

namespace duroxide::pg {

/// The schema version this build writes and understands.
inline constexpr int kSchemaVersion = 10;

/// 64-bit FNV-1a of "duroxide:" + schema: the advisory lock key of the schema's migrations.
std::int64_t migration_lock_key(std::string_view schema);

/// Creates the schema when missing and applies the missing steps. A schema newer than this build
/// is refused (permanent), naming both versions.
ProviderResult<void> migrate(const std::string& conninfo, const std::string& schema);

}  // namespace duroxide::pg
