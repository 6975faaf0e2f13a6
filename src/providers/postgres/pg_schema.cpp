#include "providers/postgres/pg_schema.hpp"

#include <array>

#include <fmt/format.h>

#include "providers/postgres/pg_connection.hpp"
#include "providers/postgres/pg_schema_sql.hpp"
#include "providers/postgres/pg_schema_sql_ack.hpp"

namespace duroxide::pg {

namespace {

/// Step N upgrades version N-1 to N; each runs in one transaction.
std::string step_sql(int version) {
  if (version == 1) {
    return fmt::format("{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}", kChannelFunction, kDueInFunctions, kStep1Tables,
                       kQueueIndexes, kStep1Orchestrator, kReleaseOrchestration, kAckOrchestration, kStep1Worker,
                       kWorkerFetch);
  }
  if (version == 2) return fmt::format("{}\n{}\n{}", kFetchOrchestration, kStep2FetchTailCompat, kAckWork);
  if (version == 3) return fmt::format("{}\n{}", kReleaseOrchestration, kWorkerFetch);
  if (version == 4) {
    return fmt::format("{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}", kChannelFunction, kDueInFunctions, kFetchOrchestration,
                       kAckOrchestration, kWorkerFetch, kAckWork, kStep4DropFullIndexes, kQueueIndexes);
  }
  if (version == 5) return std::string(kStep5InstanceStatus);
  if (version == 6) return std::string(kFetchOrchestration);
  if (version == 7) return fmt::format("{}\n{}", kAckOrchestration, kAckWorkClaimNext);
  // Every function that notifies is re-created to notify through dx_notify (kListeners).
  if (version == 8) {
    return fmt::format("{}\n{}\n{}\n{}\n{}\n{}", kListeners, kStep1Orchestrator, kAckOrchestration, kStep1Worker,
                       kWorkerFetch, kAckWork);
  }
  // An ack's status ends the execution unless it is Running or Suspended, so Terminated stamps
  // completed_at.
  if (version == 9) return std::string(kAckOrchestration);
  // A status that is not terminal clears completed_at: a rewound execution runs again.
  if (version == 10) return std::string(kAckOrchestration);
  return {};
}

ProviderResult<void> run_steps(Connection& conn, const std::string& schema) {
  constexpr std::string_view op = "open";
  const std::string quoted = conn.quote_identifier(schema);
  auto done = conn.exec_script(op, fmt::format("CREATE SCHEMA IF NOT EXISTS {}; SET search_path = {}; "
                                               "CREATE TABLE IF NOT EXISTS _duroxide_migrations (version BIGINT "
                                               "PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                                               quoted, quoted));
  if (!done) return done;
  auto stored = conn.exec(op, "SELECT COALESCE(MAX(version), 0) FROM _duroxide_migrations");
  if (!stored) return std::unexpected(stored.error());
  const auto version = stored->int64(0, 0);
  if (version > kSchemaVersion) {
    return std::unexpected(ProviderError::permanent(
        std::string(op), fmt::format("schema '{}' is at version {}, newer than this build supports ({}); upgrade "
                                     "duroxide before opening it",
                                     schema, version, kSchemaVersion)));
  }
  for (auto next = static_cast<int>(version) + 1; next <= kSchemaVersion; ++next) {
    auto applied = conn.exec_script(op, fmt::format("BEGIN; {}\nINSERT INTO _duroxide_migrations (version) VALUES "
                                                    "({}); COMMIT;",
                                                    step_sql(next), next));
    if (!applied) {
      (void)conn.exec_script(op, "ROLLBACK");
      applied.error().message =
          fmt::format("migration {} of schema '{}' failed: {}", next, schema, applied.error().message);
      return applied;
    }
  }
  return {};
}

}  // namespace

std::int64_t migration_lock_key(std::string_view schema) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : std::string("duroxide:") + std::string(schema)) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return static_cast<std::int64_t>(hash);
}

ProviderResult<void> migrate(const std::string& conninfo, const std::string& schema) {
  constexpr std::string_view op = "open";
  // A dedicated connection: the session-level advisory lock dies with it whatever happens.
  auto conn = Connection::connect(conninfo, "", op);
  if (!conn) return std::unexpected(conn.error());
  const std::string key = std::to_string(migration_lock_key(schema));
  auto locked = (*conn)->exec(op, "SELECT pg_advisory_lock($1::bigint)", {key});
  if (!locked) return std::unexpected(locked.error());
  auto result = run_steps(**conn, schema);
  (void)(*conn)->exec(op, "SELECT pg_advisory_unlock($1::bigint)", {key});
  return result;
}

}  // namespace duroxide::pg
