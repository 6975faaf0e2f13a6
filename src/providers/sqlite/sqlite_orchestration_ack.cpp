// SqliteProvider: committing a turn (docs/storage.md) and releasing or renewing an orchestration lock.
#include <fmt/format.h>
#include <sqlite3.h>

#include <duroxide/wire.hpp>

#include "core/overloaded.hpp"
#include "providers/input_validation.hpp"
#include "providers/sqlite/sqlite_history.hpp"
#include "providers/sqlite/sqlite_store.hpp"

namespace duroxide {

namespace {

constexpr std::string_view kAck = "ack_orchestration_item";

ProviderResult<std::int64_t> exec(SqliteProvider::Store& s, std::string_view operation, const std::string& sql,
                                  const std::string& instance) {
  DUROXIDE_TRY_ASSIGN(stmt, s.statement(operation, sql));
  stmt.bind(1, instance);
  return stmt.run();
}

ProviderResult<void> write_metadata(SqliteProvider::Store& s, const std::string& instance, const OrchestrationAck& ack,
                                    std::int64_t now) {
  const auto& meta = ack.metadata;
  if (meta.orchestration_name && meta.orchestration_version) {
    DUROXIDE_TRY_ASSIGN(create, s.statement(kAck,
                                            "INSERT OR IGNORE INTO instances (instance_id, orchestration_name, "
                                            "orchestration_version, current_execution_id, parent_instance_id, "
                                            "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)"));
    create.bind(1, instance).bind(2, *meta.orchestration_name).bind(3, *meta.orchestration_version);
    create.bind(4, ack.execution_id).bind(5, meta.parent_instance_id).bind(6, now);
    DUROXIDE_TRY(create.run());
    DUROXIDE_TRY_ASSIGN(update, s.statement(kAck,
                                            "UPDATE instances SET orchestration_name = ?2, orchestration_version = ?3 "
                                            "WHERE instance_id = ?1"));
    update.bind(1, instance).bind(2, *meta.orchestration_name).bind(3, *meta.orchestration_version);
    DUROXIDE_TRY(update.run());
  }
  {
    DUROXIDE_TRY_ASSIGN(execution, s.statement(kAck,
                                               "INSERT OR IGNORE INTO executions (instance_id, execution_id, status, "
                                               "started_at) VALUES (?1, ?2, 'Running', ?3)"));
    execution.bind(1, instance).bind(2, ack.execution_id).bind(3, now);
    DUROXIDE_TRY(execution.run());
  }
  if (meta.pinned_duroxide_version) {
    DUROXIDE_TRY_ASSIGN(pin,
                        s.statement(kAck,
                                    "UPDATE executions SET duroxide_version_major = ?3, duroxide_version_minor = "
                                    "?4, duroxide_version_patch = ?5 WHERE instance_id = ?1 AND execution_id = ?2"));
    pin.bind(1, instance).bind(2, ack.execution_id).bind(3, meta.pinned_duroxide_version->major);
    pin.bind(4, meta.pinned_duroxide_version->minor).bind(5, meta.pinned_duroxide_version->patch);
    DUROXIDE_TRY(pin.run());
  }
  DUROXIDE_TRY_ASSIGN(current, s.statement(kAck,
                                           "UPDATE instances SET current_execution_id = MAX(current_execution_id, ?2) "
                                           "WHERE instance_id = ?1"));
  current.bind(1, instance).bind(2, ack.execution_id);
  DUROXIDE_TRY(current.run());
  return {};
}

ProviderResult<void> write_status(SqliteProvider::Store& s, const std::string& instance, const OrchestrationAck& ack,
                                  std::int64_t now) {
  if (!ack.metadata.status) return {};
  // Only terminal statuses stamp completed_at (quirk Q2 in docs/storage.md); a status that is not
  // terminal clears it (a rewound execution runs again, docs/rewind.md).
  DUROXIDE_TRY_ASSIGN(stmt, s.statement(kAck,
                                        "UPDATE executions SET status = ?3, output = ?4, completed_at = CASE WHEN ?5 "
                                        "THEN ?6 END WHERE instance_id = ?1 AND execution_id = ?2"));
  stmt.bind(1, instance)
      .bind(2, ack.execution_id)
      .bind(3, to_string(*ack.metadata.status))
      .bind(4, ack.metadata.output);
  stmt.bind(5, is_terminal(*ack.metadata.status) ? 1 : 0).bind(6, now);
  DUROXIDE_TRY(stmt.run());
  return {};
}

ProviderResult<void> write_custom_status(SqliteProvider::Store& s, const std::string& instance,
                                         const std::vector<Event>& delta) {
  const events::CustomStatusUpdated* last = nullptr;
  for (const auto& event : delta) {
    if (const auto* update = event.get_if<events::CustomStatusUpdated>()) last = update;
  }
  if (last == nullptr) return {};
  DUROXIDE_TRY_ASSIGN(stmt, s.statement(kAck,
                                        "UPDATE instances SET custom_status = ?2, custom_status_version = "
                                        "custom_status_version + 1 WHERE instance_id = ?1"));
  stmt.bind(1, instance).bind(2, last->status);
  DUROXIDE_TRY(stmt.run());
  return {};
}

ProviderResult<void> write_kv(SqliteProvider::Store& s, const std::string& instance, const std::vector<Event>& delta,
                              std::int64_t now) {
  for (const auto& event : delta) {
    if (const auto* set = event.get_if<events::KeyValueSet>()) {
      DUROXIDE_TRY_ASSIGN(stmt,
                          s.statement(kAck,
                                      "INSERT INTO kv_delta (instance_id, key, value, last_updated_at_ms) "
                                      "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (instance_id, key) DO UPDATE SET "
                                      "value = excluded.value, last_updated_at_ms = excluded.last_updated_at_ms"));
      stmt.bind(1, instance).bind(2, set->key).bind(3, set->value).bind(4, set->last_updated_at_ms);
      DUROXIDE_TRY(stmt.run());
    } else if (const auto* cleared = event.get_if<events::KeyValueCleared>()) {
      DUROXIDE_TRY_ASSIGN(stmt, s.statement(kAck,
                                            "INSERT INTO kv_delta (instance_id, key, value, last_updated_at_ms) "
                                            "VALUES (?1, ?2, NULL, ?3) ON CONFLICT (instance_id, key) DO UPDATE SET "
                                            "value = NULL, last_updated_at_ms = excluded.last_updated_at_ms"));
      stmt.bind(1, instance).bind(2, cleared->key).bind(3, now);
      DUROXIDE_TRY(stmt.run());
    } else if (event.is<events::KeyValuesCleared>()) {
      DUROXIDE_TRY_ASSIGN(tombstone_delta, s.statement(kAck,
                                                       "UPDATE kv_delta SET value = NULL, last_updated_at_ms = ?2 "
                                                       "WHERE instance_id = ?1"));
      tombstone_delta.bind(1, instance).bind(2, now);
      DUROXIDE_TRY(tombstone_delta.run());
      DUROXIDE_TRY_ASSIGN(tombstone_store, s.statement(kAck,
                                                       "INSERT OR IGNORE INTO kv_delta (instance_id, key, value, "
                                                       "last_updated_at_ms) SELECT instance_id, key, NULL, ?2 FROM "
                                                       "kv_store WHERE instance_id = ?1"));
      tombstone_store.bind(1, instance).bind(2, now);
      DUROXIDE_TRY(tombstone_store.run());
    }
  }
  return {};
}

/// Terminal status: the execution's KV changes become the committed state (docs/storage.md).
ProviderResult<void> merge_kv(SqliteProvider::Store& s, const std::string& instance) {
  DUROXIDE_TRY(exec(s, kAck,
                    "INSERT INTO kv_store (instance_id, key, value, last_updated_at_ms) SELECT instance_id, key, "
                    "value, last_updated_at_ms FROM kv_delta WHERE instance_id = ?1 AND value IS NOT NULL "
                    "ON CONFLICT (instance_id, key) DO UPDATE SET value = excluded.value, "
                    "last_updated_at_ms = excluded.last_updated_at_ms",
                    instance));
  DUROXIDE_TRY(exec(s, kAck,
                    "DELETE FROM kv_store WHERE instance_id = ?1 AND key IN (SELECT key FROM kv_delta WHERE "
                    "instance_id = ?1 AND value IS NULL)",
                    instance));
  DUROXIDE_TRY(exec(s, kAck, "DELETE FROM kv_delta WHERE instance_id = ?1", instance));
  return {};
}

ProviderResult<void> insert_worker_item(SqliteProvider::Store& s, std::string_view operation,
                                        const work_items::ActivityExecute& activity, const std::string& json,
                                        std::int64_t now) {
  DUROXIDE_TRY_ASSIGN(stmt, s.statement(operation,
                                        "INSERT INTO worker_queue (work_item, visible_at, attempt_count, instance_id, "
                                        "execution_id, activity_id, session_id, tag, created_at) VALUES (?1, ?2, 0, "
                                        "?3, ?4, ?5, ?6, ?7, ?2)"));
  stmt.bind(1, json).bind(2, now).bind(3, activity.instance).bind(4, activity.execution_id).bind(5, activity.id);
  stmt.bind(6, activity.session_id).bind(7, activity.tag);
  DUROXIDE_TRY(stmt.run());
  return {};
}

/// An ack's JSON, encoded before the lock is taken (sqlite_history.hpp).
struct EncodedAck {
  std::vector<std::string> events;
  std::vector<std::string> worker_items;
  std::vector<std::string> orchestrator_items;  ///< the non-worker ack.orchestrator_items, in order
};

ProviderResult<EncodedAck> encode_ack(const OrchestrationAck& ack, std::size_t max_payload) {
  EncodedAck encoded;
  DUROXIDE_TRY_ASSIGN(events, sqlite_detail::encode_events(kAck, ack.history_delta, max_payload));
  encoded.events = std::move(events);
  for (const auto& item : ack.worker_items) {
    DUROXIDE_TRY_ASSIGN(json, sqlite_detail::encode_work_item(kAck, item, max_payload));
    encoded.worker_items.push_back(std::move(json));
  }
  for (const auto& item : ack.orchestrator_items) {
    if (is_worker_item(item)) continue;
    DUROXIDE_TRY_ASSIGN(json, sqlite_detail::encode_work_item(kAck, item, max_payload));
    encoded.orchestrator_items.push_back(std::move(json));
  }
  return encoded;
}

ProviderResult<void> write_queues(SqliteProvider::Store& s, const OrchestrationAck& ack, const EncodedAck& encoded,
                                  std::int64_t now) {
  for (std::size_t i = 0; i < ack.worker_items.size(); ++i) {
    const auto& item = ack.worker_items[i];
    DUROXIDE_TRY(
        insert_worker_item(s, kAck, std::get<work_items::ActivityExecute>(item), encoded.worker_items[i], now));
  }
  // After the inserts, so an activity scheduled and cancelled in the same turn leaves nothing.
  for (const auto& cancelled : ack.cancelled_activities) {
    DUROXIDE_TRY_ASSIGN(stmt, s.statement(kAck,
                                          "DELETE FROM worker_queue WHERE instance_id = ?1 AND execution_id = ?2 AND "
                                          "activity_id = ?3"));
    stmt.bind(1, cancelled.instance).bind(2, cancelled.execution_id).bind(3, cancelled.activity_id);
    DUROXIDE_TRY(stmt.run());
  }
  auto json = encoded.orchestrator_items.begin();
  for (const auto& item : ack.orchestrator_items) {
    if (is_worker_item(item)) continue;
    const auto* timer = std::get_if<work_items::TimerFired>(&item);
    const auto visible_at = timer != nullptr ? static_cast<std::int64_t>(timer->fire_at_ms) : now;
    DUROXIDE_TRY(sqlite_detail::insert_orchestrator_message(s, kAck, item, *json++, visible_at));
  }
  return {};
}

/// The execution ended (or continued as new): its timers that have not fired yet can only ever be
/// discarded as stale, so they are deleted now rather than kept for every queue scan to walk until
/// they come due (docs/storage.md). Only TimerFired rows of this or older executions; a row whose
/// text is not JSON is left for the corrupt-row path. CASE keeps json_extract off such rows.
ProviderResult<void> drop_ended_timers(SqliteProvider::Store& s, const std::string& instance,
                                       std::uint64_t execution_id, std::int64_t now) {
  DUROXIDE_TRY_ASSIGN(stmt, s.statement(kAck,
                                        "DELETE FROM orchestrator_queue WHERE instance_id = ?1 AND visible_at > ?2 "
                                        "AND lock_token IS NULL AND CASE WHEN json_valid(work_item) THEN "
                                        "json_extract(work_item, '$.TimerFired.execution_id') END <= ?3"));
  stmt.bind(1, instance).bind(2, now).bind(3, execution_id);
  DUROXIDE_TRY(stmt.run());
  return {};
}

}  // namespace

namespace sqlite_detail {
ProviderResult<void> insert_activity(SqliteProvider::Store& s, std::string_view operation, const WorkItem& item,
                                     const std::string& json) {
  return insert_worker_item(s, operation, std::get<work_items::ActivityExecute>(item), json,
                            SqliteProvider::Store::now_ms());
}
}  // namespace sqlite_detail

namespace {

/// What a committed ack announces (mutex held, after the COMMIT): the instance changed, and the
/// waiters that have new work.
struct AckEffects {
  std::string instance;
  bool orchestrator_work = false;  ///< it enqueued orchestrator work, or the unlocked instance has some
  bool worker_work = false;
};

void announce(SqliteProvider::Store& s, const AckEffects& out) {
  s.changes.changed(out.instance);
  if (out.orchestrator_work) s.wake(WakeQueue::Orchestrator);
  if (out.worker_work) s.wake(WakeQueue::Worker);
}

/// One turn's writes inside an open transaction (mutex held); what to announce once it commits
/// goes to `out`.
ProviderResult<void> ack_in_transaction(SqliteProvider::Store& s, const std::string& lock_token,
                                        const OrchestrationAck& ack, const EncodedAck& encoded, AckEffects& out) {
  const auto now = SqliteProvider::Store::now_ms();

  {
    DUROXIDE_TRY_ASSIGN(
        find, s.statement(kAck, "SELECT instance_id, locked_until FROM instance_locks WHERE lock_token = ?1"));
    find.bind(1, lock_token);
    DUROXIDE_TRY_ASSIGN(row, find.step());
    if (!row) {
      return std::unexpected(ProviderError::permanent(std::string(kAck), "Invalid lock token: " + lock_token,
                                                      ProviderErrorKind::LockLost));
    }
    out.instance = find.text(0);
    // Checked up front rather than at the end: the transaction makes both orders equivalent.
    if (find.int64(1) <= now) {
      return std::unexpected(ProviderError::permanent(
          std::string(kAck), fmt::format("Instance lock expired for instance '{}'", out.instance),
          ProviderErrorKind::LockLost));
    }
  }

  {
    DUROXIDE_TRY_ASSIGN(consume, s.statement(kAck, "DELETE FROM orchestrator_queue WHERE lock_token = ?1"));
    consume.bind(1, lock_token);
    DUROXIDE_TRY(consume.run());
  }
  DUROXIDE_TRY(write_metadata(s, out.instance, ack, now));
  DUROXIDE_TRY(
      sqlite_detail::append_events(s, kAck, out.instance, ack.execution_id, ack.history_delta, encoded.events));
  DUROXIDE_TRY(write_status(s, out.instance, ack, now));
  DUROXIDE_TRY(write_custom_status(s, out.instance, ack.history_delta));
  DUROXIDE_TRY(write_kv(s, out.instance, ack.history_delta, now));
  if (ack.metadata.status && is_terminal(*ack.metadata.status)) DUROXIDE_TRY(merge_kv(s, out.instance));
  DUROXIDE_TRY(write_queues(s, ack, encoded, now));
  if (ack.metadata.status && is_terminal(*ack.metadata.status)) {
    DUROXIDE_TRY(drop_ended_timers(s, out.instance, ack.execution_id, now));
  }

  DUROXIDE_TRY(exec(s, kAck, "DELETE FROM instance_locks WHERE instance_id = ?1", out.instance));
  {
    DUROXIDE_TRY_ASSIGN(touch, s.statement(kAck, "UPDATE instances SET updated_at = ?2 WHERE instance_id = ?1"));
    touch.bind(1, out.instance).bind(2, now);
    DUROXIDE_TRY(touch.run());
  }
  // Waking the orchestrator waiters costs each of them a fetch transaction: only when this ack
  // enqueued something or the now unlocked instance has messages that arrived during the turn.
  out.orchestrator_work = !ack.orchestrator_items.empty();
  if (!out.orchestrator_work) {
    DUROXIDE_TRY_ASSIGN(pending, s.statement(kAck,
                                             "SELECT EXISTS (SELECT 1 FROM orchestrator_queue WHERE instance_id = ?1 "
                                             "AND visible_at <= ?2)"));
    pending.bind(1, out.instance).bind(2, now);
    DUROXIDE_TRY_ASSIGN(row, pending.step());
    out.orchestrator_work = row && pending.int64(0) != 0;
  }
  out.worker_work = !ack.worker_items.empty();
  return {};
}

/// A SQL statement without parameters or rows (mutex held).
ProviderResult<void> run_plain(SqliteProvider::Store& s, std::string_view operation, const char* sql) {
  DUROXIDE_TRY_ASSIGN(stmt, s.statement(operation, sql));
  DUROXIDE_TRY(stmt.run());
  return {};
}

}  // namespace

ProviderResult<void> SqliteProvider::ack_orchestration_item(const std::string& lock_token,
                                                            const OrchestrationAck& ack) {
  // A batch of one: the same checks and transaction, without a savepoint.
  return std::move(ack_orchestration_items({TurnCommit{lock_token, ack}}).front());
}

std::vector<ProviderResult<void>> SqliteProvider::ack_orchestration_items(const std::vector<TurnCommit>& turns) {
  std::vector<ProviderResult<void>> results(turns.size(), ProviderResult<void>{});
  // Checked and encoded before the lock, like a single ack; a turn that fails here is left out.
  std::vector<std::optional<EncodedAck>> encoded(turns.size());
  std::vector<std::size_t> pending;
  for (std::size_t i = 0; i < turns.size(); ++i) {
    if (auto valid = providers::validate_ack(kAck, turns[i].ack, store_->options.max_payload_bytes); !valid) {
      results[i] = std::unexpected(valid.error());
      continue;
    }
    auto text = encode_ack(turns[i].ack, store_->options.max_payload_bytes);
    if (!text) {
      results[i] = std::unexpected(text.error());
      continue;
    }
    encoded[i] = std::move(*text);
    pending.push_back(i);
  }
  auto& s = *store_;
  std::lock_guard lock(s.mutex);
  // Each round commits what it can in one transaction. A failed turn's savepoint is rolled back
  // and the others go on; an error after which SQLite rolled the whole transaction back (a full
  // disk, an I/O error) fails that turn and starts the others over in a new round.
  while (!pending.empty()) {
    auto tx = Transaction::begin(*s.db, kAck);
    if (!tx) {
      for (auto i : pending) results[i] = std::unexpected(tx.error());
      break;
    }
    const bool alone = pending.size() == 1;
    std::vector<std::pair<std::size_t, AckEffects>> written;
    std::vector<std::size_t> again;
    for (std::size_t k = 0; k < pending.size(); ++k) {
      const auto i = pending[k];
      AckEffects effects;
      ProviderResult<void> done = alone ? ProviderResult<void>{} : run_plain(s, kAck, "SAVEPOINT batched_turn");
      if (done) done = ack_in_transaction(s, turns[i].lock_token, turns[i].ack, *encoded[i], effects);
      if (done && !alone) done = run_plain(s, kAck, "RELEASE batched_turn");
      if (done) {
        written.emplace_back(i, std::move(effects));
        continue;
      }
      results[i] = std::unexpected(done.error());
      if (sqlite3_get_autocommit(s.db->handle()) != 0) {
        for (const auto& [earlier, unused] : written) again.push_back(earlier);
        again.insert(again.end(), pending.begin() + static_cast<std::ptrdiff_t>(k) + 1, pending.end());
        written.clear();
        tx->abandon();
        break;
      }
      if (!alone) {
        (void)run_plain(s, kAck, "ROLLBACK TO batched_turn");
        (void)run_plain(s, kAck, "RELEASE batched_turn");
      }
    }
    if (!written.empty()) {
      if (auto committed = tx->commit(); !committed) {
        for (const auto& [i, unused] : written) results[i] = std::unexpected(committed.error());
      } else {
        for (const auto& [i, effects] : written) announce(s, effects);
      }
    }
    pending = std::move(again);
  }
  return results;
}

ProviderResult<void> SqliteProvider::abandon_orchestration_item(const std::string& lock_token,
                                                                std::optional<Millis> delay, bool ignore_attempt) {
  constexpr std::string_view op = "abandon_orchestration_item";
  auto& s = *store_;
  std::lock_guard lock(s.mutex);
  DUROXIDE_TRY_ASSIGN(tx, Transaction::begin(*s.db, op));
  const auto now = Store::now_ms();
  std::string instance;
  {
    DUROXIDE_TRY_ASSIGN(find, s.statement(op, "SELECT instance_id FROM instance_locks WHERE lock_token = ?1"));
    find.bind(1, lock_token);
    DUROXIDE_TRY_ASSIGN(row, find.step());
    if (!row)
      return std::unexpected(
          ProviderError::permanent(std::string(op), "Invalid lock token: " + lock_token, ProviderErrorKind::LockLost));
    instance = find.text(0);
  }
  DUROXIDE_TRY(exec(s, op, "DELETE FROM instance_locks WHERE instance_id = ?1", instance));
  if (ignore_attempt) {
    DUROXIDE_TRY_ASSIGN(undo, s.statement(op,
                                          "UPDATE orchestrator_queue SET attempt_count = MAX(0, attempt_count - 1) "
                                          "WHERE lock_token = ?1"));
    undo.bind(1, lock_token);
    DUROXIDE_TRY(undo.run());
  }
  if (delay && delay->count() > 0) {
    DUROXIDE_TRY_ASSIGN(postpone, s.statement(op,
                                              "UPDATE orchestrator_queue SET visible_at = ?2 WHERE instance_id = ?1 "
                                              "AND visible_at <= ?3"));
    postpone.bind(1, instance).bind(2, now + delay->count()).bind(3, now);
    DUROXIDE_TRY(postpone.run());
  }
  DUROXIDE_TRY(tx.commit());
  s.wake(WakeQueue::Orchestrator);
  return {};
}

ProviderResult<void> SqliteProvider::renew_orchestration_item_lock(const std::string& lock_token, Millis extend_for) {
  constexpr std::string_view op = "renew_orchestration_item_lock";
  auto& s = *store_;
  std::lock_guard lock(s.mutex);
  const auto now = Store::now_ms();
  DUROXIDE_TRY_ASSIGN(stmt, s.statement(op,
                                        "UPDATE instance_locks SET locked_until = ?2 WHERE lock_token = ?1 AND "
                                        "locked_until > ?3"));
  stmt.bind(1, lock_token).bind(2, now + extend_for.count()).bind(3, now);
  DUROXIDE_TRY_ASSIGN(changed, stmt.run());
  if (changed == 0) {
    return std::unexpected(ProviderError::permanent(std::string(op),
                                                    "Invalid lock token, lock expired or already acked: " + lock_token,
                                                    ProviderErrorKind::LockLost));
  }
  return {};
}

}  // namespace duroxide
