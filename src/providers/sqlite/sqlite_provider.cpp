// SqliteProvider: opening, the orchestrator queue's enqueue and fetch, and the long-poll loop.
// The ack, the worker queue, reads and management live in the sibling sqlite_*.cpp files.
#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include <duroxide/wire.hpp>

#include "logging/loggers.hpp"
#include "providers/input_validation.hpp"
#include "providers/sqlite/sqlite_dead_letters.hpp"
#include "providers/sqlite/sqlite_history.hpp"
#include "providers/sqlite/sqlite_store.hpp"

#include <duroxide/constants.hpp>

namespace duroxide {

using sqlite::Statement;

namespace {

constexpr std::string_view kFetchOrch = "fetch_orchestration_item";

bool is_start_like(const WorkItem& item) {
  return std::holds_alternative<work_items::StartOrchestration>(item) ||
         std::holds_alternative<work_items::ContinueAsNew>(item);
}

/// Name and version a start-like message asks for ("unknown" without a version).
std::pair<std::string, std::string> start_name_version(const WorkItem& item) {
  if (const auto* start = std::get_if<work_items::StartOrchestration>(&item)) {
    return {start->orchestration, start->version.value_or("unknown")};
  }
  const auto& can = std::get<work_items::ContinueAsNew>(item);
  return {can.orchestration, can.version.value_or("unknown")};
}

// Candidates: the visible messages of instances without a live lock, earliest due first (enqueue
// order among messages due at the same moment). Read along idx_orch_due (visible_at, id), so the
// scan starts at the due rows and never walks the messages that are not due yet, such as the timers
// of sleeping instances (docs/storage.md). A small page: the first candidate is nearly always
// lockable, and every row costs the lock (and capability) sub-queries; the fetch loop asks for the
// next page, after (?3, ?2), when a whole page is skipped.
constexpr const char* kCandidatesSql = R"sql(
SELECT q.id, q.instance_id, q.visible_at FROM orchestrator_queue q
WHERE q.visible_at <= ?1 AND (q.visible_at, q.id) > (?3, ?2)
  AND NOT EXISTS (SELECT 1 FROM instance_locks l WHERE l.instance_id = q.instance_id AND l.locked_until > ?1)
ORDER BY q.visible_at, q.id LIMIT 8)sql";

// The same, restricted to instances whose current execution is unpinned or pinned inside [min, max]
// (docs/storage.md, "The contract step by step"). Applied before any lock is taken or history decoded.
constexpr const char* kFilteredCandidatesSql = R"sql(
SELECT q.id, q.instance_id, q.visible_at FROM orchestrator_queue q
WHERE q.visible_at <= ?1 AND (q.visible_at, q.id) > (?3, ?2)
  AND NOT EXISTS (SELECT 1 FROM instance_locks l WHERE l.instance_id = q.instance_id AND l.locked_until > ?1)
  AND NOT EXISTS (
    SELECT 1 FROM instances i JOIN executions e
      ON e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id
    WHERE i.instance_id = q.instance_id AND e.duroxide_version_major IS NOT NULL
      AND ((e.duroxide_version_major, e.duroxide_version_minor, e.duroxide_version_patch) < (?4, ?5, ?6)
        OR (e.duroxide_version_major, e.duroxide_version_minor, e.duroxide_version_patch) > (?7, ?8, ?9)))
ORDER BY q.visible_at, q.id LIMIT 8)sql";

}  // namespace

SqliteProvider::SqliteProvider(std::unique_ptr<Store> store) : store_(std::move(store)) {}

SqliteProvider::~SqliteProvider() {
  std::lock_guard lock(store_->mutex);
  store_->release_held(store_->work_handoff.drain());
}

ProviderResult<std::shared_ptr<SqliteProvider>> SqliteProvider::open(std::string_view url, SqliteOptions options) {
  DUROXIDE_TRY_ASSIGN(path, sqlite::parse_sqlite_url(url));
  DUROXIDE_TRY_ASSIGN(db, sqlite::Database::open_file(path, options.durability == SqliteDurability::Full));
  auto store = std::make_unique<Store>(std::move(db), options, true);
  store->readers = std::make_unique<sqlite::ReaderPool>(path);
  return std::shared_ptr<SqliteProvider>(new SqliteProvider(std::move(store)));
}

ProviderResult<std::shared_ptr<SqliteProvider>> SqliteProvider::open_in_memory(SqliteOptions options) {
  DUROXIDE_TRY_ASSIGN(db, sqlite::Database::open_in_memory());
  return std::shared_ptr<SqliteProvider>(new SqliteProvider(std::make_unique<Store>(std::move(db), options, false)));
}

std::string SqliteProvider::version() const { return DUROXIDE_VERSION_STRING; }

void SqliteProvider::wake_waiters() {
  std::lock_guard lock(store_->mutex);
  // A runtime stops: the slots these were held for are leaving.
  store_->release_held(store_->work_handoff.drain());
  ++store_->wake_epoch;
  store_->orchestrator_cv.notify_all();
  store_->worker_cv.notify_all();
}

std::uint64_t SqliteProvider::change_epoch(const std::string& instance) { return store_->changes.epoch(instance); }

void SqliteProvider::wait_for_change(const std::string& instance, std::uint64_t seen, Millis timeout) {
  store_->changes.wait(instance, seen, timeout);
}

namespace sqlite_detail {

ProviderResult<void> insert_orchestrator_message(SqliteProvider::Store& s, std::string_view operation,
                                                 const WorkItem& item, const std::string& json,
                                                 std::int64_t visible_at) {
  DUROXIDE_TRY_ASSIGN(stmt, s.statement(operation,
                                        "INSERT INTO orchestrator_queue (instance_id, work_item, visible_at, "
                                        "attempt_count, created_at) VALUES (?1, ?2, ?3, 0, ?4)"));
  stmt.bind(1, work_item_instance(item)).bind(2, json).bind(3, visible_at).bind(4, SqliteProvider::Store::now_ms());
  DUROXIDE_TRY(stmt.run());
  return {};
}

}  // namespace sqlite_detail

ProviderResult<void> SqliteProvider::enqueue_for_orchestrator(const WorkItem& item, std::optional<Millis> delay) {
  constexpr std::string_view op = "enqueue_for_orchestrator";
  if (is_worker_item(item)) {
    return std::unexpected(
        ProviderError::permanent(std::string(op), "Invalid work item type: ActivityExecute belongs to the worker queue",
                                 ProviderErrorKind::InvalidInput));
  }
  DUROXIDE_TRY(providers::validate_work_item(op, item));
  DUROXIDE_TRY_ASSIGN(json, sqlite_detail::encode_work_item(op, item, store_->options.max_payload_bytes));
  std::lock_guard lock(store_->mutex);
  const auto visible_at = Store::now_ms() + (delay ? std::max<std::int64_t>(0, delay->count()) : 0);
  DUROXIDE_TRY(sqlite_detail::insert_orchestrator_message(*store_, op, item, json, visible_at));
  store_->wake(WakeQueue::Orchestrator);
  return {};
}

namespace {

/// Outcome of trying one candidate instance inside the fetch transaction.
enum class CandidateOutcome { Locked, Skipped };

/// A position in the candidates' order (visible_at, id); the default lies before every row.
struct CandidateKey {
  std::int64_t visible_at = std::numeric_limits<std::int64_t>::min();
  std::int64_t id = 0;
};

struct Candidate {
  CandidateKey key;
  std::string instance;
};

ProviderResult<std::vector<Candidate>> load_candidates(SqliteProvider::Store& s, std::int64_t now, CandidateKey after,
                                                       const DispatcherCapabilityFilter* filter) {
  DUROXIDE_TRY_ASSIGN(stmt, s.statement(kFetchOrch, filter != nullptr ? kFilteredCandidatesSql : kCandidatesSql));
  stmt.bind(1, now).bind(2, after.id).bind(3, after.visible_at);
  if (filter != nullptr) {
    // Only the first range counts (quirk Q7 in docs/storage.md).
    const auto& range = filter->ranges.front();
    stmt.bind(4, range.min.major).bind(5, range.min.minor).bind(6, range.min.patch);
    stmt.bind(7, range.max.major).bind(8, range.max.minor).bind(9, range.max.patch);
  }
  std::vector<Candidate> candidates;
  for (;;) {
    DUROXIDE_TRY_ASSIGN(row, stmt.step());
    if (!row) break;
    candidates.push_back({{stmt.int64(2), stmt.int64(0)}, stmt.text(1)});
  }
  return candidates;
}

ProviderResult<void> run_sql(SqliteProvider::Store& s, const std::string& sql) {
  DUROXIDE_TRY_ASSIGN(stmt, s.statement(kFetchOrch, sql));
  DUROXIDE_TRY(stmt.run());
  return {};
}

/// Locks `instance`, tags its visible messages and builds the item; Skipped when the instance
/// must not be handed out (nothing visible, or messages for an instance that never started).
ProviderResult<CandidateOutcome> try_candidate(SqliteProvider::Store& s, const std::string& instance, std::int64_t now,
                                               Provider::Millis lock_timeout, const KnownHistory* known,
                                               LockedOrchestrationItem& out) {
  DUROXIDE_TRY(run_sql(s, "SAVEPOINT fetch_candidate"));
  bool keep = false;
  auto release = [&]() -> ProviderResult<void> {
    if (!keep) DUROXIDE_TRY(run_sql(s, "ROLLBACK TO fetch_candidate"));
    return run_sql(s, "RELEASE fetch_candidate");
  };

  const std::string token = s.new_lock_token();
  {
    // The candidate query saw no live lock in this same write transaction, so taking over an absent
    // or expired lock row is safe.
    DUROXIDE_TRY_ASSIGN(lock_stmt, s.statement(kFetchOrch,
                                               "INSERT OR REPLACE INTO instance_locks (instance_id, lock_token, "
                                               "locked_until, locked_at) VALUES (?1, ?2, ?3, ?4)"));
    lock_stmt.bind(1, instance).bind(2, token).bind(3, now + lock_timeout.count()).bind(4, now);
    DUROXIDE_TRY(lock_stmt.run());
  }
  {
    // At most max_batch_messages, the oldest first: a hot instance with a huge backlog is served in
    // turns of bounded size and transaction; the rest stay untagged and are fetched by the next
    // turns, in order (docs/storage.md, "Batch cap").
    DUROXIDE_TRY_ASSIGN(tag, s.statement(kFetchOrch,
                                         "UPDATE orchestrator_queue SET lock_token = ?1, attempt_count = "
                                         "attempt_count + 1 WHERE id IN (SELECT id FROM orchestrator_queue WHERE "
                                         "instance_id = ?2 AND visible_at <= ?3 ORDER BY id LIMIT ?4)"));
    tag.bind(1, token).bind(2, instance).bind(3, now);
    tag.bind(4, static_cast<std::int64_t>(std::max<std::size_t>(1, s.options.max_batch_messages)));
    DUROXIDE_TRY_ASSIGN(tagged, tag.run());
    if (tagged == 0) {
      DUROXIDE_TRY(release());
      return CandidateOutcome::Skipped;
    }
  }

  OrchestrationItem item;
  item.instance = instance;
  std::uint32_t attempts = 0;
  bool only_queue_messages = true;
  std::vector<sqlite_detail::RawQueueRow> corrupt_rows;
  {
    DUROXIDE_TRY_ASSIGN(batch, s.statement(kFetchOrch,
                                           "SELECT id, work_item, attempt_count FROM orchestrator_queue "
                                           "WHERE lock_token = ?1 ORDER BY id"));
    batch.bind(1, token);
    for (;;) {
      DUROXIDE_TRY_ASSIGN(row, batch.step());
      if (!row) break;
      attempts = std::max(attempts, static_cast<std::uint32_t>(batch.int64(2)));
      std::string text = batch.text(1);
      auto message = parse_work_item(text);
      std::optional<std::string> problem;
      if (!message) {
        problem = fmt::format("could not be decoded: {}", message.error());
      } else if (work_item_instance(*message) != instance) {
        problem = fmt::format("names instance '{}', not its row's", work_item_instance(*message));
      }
      if (problem) {
        // Left out of the batch's messages but part of it: the ack consumes the row, its text stays
        // as a dead letter and the runtime decides (docs/failure-modes-corrupt-rows.md).
        sqlite_detail::RawQueueRow raw{
            sqlite_detail::kOrchestratorQueue,
            batch.int64(0),
            instance,
            std::nullopt,
            std::nullopt,
            std::move(text),
            fmt::format("orchestrator_queue row {} of instance '{}' {}", batch.int64(0), instance, *problem)};
        corrupt_rows.push_back(std::move(raw));
      } else {
        if (!std::holds_alternative<work_items::QueueMessage>(*message)) only_queue_messages = false;
        item.messages.push_back(std::move(*message));
      }
    }
  }
  // Recorded after the batch statement is done with (it is reset on scope exit).
  for (const auto& raw : corrupt_rows) {
    DUROXIDE_TRY_ASSIGN(letter, sqlite_detail::record_dead_letter(s, kFetchOrch, raw));
    logging::provider().error("sqlite: {}; kept as dead letter {}", raw.error, letter);
    item.corrupt_rows.push_back(CorruptRow{letter, raw.error});
  }

  bool has_metadata = false;
  {
    DUROXIDE_TRY_ASSIGN(meta, s.statement(kFetchOrch,
                                          "SELECT orchestration_name, orchestration_version, current_execution_id "
                                          "FROM instances WHERE instance_id = ?1"));
    meta.bind(1, instance);
    DUROXIDE_TRY_ASSIGN(row, meta.step());
    if (row) {
      has_metadata = true;
      item.orchestration_name = meta.text(0);
      item.version = meta.optional_text(1).value_or("unknown");
      item.execution_id = meta.uint64(2);
    }
  }
  if (has_metadata) {
    // Every ack writes the execution row with the instance row's pointer to it, so a pointer to no
    // execution is corruption: reported so that the instance can end instead of running forever.
    DUROXIDE_TRY_ASSIGN(execution, s.statement(kFetchOrch,
                                               "SELECT EXISTS (SELECT 1 FROM executions WHERE instance_id = ?1 "
                                               "AND execution_id = ?2)"));
    execution.bind(1, instance).bind(2, item.execution_id);
    DUROXIDE_TRY(execution.step());
    if (execution.int64(0) == 0) {
      item.corrupt_rows.push_back(
          CorruptRow{std::nullopt, fmt::format("instances row of '{}' names current execution {}, which does not exist",
                                               instance, item.execution_id)});
      logging::provider().error("sqlite: {}", item.corrupt_rows.back().error);
    }
  }

  sqlite_detail::LoadedHistory history;
  if (has_metadata) {
    const auto known_last = known != nullptr ? known->last_event_id(instance, item.execution_id) : 0;
    DUROXIDE_TRY_ASSIGN(loaded, sqlite_detail::load_history(s, kFetchOrch, instance, item.execution_id, known_last));
    history = std::move(loaded);
  } else {
    // No instance row: an earlier ack without metadata may have left history (docs/storage.md).
    DUROXIDE_TRY_ASSIGN(latest, sqlite_detail::latest_history_execution(s, kFetchOrch, instance));
    if (latest) {
      DUROXIDE_TRY_ASSIGN(loaded, sqlite_detail::load_history(s, kFetchOrch, instance, *latest, 0));
      const auto started = std::find_if(loaded.events.begin(), loaded.events.end(),
                                        [](const Event& e) { return e.is<events::OrchestrationStarted>(); });
      if (started != loaded.events.end()) {
        const auto& event = *started->get_if<events::OrchestrationStarted>();
        item.orchestration_name = event.name;
        item.version = event.version;
        item.execution_id = kInitialExecutionId;
        history = std::move(loaded);
        has_metadata = true;
      }
    }
    if (!has_metadata) {
      const auto start = std::find_if(item.messages.begin(), item.messages.end(), is_start_like);
      if (start == item.messages.end() && !item.corrupt_rows.empty()) {
        // Possibly a corrupt start: handed out (name unknown) so that the runtime can fail the
        // instance with the reason instead of the start vanishing.
        item.orchestration_name.clear();
        item.version = "unknown";
        item.execution_id = kInitialExecutionId;
      } else if (start == item.messages.end()) {
        if (only_queue_messages) {
          // Events enqueued before the instance ever started are dropped (docs/storage.md).
          logging::provider().warn("sqlite: dropping {} queue message(s) for instance '{}', which was never started",
                                   item.messages.size(), instance);
          DUROXIDE_TRY_ASSIGN(drop, s.statement(kFetchOrch, "DELETE FROM orchestrator_queue WHERE lock_token = ?1"));
          drop.bind(1, token);
          DUROXIDE_TRY(drop.run());
          DUROXIDE_TRY_ASSIGN(unlock, s.statement(kFetchOrch, "DELETE FROM instance_locks WHERE lock_token = ?1"));
          unlock.bind(1, token);
          DUROXIDE_TRY(unlock.run());
          keep = true;
        }
        // Anything else (completions or events racing a start) stays queued untouched, and must not
        // keep other instances from being served (quirk Q1 in docs/storage.md): skip this candidate.
        DUROXIDE_TRY(release());
        return CandidateOutcome::Skipped;
      } else {
        auto [name, version] = start_name_version(*start);
        item.orchestration_name = std::move(name);
        item.version = std::move(version);
        item.execution_id = kInitialExecutionId;
      }
    }
  }

  item.stored_last_event_id = history.last_row_event_id;
  if (history.decode_error) {
    item.history_error = std::move(history.decode_error);
  } else {
    item.history = std::move(history.events);
    if (history.continues_from != 0) item.history_continues_from = history.continues_from;
    DUROXIDE_TRY_ASSIGN(
        kv, s.statement(kFetchOrch, "SELECT key, value, last_updated_at_ms FROM kv_store WHERE instance_id = ?1"));
    kv.bind(1, instance);
    for (;;) {
      DUROXIDE_TRY_ASSIGN(row, kv.step());
      if (!row) break;
      item.kv_snapshot.emplace(kv.text(0), KvEntry{kv.text(1), kv.uint64(2)});
    }
  }

  keep = true;
  DUROXIDE_TRY(release());
  out = LockedOrchestrationItem{std::move(item), token, attempts};
  return CandidateOutcome::Locked;
}

/// Claims up to `max_items` instances in one transaction, in candidate order (docs/storage.md,
/// "Batched turns"); empty when none is claimable.
ProviderResult<std::vector<LockedOrchestrationItem>> fetch_orchestration_batch(SqliteProvider::Store& s,
                                                                               std::size_t max_items,
                                                                               Provider::Millis lock_timeout,
                                                                               const DispatcherCapabilityFilter* filter,
                                                                               const KnownHistory* known) {
  std::vector<LockedOrchestrationItem> claimed;
  const auto now = SqliteProvider::Store::now_ms();
  {
    // Idle slots poll often: a fetch that finds no candidate ends with this read, without taking
    // the file's write lock, which other processes with work may need.
    DUROXIDE_TRY_ASSIGN(probe, load_candidates(s, now, CandidateKey{}, filter));
    if (probe.empty()) return claimed;
  }
  DUROXIDE_TRY_ASSIGN(tx, Transaction::begin(*s.db, kFetchOrch));
  CandidateKey after;
  std::vector<std::string> tried;
  while (claimed.size() < max_items) {
    DUROXIDE_TRY_ASSIGN(candidates, load_candidates(s, now, after, filter));
    if (candidates.empty()) break;
    for (const auto& candidate : candidates) {
      after = candidate.key;
      if (std::find(tried.begin(), tried.end(), candidate.instance) != tried.end()) continue;
      tried.push_back(candidate.instance);
      LockedOrchestrationItem locked;
      DUROXIDE_TRY_ASSIGN(outcome, try_candidate(s, candidate.instance, now, lock_timeout, known, locked));
      if (outcome == CandidateOutcome::Locked) {
        claimed.push_back(std::move(locked));
        if (claimed.size() == max_items) break;
      }
    }
  }
  // Also when nothing was claimed: orphan drops may have deleted messages, and they stay deleted.
  DUROXIDE_TRY(tx.commit());
  return claimed;
}

/// Earliest future moment an orchestrator message may become fetchable: a delayed message or
/// an expiring instance lock. Both are the first entry of an index range (idx_orch_due,
/// idx_locks_until).
constexpr const char* kOrchestratorDueSql =
    "SELECT MIN(t) FROM (SELECT MIN(visible_at) AS t FROM orchestrator_queue WHERE visible_at > ?1 "
    "UNION ALL SELECT MIN(locked_until) FROM instance_locks WHERE locked_until > ?1)";

}  // namespace

ProviderResult<std::optional<LockedOrchestrationItem>> SqliteProvider::fetch_orchestration_item(
    Millis lock_timeout, Millis poll_timeout, const DispatcherCapabilityFilter* filter, const KnownHistory* known) {
  auto fetched = fetch_orchestration_items(1, lock_timeout, poll_timeout, filter, known);
  if (!fetched) return std::unexpected(std::move(fetched.error()));
  if (fetched->empty()) return std::optional<LockedOrchestrationItem>();
  return std::optional<LockedOrchestrationItem>(std::move(fetched->front()));
}

ProviderResult<std::vector<LockedOrchestrationItem>> SqliteProvider::fetch_orchestration_items(
    std::size_t max_items, Millis lock_timeout, Millis poll_timeout, const DispatcherCapabilityFilter* filter,
    const KnownHistory* known) {
  if (max_items == 0 || (filter != nullptr && filter->ranges.empty())) {
    return std::vector<LockedOrchestrationItem>();
  }
  return store_->long_poll(WakeQueue::Orchestrator, poll_timeout, kFetchOrch, kOrchestratorDueSql,
                           [&] { return fetch_orchestration_batch(*store_, max_items, lock_timeout, filter, known); });
}

}  // namespace duroxide
