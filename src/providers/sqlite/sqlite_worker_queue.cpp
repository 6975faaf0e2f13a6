// SqliteProvider: the worker queue and session leases (docs/storage.md, "The contract step by step").
#include <string>
#include <vector>

#include <fmt/format.h>

#include <duroxide/wire.hpp>

#include "logging/loggers.hpp"
#include "providers/input_validation.hpp"
#include "providers/sqlite/sqlite_dead_letters.hpp"
#include "providers/sqlite/sqlite_history.hpp"
#include "providers/sqlite/sqlite_store.hpp"

namespace duroxide {

namespace {

constexpr std::string_view kFetchWork = "fetch_work_item";

/// The WHERE fragment for a tag filter, binding tags from parameter `first_param` on.
std::string tag_clause(const TagFilter& tags, int first_param) {
  std::string list;
  for (std::size_t i = 0; i < tags.tag_set().size(); ++i) {
    list += fmt::format("{}?{}", i == 0 ? "" : ", ", first_param + static_cast<int>(i));
  }
  switch (tags.kind()) {
    case TagFilter::Kind::DefaultOnly:
      return "w.tag IS NULL";
    case TagFilter::Kind::Tags:
      return fmt::format("w.tag IN ({})", list);
    case TagFilter::Kind::DefaultAnd:
      return fmt::format("(w.tag IS NULL OR w.tag IN ({}))", list);
    case TagFilter::Kind::Any:
      return "1";
    case TagFilter::Kind::None:
      break;
  }
  return "0";
}

std::string fetch_work_sql(const TagFilter& tags, bool with_session) {
  // ?1 now, ?2 session owner, ?3.. tags. A session-bound item is eligible when its session has no
  // live lease or this owner holds it.
  const std::string session_clause =
      with_session ? "(w.session_id IS NULL OR NOT EXISTS (SELECT 1 FROM sessions s WHERE s.session_id = "
                     "w.session_id AND s.locked_until > ?1 AND s.worker_id <> ?2))"
                   : "w.session_id IS NULL";
  // One arm per index range, each yielding its first row; the earliest of them wins
  // (docs/storage.md). Rows never locked or released are read along the partial index
  // idx_worker_free (tag, id), one arm per accepted tag, so rows of other tags are never walked
  // (idx_worker_available (lock_token, id) when any tag goes); rows whose lock expired along
  // idx_worker_locked (locked_until). A single "unlocked or expired" scan walks every row in flight.
  // INDEXED BY because without statistics the planner may pick another of the table's indexes (it
  // picked the tag or session index, which schema step 6 dropped).
  const std::string columns =
      "w.id, w.work_item, w.session_id, w.instance_id, w.execution_id, w.activity_id, w.tag FROM worker_queue w";
  const std::string common = fmt::format("w.visible_at <= ?1 AND {}", session_clause);
  std::vector<std::string> arms;
  const auto free_arm = [&](const std::string& tag_condition) {
    arms.push_back(
        fmt::format("SELECT {} INDEXED BY idx_worker_free WHERE w.lock_token IS NULL AND {} AND {} ORDER "
                    "BY w.id LIMIT 1",
                    columns, tag_condition, common));
  };
  const auto kind = tags.kind();
  if (kind == TagFilter::Kind::Any) {
    arms.push_back(
        fmt::format("SELECT {} INDEXED BY idx_worker_available WHERE w.lock_token IS NULL AND {} ORDER BY "
                    "w.id LIMIT 1",
                    columns, common));
  }
  if (kind == TagFilter::Kind::DefaultOnly || kind == TagFilter::Kind::DefaultAnd) free_arm("w.tag IS NULL");
  if (kind == TagFilter::Kind::Tags || kind == TagFilter::Kind::DefaultAnd) {
    for (std::size_t i = 0; i < tags.tag_set().size(); ++i) free_arm(fmt::format("w.tag = ?{}", 3 + i));
  }
  arms.push_back(
      fmt::format("SELECT {} INDEXED BY idx_worker_locked WHERE w.lock_token IS NOT NULL AND "
                  "w.locked_until <= ?1 AND {} AND {} ORDER BY w.id LIMIT 1",
                  columns, tag_clause(tags, 3), common));
  std::string sql;
  for (const auto& arm : arms) sql += fmt::format("{}SELECT * FROM ({})", sql.empty() ? "" : " UNION ALL ", arm);
  return sql + " ORDER BY 1 LIMIT 1";
}

/// The first fetchable row (its statement, positioned on it when the result is true).
ProviderResult<bool> select_fetchable(sqlite::Statement& select, std::int64_t now,
                                      const std::optional<SessionFetchConfig>& session, const TagFilter& tags) {
  select.bind(1, now);
  if (session) select.bind(2, session->owner_id);
  int param = 3;
  for (const auto& tag : tags.tag_set()) select.bind(param++, tag);
  return select.step();
}

/// Why a worker row's text cannot run as the activity its columns name, or nothing when it can.
std::optional<std::string> worker_row_problem(const Result<WorkItem>& item, const sqlite_detail::RawQueueRow& row) {
  if (!item) return fmt::format("its text could not be decoded: {}", item.error());
  const auto* activity = std::get_if<work_items::ActivityExecute>(&*item);
  if (activity == nullptr) return fmt::format("it holds a {}, not an ActivityExecute", work_item_type_name(*item));
  if (row.instance_id != activity->instance || row.execution_id != static_cast<std::int64_t>(activity->execution_id) ||
      row.activity_id != static_cast<std::int64_t>(activity->id)) {
    return fmt::format("its text names activity {} of instance '{}' execution {}, not the row's", activity->id,
                       activity->instance, activity->execution_id);
  }
  return std::nullopt;
}

/// The row a select of fetch_work_sql is positioned on, as a queue row (no error yet).
sqlite_detail::RawQueueRow selected_worker_row(sqlite::Statement& select) {
  return sqlite_detail::RawQueueRow{sqlite_detail::kWorkerQueue,
                                    select.int64(0),
                                    select.optional_text(3),
                                    select.optional_int64(4),
                                    select.optional_int64(5),
                                    select.text(1),
                                    {}};
}

/// Claims worker row `id` under `token` until `locked_until`: its attempt count after the claim.
ProviderResult<std::uint32_t> lock_worker_row(SqliteProvider::Store& s, std::string_view op, std::int64_t id,
                                              const std::string& token, std::int64_t locked_until) {
  DUROXIDE_TRY_ASSIGN(lock, s.statement(op,
                                        "UPDATE worker_queue SET lock_token = ?2, locked_until = ?3, attempt_count = "
                                        "attempt_count + 1 WHERE id = ?1 RETURNING attempt_count"));
  lock.bind(1, id).bind(2, token).bind(3, locked_until);
  DUROXIDE_TRY_ASSIGN(locked, lock.step());
  if (!locked) return std::unexpected(ProviderError::transient(std::string(op), "worker row vanished"));
  const auto attempts = static_cast<std::uint32_t>(lock.int64(0));
  DUROXIDE_TRY(lock.run());
  return attempts;
}

ProviderResult<std::optional<LockedWorkItem>> fetch_work_once(SqliteProvider::Store& s, Provider::Millis lock_timeout,
                                                              const std::optional<SessionFetchConfig>& session,
                                                              const TagFilter& tags) {
  const auto now = SqliteProvider::Store::now_ms();
  const std::string select_sql = fetch_work_sql(tags, session.has_value());
  {
    // Idle slots poll often: a fetch that finds nothing ends with this read, without taking the
    // file's write lock, which other processes with work may need.
    DUROXIDE_TRY_ASSIGN(probe, s.statement(kFetchWork, select_sql));
    DUROXIDE_TRY_ASSIGN(found, select_fetchable(probe, now, session, tags));
    if (!found) return std::optional<LockedWorkItem>();
  }
  DUROXIDE_TRY_ASSIGN(tx, Transaction::begin(*s.db, kFetchWork));
  for (;;) {
    std::int64_t id = 0;
    sqlite_detail::RawQueueRow raw;
    std::optional<std::string> session_id;
    std::optional<std::string> tag;
    {
      DUROXIDE_TRY_ASSIGN(select, s.statement(kFetchWork, select_sql));
      DUROXIDE_TRY_ASSIGN(row, select_fetchable(select, now, session, tags));
      if (!row) {
        DUROXIDE_TRY(tx.commit());  // keeps any corrupt rows removed above
        return std::optional<LockedWorkItem>();
      }
      raw = selected_worker_row(select);
      id = raw.row_id;
      session_id = select.optional_text(2);
      tag = select.optional_text(6);
    }
    auto item = parse_work_item(raw.raw_text);
    std::optional<CorruptRow> corrupt;
    if (auto problem = worker_row_problem(item, raw)) {
      raw.error = fmt::format("worker_queue row {}: {}", id, *problem);
      DUROXIDE_TRY_ASSIGN(letter, sqlite_detail::record_dead_letter(s, kFetchWork, raw));
      if (!raw.instance_id || !raw.execution_id || !raw.activity_id) {
        // Nobody can be told: the text is kept as a dead letter and the row leaves the queue, so
        // it does not block the work behind it.
        logging::provider().error("sqlite: {}; it names no activity, kept as dead letter {} and removed", raw.error,
                                  letter);
        DUROXIDE_TRY_ASSIGN(drop, s.statement(kFetchWork, "DELETE FROM worker_queue WHERE id = ?1"));
        drop.bind(1, id);
        DUROXIDE_TRY(drop.run());
        continue;
      }
      // Its columns still say which activity it was: it is handed out, not to be run, so that the
      // runtime can tell the orchestration (docs/failure-modes-corrupt-rows.md).
      logging::provider().error("sqlite: {}; kept as dead letter {}", raw.error, letter);
      item =
          WorkItem(work_items::ActivityExecute{*raw.instance_id, static_cast<std::uint64_t>(*raw.execution_id),
                                               static_cast<std::uint64_t>(*raw.activity_id), "", "", session_id, tag});
      corrupt = CorruptRow{letter, raw.error};
    }
    if (session_id && session) {
      // Claim or extend the lease; refused when another owner holds a live lease.
      DUROXIDE_TRY_ASSIGN(claim, s.statement(kFetchWork,
                                             "INSERT INTO sessions (session_id, worker_id, locked_until, "
                                             "last_activity_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (session_id) DO "
                                             "UPDATE SET worker_id = excluded.worker_id, locked_until = "
                                             "excluded.locked_until, last_activity_at = excluded.last_activity_at "
                                             "WHERE sessions.locked_until <= ?4 OR sessions.worker_id = ?2"));
      claim.bind(1, *session_id).bind(2, session->owner_id).bind(3, now + session->lock_timeout.count()).bind(4, now);
      DUROXIDE_TRY_ASSIGN(claimed, claim.run());
      if (claimed == 0) return std::optional<LockedWorkItem>();
    }
    const std::string token = s.new_lock_token();
    DUROXIDE_TRY_ASSIGN(attempts, lock_worker_row(s, kFetchWork, id, token, now + lock_timeout.count()));
    DUROXIDE_TRY(tx.commit());
    return std::optional<LockedWorkItem>(LockedWorkItem{std::move(*item), token, attempts, std::move(corrupt)});
  }
}

/// Earliest future moment a worker item may become fetchable: a delayed item, an expiring item
/// lock or an expiring session lease. Each is the first entry of an index range
/// (idx_worker_visible, idx_worker_locked), not a scan of the queue.
constexpr const char* kWorkerDueSql =
    "SELECT MIN(t) FROM (SELECT MIN(visible_at) AS t FROM worker_queue WHERE visible_at > ?1 "
    "UNION ALL SELECT MIN(locked_until) FROM worker_queue WHERE lock_token IS NOT NULL AND locked_until > ?1 "
    "UNION ALL SELECT MIN(locked_until) FROM sessions WHERE locked_until > ?1)";

/// Best-effort activity heartbeat of a live session lease (docs/storage.md, "The contract step by step").
ProviderResult<void> touch_session(SqliteProvider::Store& s, std::string_view operation, const std::string& session_id,
                                   std::int64_t now) {
  DUROXIDE_TRY_ASSIGN(touch, s.statement(operation,
                                         "UPDATE sessions SET last_activity_at = ?2 WHERE session_id = ?1 AND "
                                         "locked_until > ?2"));
  touch.bind(1, session_id).bind(2, now);
  DUROXIDE_TRY(touch.run());
  return {};
}

/// Claims, inside an activity's ack, the activity its fetcher would fetch next (docs/storage.md,
/// "Hand-off to idle workers"): the same choice as a fetch without a session owner, so never a
/// session's row. A row whose text cannot run is left for the fetch, which keeps a dead letter.
ProviderResult<std::optional<LockedWorkItem>> claim_next_activity(SqliteProvider::Store& s, std::string_view op,
                                                                  const providers::WorkHandOff::Fetcher& fetcher,
                                                                  std::int64_t now) {
  DUROXIDE_TRY_ASSIGN(select, s.statement(op, fetch_work_sql(fetcher.tags, false)));
  DUROXIDE_TRY_ASSIGN(found, select_fetchable(select, now, std::nullopt, fetcher.tags));
  if (!found) return std::optional<LockedWorkItem>();
  const auto raw = selected_worker_row(select);
  DUROXIDE_TRY(select.run());
  auto item = parse_work_item(raw.raw_text);
  if (worker_row_problem(item, raw)) return std::optional<LockedWorkItem>();
  const std::string token = s.new_lock_token();
  DUROXIDE_TRY_ASSIGN(attempts, lock_worker_row(s, op, raw.row_id, token, now + fetcher.lock_timeout.count()));
  return std::optional<LockedWorkItem>(LockedWorkItem{std::move(*item), token, attempts, std::nullopt});
}

}  // namespace

ProviderResult<void> SqliteProvider::enqueue_for_worker(const WorkItem& item) {
  constexpr std::string_view op = "enqueue_for_worker";
  if (!is_worker_item(item)) {
    return std::unexpected(ProviderError::permanent(
        std::string(op),
        fmt::format("Invalid work item type: {} belongs to the orchestrator queue", work_item_type_name(item)),
        ProviderErrorKind::InvalidInput));
  }
  DUROXIDE_TRY(providers::validate_work_item(op, item));
  DUROXIDE_TRY_ASSIGN(json, sqlite_detail::encode_work_item(op, item, store_->options.max_payload_bytes));
  std::lock_guard lock(store_->mutex);
  DUROXIDE_TRY(sqlite_detail::insert_activity(*store_, op, item, json));
  store_->wake(WakeQueue::Worker);
  return {};
}

ProviderResult<std::optional<LockedWorkItem>> SqliteProvider::fetch_work_item(
    Millis lock_timeout, Millis poll_timeout, const std::optional<SessionFetchConfig>& session, const TagFilter& tags) {
  if (tags.kind() == TagFilter::Kind::None) return std::optional<LockedWorkItem>();
  auto& s = *store_;
  auto fetched = s.long_poll(WakeQueue::Worker, poll_timeout, kFetchWork, kWorkerDueSql,
                             [&]() -> ProviderResult<std::optional<LockedWorkItem>> {
                               // What an activity's ack claimed for this slot comes first
                               // (docs/storage.md, "Hand-off to idle workers").
                               std::vector<std::string> stale;
                               auto held = s.work_handoff.take(tags, std::chrono::steady_clock::now(), stale);
                               s.release_held(stale);
                               if (held) return held;
                               return fetch_work_once(s, lock_timeout, session, tags);
                             });
  if (fetched && fetched->has_value()) {
    std::lock_guard lock(s.mutex);
    s.work_handoff.remember((*fetched)->lock_token, {lock_timeout, tags});
  }
  return fetched;
}

ProviderResult<void> SqliteProvider::ack_work_item(const std::string& lock_token,
                                                   const std::optional<WorkItem>& completion) {
  constexpr std::string_view op = "ack_work_item";
  if (completion) {
    if (!std::holds_alternative<work_items::ActivityCompleted>(*completion) &&
        !std::holds_alternative<work_items::ActivityFailed>(*completion)) {
      return std::unexpected(
          ProviderError::permanent(std::string(op),
                                   fmt::format("a completion must be ActivityCompleted or ActivityFailed, got {}",
                                               work_item_type_name(*completion)),
                                   ProviderErrorKind::InvalidInput));
    }
    DUROXIDE_TRY(providers::validate_work_item(op, *completion));
  }
  std::string completion_json;
  if (completion) {
    DUROXIDE_TRY_ASSIGN(json, sqlite_detail::encode_work_item(op, *completion, store_->options.max_payload_bytes));
    completion_json = std::move(json);
  }
  auto& s = *store_;
  std::lock_guard lock(s.mutex);
  DUROXIDE_TRY_ASSIGN(tx, Transaction::begin(*s.db, op));
  const auto now = Store::now_ms();
  std::optional<std::string> session_id;
  {
    DUROXIDE_TRY_ASSIGN(remove, s.statement(op,
                                            "DELETE FROM worker_queue WHERE lock_token = ?1 AND locked_until > ?2 "
                                            "RETURNING session_id"));
    remove.bind(1, lock_token).bind(2, now);
    DUROXIDE_TRY_ASSIGN(row, remove.step());
    if (!row) {
      return std::unexpected(ProviderError::permanent(
          std::string(op), "Invalid lock token, lock expired or activity cancelled: " + lock_token,
          ProviderErrorKind::LockLost));
    }
    session_id = remove.optional_text(0);
    DUROXIDE_TRY(remove.run());
  }
  if (session_id) {
    DUROXIDE_TRY(touch_session(s, op, *session_id, now));
  }
  if (completion) DUROXIDE_TRY(sqlite_detail::insert_orchestrator_message(s, op, *completion, completion_json, now));
  const auto fetcher = s.work_handoff.forget(lock_token);
  // The slot that acks fetches again at once: claim its next activity in this transaction.
  std::optional<LockedWorkItem> next;
  if (completion && fetcher) {
    DUROXIDE_TRY_ASSIGN(claimed, claim_next_activity(s, op, *fetcher, now));
    next = std::move(claimed);
  }
  DUROXIDE_TRY(tx.commit());
  if (completion) s.wake(WakeQueue::Orchestrator);
  if (next) {
    s.work_handoff.hold(std::move(*next), fetcher->lock_timeout, std::chrono::steady_clock::now());
    s.wake(WakeQueue::Worker);  // a waiting fetch may take it first
  }
  return {};
}

ProviderResult<void> SqliteProvider::abandon_work_item(const std::string& lock_token, std::optional<Millis> delay,
                                                       bool ignore_attempt) {
  constexpr std::string_view op = "abandon_work_item";
  auto& s = *store_;
  std::lock_guard lock(s.mutex);
  s.work_handoff.forget(lock_token);
  const auto now = Store::now_ms();
  DUROXIDE_TRY_ASSIGN(stmt, s.statement(op,
                                        "UPDATE worker_queue SET lock_token = NULL, locked_until = NULL, visible_at = "
                                        "?2, attempt_count = CASE WHEN ?3 THEN MAX(0, attempt_count - 1) ELSE "
                                        "attempt_count END WHERE lock_token = ?1"));
  stmt.bind(1, lock_token).bind(2, now + (delay ? std::max<std::int64_t>(0, delay->count()) : 0));
  stmt.bind(3, ignore_attempt ? 1 : 0);
  DUROXIDE_TRY_ASSIGN(changed, stmt.run());
  if (changed == 0) {
    return std::unexpected(ProviderError::permanent(
        std::string(op), "Invalid lock token or already acked: " + lock_token, ProviderErrorKind::LockLost));
  }
  s.wake(WakeQueue::Worker);
  return {};
}

ProviderResult<void> SqliteProvider::renew_work_item_lock(const std::string& lock_token, Millis extend_for) {
  constexpr std::string_view op = "renew_work_item_lock";
  auto& s = *store_;
  std::lock_guard lock(s.mutex);
  const auto now = Store::now_ms();
  DUROXIDE_TRY_ASSIGN(stmt, s.statement(op,
                                        "UPDATE worker_queue SET locked_until = ?2 WHERE lock_token = ?1 AND "
                                        "locked_until > ?3 RETURNING session_id"));
  stmt.bind(1, lock_token).bind(2, now + extend_for.count()).bind(3, now);
  DUROXIDE_TRY_ASSIGN(row, stmt.step());
  if (!row) {
    return std::unexpected(ProviderError::permanent(
        std::string(op), "Invalid lock token, lock expired or activity cancelled: " + lock_token,
        ProviderErrorKind::LockLost));
  }
  const auto session_id = stmt.optional_text(0);
  DUROXIDE_TRY(stmt.run());
  if (session_id) {
    DUROXIDE_TRY(touch_session(s, op, *session_id, now));
  }
  return {};
}

ProviderResult<std::size_t> SqliteProvider::renew_session_lock(const std::vector<std::string>& owner_ids,
                                                               Millis extend_for, Millis idle_timeout) {
  constexpr std::string_view op = "renew_session_lock";
  if (owner_ids.empty()) return std::size_t{0};
  auto& s = *store_;
  std::lock_guard lock(s.mutex);
  DUROXIDE_TRY_ASSIGN(tx, Transaction::begin(*s.db, op));
  const auto now = Store::now_ms();
  std::size_t renewed = 0;
  for (const auto& owner : owner_ids) {
    // Idle sessions (no activity within idle_timeout) are left to expire: that is how they unpin.
    DUROXIDE_TRY_ASSIGN(stmt, s.statement(op,
                                          "UPDATE sessions SET locked_until = ?2 WHERE worker_id = ?1 AND "
                                          "locked_until > ?3 AND last_activity_at > ?4"));
    stmt.bind(1, owner).bind(2, now + extend_for.count()).bind(3, now).bind(4, now - idle_timeout.count());
    DUROXIDE_TRY_ASSIGN(changed, stmt.run());
    renewed += static_cast<std::size_t>(changed);
  }
  DUROXIDE_TRY(tx.commit());
  return renewed;
}

ProviderResult<std::size_t> SqliteProvider::cleanup_orphaned_sessions(Millis /*idle_timeout*/) {
  constexpr std::string_view op = "cleanup_orphaned_sessions";
  auto& s = *store_;
  std::lock_guard lock(s.mutex);
  DUROXIDE_TRY_ASSIGN(stmt, s.statement(op,
                                        "DELETE FROM sessions WHERE locked_until < ?1 AND NOT EXISTS (SELECT 1 FROM "
                                        "worker_queue w WHERE w.session_id = sessions.session_id)"));
  stmt.bind(1, Store::now_ms());
  DUROXIDE_TRY_ASSIGN(changed, stmt.run());
  return static_cast<std::size_t>(changed);
}

}  // namespace duroxide
