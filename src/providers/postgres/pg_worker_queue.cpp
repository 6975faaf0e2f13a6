// PostgresProvider: the worker queue and session leases.
#include <fmt/format.h>

#include <duroxide/wire.hpp>

#include "logging/loggers.hpp"
#include "providers/input_validation.hpp"
#include "providers/postgres/pg_ops.hpp"

namespace duroxide {

using pg::Param;
using pg_detail::num;

namespace {

constexpr std::string_view kFetchWork = "fetch_work_item";

std::optional<std::string> worker_row_problem(const Result<WorkItem>& item, const pg_detail::RawQueueRow& row) {
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

int tag_mode(const TagFilter& tags) {
  switch (tags.kind()) {
    case TagFilter::Kind::DefaultOnly:
      return 0;
    case TagFilter::Kind::Tags:
      return 1;
    case TagFilter::Kind::DefaultAnd:
      return 2;
    case TagFilter::Kind::Any:
      return 3;
    case TagFilter::Kind::None:
      break;
  }
  return 0;
}

/// The row a worker claim returned (dx_fetch_work's columns), as a queue row (no error yet).
pg_detail::RawQueueRow claimed_worker_row(const pg::Result& res) {
  return pg_detail::RawQueueRow{"worker_queue",
                                res.int64(0, 0),
                                res.optional_text(0, 3),
                                res.optional_int64(0, 4),
                                res.optional_int64(0, 5),
                                res.text(0, 1),
                                {}};
}

ProviderResult<std::optional<LockedWorkItem>> fetch_work_once(PostgresProvider::Store& s, Provider::Millis lock_timeout,
                                                              const std::optional<SessionFetchConfig>& session,
                                                              const TagFilter& tags,
                                                              std::optional<std::int64_t>& due_in) {
  std::vector<std::string> tag_list(tags.tag_set().begin(), tags.tag_set().end());
  for (;;) {
    const std::string token = s.new_lock_token();
    DUROXIDE_PG_TRY_ASSIGN(
        res,
        pg_detail::call(
            s, kFetchWork, "SELECT * FROM dx_fetch_work($1, $2::bigint, $3, $4::bigint, $5::integer, $6::text[])",
            {token, num(static_cast<std::int64_t>(lock_timeout.count())), session ? Param(session->owner_id) : Param{},
             num(static_cast<std::int64_t>(session ? session->lock_timeout.count() : 0)),
             num(static_cast<std::int64_t>(tag_mode(tags))), pg::text_array(tag_list)}));
    // Rows this call held and let go were skipped by our other fetchers meanwhile: wake them (the
    // call woke other processes itself; docs/storage.md, "Wake-ups").
    if (const auto let_go = res.rows() > 0 ? res.optional_int64(0, 9).value_or(0) : 0; let_go > 0)
      s.wake(PgWakeQueue::Worker, static_cast<std::size_t>(let_go));
    if (res.rows() == 0 || res.is_null(0, 0)) {
      if (res.rows() > 0) due_in = res.optional_int64(0, 8);
      return std::optional<LockedWorkItem>();
    }
    auto raw = claimed_worker_row(res);
    const auto id = raw.row_id;
    const auto session_id = res.optional_text(0, 2);
    const auto tag = res.optional_text(0, 6);
    const auto attempts = static_cast<std::uint32_t>(res.int64(0, 7));
    auto item = parse_work_item(raw.raw_text);
    std::optional<CorruptRow> corrupt;
    if (auto problem = worker_row_problem(item, raw)) {
      raw.error = fmt::format("worker_queue row {}: {}", id, *problem);
      DUROXIDE_PG_TRY_ASSIGN(letter, pg_detail::record_dead_letter(s, kFetchWork, raw));
      if (!raw.instance_id || !raw.execution_id || !raw.activity_id) {
        logging::provider().error("postgres: {}; it names no activity, kept as dead letter {} and removed", raw.error,
                                  letter);
        DUROXIDE_PG_TRY(pg_detail::call(s, kFetchWork, "DELETE FROM worker_queue WHERE id = $1::bigint", {num(id)}));
        continue;
      }
      logging::provider().error("postgres: {}; kept as dead letter {}", raw.error, letter);
      item =
          WorkItem(work_items::ActivityExecute{*raw.instance_id, static_cast<std::uint64_t>(*raw.execution_id),
                                               static_cast<std::uint64_t>(*raw.activity_id), "", "", session_id, tag});
      corrupt = CorruptRow{letter, raw.error};
    }
    return std::optional<LockedWorkItem>(LockedWorkItem{std::move(*item), token, attempts, std::move(corrupt)});
  }
}

}  // namespace

ProviderResult<void> PostgresProvider::enqueue_for_worker(const WorkItem& item) {
  constexpr std::string_view op = "enqueue_for_worker";
  if (!is_worker_item(item)) {
    return std::unexpected(ProviderError::permanent(
        std::string(op),
        fmt::format("Invalid work item type: {} belongs to the orchestrator queue", work_item_type_name(item)),
        ProviderErrorKind::InvalidInput));
  }
  DUROXIDE_PG_TRY(providers::validate_work_item(op, item));
  DUROXIDE_PG_TRY_ASSIGN(json, pg_detail::encode_work_item(op, item, store_->options.max_payload_bytes));
  const auto& activity = std::get<work_items::ActivityExecute>(item);
  DUROXIDE_PG_TRY(pg_detail::call(
      *store_, op, "SELECT dx_enqueue_worker($1, $2, $3::bigint, $4::bigint, $5, $6)",
      {json, activity.instance, num(activity.execution_id), num(activity.id), activity.session_id, activity.tag}));
  store_->wake(PgWakeQueue::Worker);
  return {};
}

ProviderResult<std::optional<LockedWorkItem>> PostgresProvider::fetch_work_item(
    Millis lock_timeout, Millis poll_timeout, const std::optional<SessionFetchConfig>& session, const TagFilter& tags) {
  if (tags.kind() == TagFilter::Kind::None) return std::optional<LockedWorkItem>();
  // Activities an ack of this process locked for its idle fetches come first (providers/work_handoff.hpp);
  // held items found stale on the way are given back to the queue once the poll is over.
  auto& handoff = store_->work_handoff;
  std::vector<std::string> stale;
  std::optional<std::uint64_t> idle_handle;
  const PostgresProvider::Store::LocalItems<LockedWorkItem> local{
      [&] { return handoff.take(tags, std::chrono::steady_clock::now(), stale); },
      [&](bool idle) {
        if (idle) {
          idle_handle = handoff.idle(tags, lock_timeout);
        } else if (idle_handle) {
          handoff.busy(*idle_handle);
          idle_handle.reset();
        }
      }};
  // The worker fetch reports no idle hint (yet), so its fetcher name is never matched.
  auto fetched = store_->long_poll<LockedWorkItem>(
      PgWakeQueue::Worker, poll_timeout, "",
      [&](PostgresProvider::Store::PollHint& hint) {
        return fetch_work_once(*store_, lock_timeout, session, tags, hint.due_in);
      },
      &local);
  if (!stale.empty()) store_->release_held(stale);
  if (fetched && fetched->has_value()) {
    std::lock_guard lock(store_->mutex);
    handoff.remember((*fetched)->lock_token, {lock_timeout, tags});
  }
  return fetched;
}

ProviderResult<void> PostgresProvider::ack_work_item(const std::string& lock_token,
                                                     const std::optional<WorkItem>& completion) {
  constexpr std::string_view op = "ack_work_item";
  Param instance;
  Param json;
  if (completion) {
    if (!std::holds_alternative<work_items::ActivityCompleted>(*completion) &&
        !std::holds_alternative<work_items::ActivityFailed>(*completion)) {
      return std::unexpected(
          ProviderError::permanent(std::string(op),
                                   fmt::format("a completion must be ActivityCompleted or ActivityFailed, got {}",
                                               work_item_type_name(*completion)),
                                   ProviderErrorKind::InvalidInput));
    }
    DUROXIDE_PG_TRY(providers::validate_work_item(op, *completion));
    DUROXIDE_PG_TRY_ASSIGN(encoded, pg_detail::encode_work_item(op, *completion, store_->options.max_payload_bytes));
    json = std::move(encoded);
    instance = work_item_instance(*completion);
  }
  std::optional<providers::WorkHandOff::Fetcher> fetcher;
  {
    std::lock_guard lock(store_->mutex);
    fetcher = store_->work_handoff.forget(lock_token);
  }
  if (!completion || !fetcher) {
    DUROXIDE_PG_TRY(pg_detail::call(*store_, op, "SELECT dx_ack_work($1, $2, $3)", {lock_token, instance, json}));
    if (completion) store_->wake(PgWakeQueue::Orchestrator);
    return {};
  }
  // The slot that acks fetches again at once: the ack claims that fetch's next activity in the
  // same transaction and holds it for the fetch (docs/storage.md, "Hand-off to idle workers").
  std::vector<std::string> tag_list(fetcher->tags.tag_set().begin(), fetcher->tags.tag_set().end());
  const std::string next_token = store_->new_lock_token();
  DUROXIDE_PG_TRY_ASSIGN(
      res, pg_detail::call(
               *store_, op, "SELECT * FROM dx_ack_work_claim_next($1, $2, $3, $4, $5::bigint, $6::integer, $7::text[])",
               {lock_token, instance, json, next_token, num(static_cast<std::int64_t>(fetcher->lock_timeout.count())),
                num(static_cast<std::int64_t>(tag_mode(fetcher->tags))), pg::text_array(tag_list)}));
  const auto claimed_at = std::chrono::steady_clock::now();
  store_->wake(PgWakeQueue::Orchestrator);
  if (res.rows() == 0 || res.is_null(0, 0)) return {};
  const auto raw = claimed_worker_row(res);
  auto item = parse_work_item(raw.raw_text);
  if (worker_row_problem(item, raw)) {
    // A corrupt row is the fetch's to handle (it keeps a dead letter): give it back.
    store_->release_held({next_token});
    return {};
  }
  {
    std::lock_guard lock(store_->mutex);
    store_->work_handoff.hold(
        LockedWorkItem{std::move(*item), next_token, static_cast<std::uint32_t>(res.int64(0, 7)), std::nullopt},
        fetcher->lock_timeout, claimed_at);
  }
  // Whichever local fetch comes first takes it: a waiting one now, else the acking slot's next.
  store_->wake(PgWakeQueue::Worker);
  return {};
}

ProviderResult<void> PostgresProvider::abandon_work_item(const std::string& lock_token, std::optional<Millis> delay,
                                                         bool ignore_attempt) {
  constexpr std::string_view op = "abandon_work_item";
  {
    std::lock_guard lock(store_->mutex);
    store_->work_handoff.forget(lock_token);
  }
  const std::int64_t delay_ms = delay ? std::max<std::int64_t>(0, delay->count()) : 0;
  DUROXIDE_PG_TRY(pg_detail::call(*store_, op, "SELECT dx_abandon_work($1, $2::bigint, $3::boolean)",
                                  {lock_token, num(delay_ms), ignore_attempt ? "true" : "false"}));
  store_->wake(PgWakeQueue::Worker);
  return {};
}

ProviderResult<void> PostgresProvider::renew_work_item_lock(const std::string& lock_token, Millis extend_for) {
  constexpr std::string_view op = "renew_work_item_lock";
  DUROXIDE_PG_TRY(pg_detail::call(*store_, op, "SELECT dx_renew_work($1, $2::bigint)",
                                  {lock_token, num(static_cast<std::int64_t>(extend_for.count()))}));
  return {};
}

ProviderResult<std::size_t> PostgresProvider::renew_session_lock(const std::vector<std::string>& owner_ids,
                                                                 Millis extend_for, Millis idle_timeout) {
  constexpr std::string_view op = "renew_session_lock";
  if (owner_ids.empty()) return std::size_t{0};
  // Idle sessions (no activity within idle_timeout) are left to expire: that is how they unpin.
  DUROXIDE_PG_TRY_ASSIGN(res,
                         pg_detail::call(*store_, op,
                                         "WITH now AS (SELECT dx_now_ms() AS t) UPDATE sessions SET "
                                         "locked_until = now.t + $2::bigint FROM now WHERE worker_id = "
                                         "ANY ($1::text[]) AND locked_until > now.t AND last_activity_at > "
                                         "now.t - $3::bigint",
                                         {pg::text_array(owner_ids), num(static_cast<std::int64_t>(extend_for.count())),
                                          num(static_cast<std::int64_t>(idle_timeout.count()))}));
  return static_cast<std::size_t>(res.affected());
}

ProviderResult<std::size_t> PostgresProvider::cleanup_orphaned_sessions(Millis /*idle_timeout*/) {
  constexpr std::string_view op = "cleanup_orphaned_sessions";
  DUROXIDE_PG_TRY_ASSIGN(res, pg_detail::call(*store_, op,
                                              "DELETE FROM sessions WHERE locked_until < dx_now_ms() AND NOT EXISTS "
                                              "(SELECT 1 FROM worker_queue w WHERE w.session_id = sessions.session_id)",
                                              {}));
  return static_cast<std::size_t>(res.affected());
}

}  // namespace duroxide
