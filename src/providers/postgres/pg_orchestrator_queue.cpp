// PostgresProvider: the orchestrator queue's enqueue, fetch, abandon and renew.
#include <algorithm>

#include <fmt/format.h>

#include <duroxide/constants.hpp>
#include <duroxide/wire.hpp>

#include "logging/loggers.hpp"
#include "providers/input_validation.hpp"
#include "providers/postgres/pg_ops.hpp"

namespace duroxide {

using pg::Param;
using pg_detail::num;

namespace {

constexpr std::string_view kFetchOrch = "fetch_orchestration_item";
/// How many of the newest history events the fetch function returns: enough for the events the
/// runtime has not seen after an ordinary turn, so one round trip serves it; more are read with a
/// second query (docs/storage.md, "Delta fetch").
constexpr std::int64_t kFetchHistoryTail = 64;

bool is_start_like(const WorkItem& item) {
  return std::holds_alternative<work_items::StartOrchestration>(item) ||
         std::holds_alternative<work_items::ContinueAsNew>(item);
}

std::pair<std::string, std::string> start_name_version(const WorkItem& item) {
  if (const auto* start = std::get_if<work_items::StartOrchestration>(&item)) {
    return {start->orchestration, start->version.value_or("unknown")};
  }
  const auto& can = std::get<work_items::ContinueAsNew>(item);
  return {can.orchestration, can.version.value_or("unknown")};
}

/// What one fetch call returned.
struct FetchRows {
  std::optional<std::int64_t> due_in;
  /// The claim was of the only claimable instance: ms until the next due item or lock expiry.
  std::optional<std::optional<std::int64_t>> idle_due_in;
  std::string instance;
  std::uint32_t attempts = 0;
  std::vector<std::pair<std::int64_t, std::string>> messages;
  bool has_meta = false;
  std::uint64_t meta_execution = 0;
  bool execution_exists = false;
  std::string name;
  std::optional<std::string> version;
  std::uint64_t history_execution = 0;
  std::vector<std::pair<std::uint64_t, std::string>> history;  ///< the newest kFetchHistoryTail rows
  std::map<std::string, KvEntry> kv;
};

ProviderResult<FetchRows> call_fetch(PostgresProvider::Store& s, const std::string& token,
                                     Provider::Millis lock_timeout, const std::vector<std::string>& exclude,
                                     const DispatcherCapabilityFilter* filter) {
  std::vector<Param> params{token, num(static_cast<std::int64_t>(lock_timeout.count())),
                            num(static_cast<std::int64_t>(std::max<std::size_t>(1, s.options.max_batch_messages))),
                            pg::text_array(exclude), filter != nullptr ? "true" : "false"};
  if (filter != nullptr) {
    // Only the first range counts (quirk Q7 in docs/storage.md).
    const auto& range = filter->ranges.front();
    params.emplace_back(fmt::format("{{{},{},{}}}", range.min.major, range.min.minor, range.min.patch));
    params.emplace_back(fmt::format("{{{},{},{}}}", range.max.major, range.max.minor, range.max.patch));
  } else {
    params.emplace_back("{0,0,0}");
    params.emplace_back("{0,0,0}");
  }
  params.emplace_back(num(kFetchHistoryTail));
  DUROXIDE_PG_TRY_ASSIGN(res, pg_detail::call(s, kFetchOrch,
                                              "SELECT kind, n1, n2, t1, t2 FROM dx_fetch_orchestration($1, "
                                              "$2::bigint, $3::integer, $4::text[], $5::boolean, $6::bigint[], "
                                              "$7::bigint[], $8::integer)",
                                              params));
  FetchRows rows;
  for (int r = 0; r < res.rows(); ++r) {
    const std::string kind = res.text(r, 0);
    if (kind == "due") {
      rows.due_in = res.optional_int64(r, 1);
    } else if (kind == "idle") {
      rows.idle_due_in = res.optional_int64(r, 1);
    } else if (kind == "lock") {
      rows.attempts = static_cast<std::uint32_t>(res.int64(r, 1));
      rows.instance = res.text(r, 3);
    } else if (kind == "msg") {
      rows.messages.emplace_back(res.int64(r, 1), res.text(r, 3));
    } else if (kind == "meta") {
      rows.has_meta = true;
      rows.meta_execution = res.uint64(r, 1);
      rows.execution_exists = res.int64(r, 2) != 0;
      rows.name = res.text(r, 3);
      rows.version = res.optional_text(r, 4);
    } else if (kind == "hist") {
      rows.history_execution = res.uint64(r, 2);
      rows.history.emplace_back(res.uint64(r, 1), res.text(r, 3));
    } else if (kind == "kv") {
      rows.kv.emplace(res.text(r, 3), KvEntry{pg_detail::decode_stored_text(res.text(r, 4)), res.uint64(r, 1)});
    }
  }
  return rows;
}

enum class Outcome { Locked, Skipped };

using HistoryRows = std::vector<std::pair<std::uint64_t, std::string>>;

/// The history rows of an execution from `from_event_id` on, ascending.
ProviderResult<HistoryRows> read_history_rows(PostgresProvider::Store& s, const std::string& instance,
                                              std::uint64_t execution_id, std::uint64_t from_event_id) {
  DUROXIDE_PG_TRY_ASSIGN(res, pg_detail::call(s, kFetchOrch,
                                              "SELECT event_id, event_data FROM history WHERE instance_id = $1 AND "
                                              "execution_id = $2::bigint AND event_id >= $3::bigint ORDER BY event_id",
                                              {instance, num(execution_id), num(from_event_id)}));
  HistoryRows rows;
  rows.reserve(static_cast<std::size_t>(res.rows()));
  for (int r = 0; r < res.rows(); ++r) rows.emplace_back(res.uint64(r, 0), res.text(r, 1));
  return rows;
}

/// What the fetch hands out of an execution's history, given the newest rows the fetch function
/// returned (`tail`) and the last event the caller holds (`known_last`, 0: none): the rows from
/// known_last on when the store has that event, else every row. Sets `continues_from` to
/// known_last in the first case. A second query reads what the tail does not hold.
ProviderResult<HistoryRows> rows_to_hand_out(PostgresProvider::Store& s, const std::string& instance,
                                             std::uint64_t execution_id, HistoryRows tail, std::uint64_t known_last,
                                             std::uint64_t& continues_from) {
  continues_from = 0;
  if (known_last > 0 && !tail.empty() && known_last >= tail.front().first) {
    const auto at = std::find_if(tail.begin(), tail.end(), [&](const auto& row) { return row.first == known_last; });
    if (at != tail.end()) {
      continues_from = known_last;
      tail.erase(tail.begin(), at);
      return tail;
    }
  }
  if (tail.empty() || tail.front().first == 1) return tail;  // the tail is the whole history
  if (known_last > 0 && known_last < tail.front().first) {
    DUROXIDE_PG_TRY_ASSIGN(rows, read_history_rows(s, instance, execution_id, known_last));
    if (!rows.empty() && rows.front().first == known_last) {
      continues_from = known_last;
      return rows;
    }
  }
  return read_history_rows(s, instance, execution_id, 0);
}

/// Builds the item from what the fetch returned, as the SQLite store does; Skipped (after
/// releasing the batch) when the instance must not be handed out.
ProviderResult<Outcome> build_item(PostgresProvider::Store& s, const std::string& token, FetchRows& rows,
                                   const KnownHistory* known, LockedOrchestrationItem& out) {
  OrchestrationItem item;
  item.instance = rows.instance;
  const auto& instance = rows.instance;
  bool only_queue_messages = true;
  for (auto& [id, text] : rows.messages) {
    auto message = parse_work_item(text);
    std::optional<std::string> problem;
    if (!message) {
      problem = fmt::format("could not be decoded: {}", message.error());
    } else if (work_item_instance(*message) != instance) {
      problem = fmt::format("names instance '{}', not its row's", work_item_instance(*message));
    }
    if (problem) {
      pg_detail::RawQueueRow raw{"orchestrator_queue",
                                 id,
                                 instance,
                                 std::nullopt,
                                 std::nullopt,
                                 text,
                                 fmt::format("orchestrator_queue row {} of instance '{}' {}", id, instance, *problem)};
      DUROXIDE_PG_TRY_ASSIGN(letter, pg_detail::record_dead_letter(s, kFetchOrch, raw));
      logging::provider().error("postgres: {}; kept as dead letter {}", raw.error, letter);
      item.corrupt_rows.push_back(CorruptRow{letter, raw.error});
    } else {
      if (!std::holds_alternative<work_items::QueueMessage>(*message)) only_queue_messages = false;
      item.messages.push_back(std::move(*message));
    }
  }

  bool has_metadata = rows.has_meta;
  pg_detail::LoadedHistory history;
  if (has_metadata) {
    item.orchestration_name = rows.name;
    item.version = rows.version.value_or("unknown");
    item.execution_id = rows.meta_execution;
    if (!rows.execution_exists) {
      item.corrupt_rows.push_back(
          CorruptRow{std::nullopt, fmt::format("instances row of '{}' names current execution {}, which does not exist",
                                               instance, item.execution_id)});
      logging::provider().error("postgres: {}", item.corrupt_rows.back().error);
    }
    const auto known_last = known != nullptr ? known->last_event_id(instance, item.execution_id) : 0;
    std::uint64_t continues_from = 0;
    DUROXIDE_PG_TRY_ASSIGN(handed_out, rows_to_hand_out(s, instance, item.execution_id, std::move(rows.history),
                                                        known_last, continues_from));
    history = pg_detail::decode_history(instance, item.execution_id, handed_out);
    if (continues_from != 0 && !history.decode_error) item.history_continues_from = continues_from;
  } else {
    if (!rows.history.empty()) {
      // Without an instance row the whole history is needed: its OrchestrationStarted names it.
      std::uint64_t unused = 0;
      DUROXIDE_PG_TRY_ASSIGN(all_rows,
                             rows_to_hand_out(s, instance, rows.history_execution, std::move(rows.history), 0, unused));
      auto loaded = pg_detail::decode_history(instance, rows.history_execution, all_rows);
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
        item.orchestration_name.clear();
        item.version = "unknown";
        item.execution_id = kInitialExecutionId;
      } else if (start == item.messages.end()) {
        if (only_queue_messages) {
          logging::provider().warn("postgres: dropping {} queue message(s) for instance '{}', which was never started",
                                   item.messages.size(), instance);
        }
        // Events enqueued before the instance ever started are dropped; anything else stays queued
        // untouched and must not keep other instances from being served (quirk Q1 in docs/storage.md).
        DUROXIDE_PG_TRY(pg_detail::call(s, kFetchOrch, "SELECT dx_release_orchestration($1, $2::boolean)",
                                        {token, only_queue_messages ? "true" : "false"}));
        return Outcome::Skipped;
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
    item.kv_snapshot = std::move(rows.kv);
  }
  out = LockedOrchestrationItem{std::move(item), token, rows.attempts};
  return Outcome::Locked;
}

ProviderResult<std::optional<LockedOrchestrationItem>> fetch_once(PostgresProvider::Store& s,
                                                                  Provider::Millis lock_timeout,
                                                                  const DispatcherCapabilityFilter* filter,
                                                                  const KnownHistory* known,
                                                                  PostgresProvider::Store::PollHint& hint) {
  std::vector<std::string> skipped;
  for (;;) {
    const std::string token = s.new_lock_token();
    DUROXIDE_PG_TRY_ASSIGN(rows, call_fetch(s, token, lock_timeout, skipped, filter));
    if (rows.instance.empty()) {
      hint.due_in = rows.due_in;
      return std::optional<LockedOrchestrationItem>();
    }
    LockedOrchestrationItem locked;
    DUROXIDE_PG_TRY_ASSIGN(outcome, build_item(s, token, rows, known, locked));
    if (outcome == Outcome::Locked) {
      // The function reports idle only for a call that excluded nothing (docs/storage.md, "Wake-ups").
      hint.idle_after_claim = rows.idle_due_in.has_value();
      if (hint.idle_after_claim) hint.idle_due_in = *rows.idle_due_in;
      return std::optional<LockedOrchestrationItem>(std::move(locked));
    }
    skipped.push_back(rows.instance);
  }
}

}  // namespace

ProviderResult<void> PostgresProvider::enqueue_for_orchestrator(const WorkItem& item, std::optional<Millis> delay) {
  constexpr std::string_view op = "enqueue_for_orchestrator";
  if (is_worker_item(item)) {
    return std::unexpected(
        ProviderError::permanent(std::string(op), "Invalid work item type: ActivityExecute belongs to the worker queue",
                                 ProviderErrorKind::InvalidInput));
  }
  DUROXIDE_PG_TRY(providers::validate_work_item(op, item));
  DUROXIDE_PG_TRY_ASSIGN(json, pg_detail::encode_work_item(op, item, store_->options.max_payload_bytes));
  const std::int64_t delay_ms = delay ? std::max<std::int64_t>(0, delay->count()) : 0;
  DUROXIDE_PG_TRY(pg_detail::call(*store_, op, "SELECT dx_enqueue_orchestrator($1, $2, $3::bigint)",
                                  {work_item_instance(item), json, num(delay_ms)}));
  store_->wake(PgWakeQueue::Orchestrator);
  return {};
}

ProviderResult<std::optional<LockedOrchestrationItem>> PostgresProvider::fetch_orchestration_item(
    Millis lock_timeout, Millis poll_timeout, const DispatcherCapabilityFilter* filter, const KnownHistory* known) {
  if (filter != nullptr && filter->ranges.empty()) return std::optional<LockedOrchestrationItem>();
  // Fetches with the same capability filter can claim the same instances (only its first range
  // counts, quirk Q7 in docs/storage.md).
  std::string fetcher = "*";
  if (filter != nullptr) {
    const auto& range = filter->ranges.front();
    fetcher = fmt::format("{}.{}.{}-{}.{}.{}", range.min.major, range.min.minor, range.min.patch, range.max.major,
                          range.max.minor, range.max.patch);
  }
  return store_->long_poll<LockedOrchestrationItem>(
      PgWakeQueue::Orchestrator, poll_timeout, fetcher,
      [&](PostgresProvider::Store::PollHint& hint) { return fetch_once(*store_, lock_timeout, filter, known, hint); });
}

ProviderResult<void> PostgresProvider::abandon_orchestration_item(const std::string& lock_token,
                                                                  std::optional<Millis> delay, bool ignore_attempt) {
  constexpr std::string_view op = "abandon_orchestration_item";
  const std::int64_t delay_ms = delay ? std::max<std::int64_t>(0, delay->count()) : 0;
  DUROXIDE_PG_TRY(pg_detail::call(*store_, op, "SELECT dx_abandon_orchestration($1, $2::bigint, $3::boolean)",
                                  {lock_token, num(delay_ms), ignore_attempt ? "true" : "false"}));
  store_->wake(PgWakeQueue::Orchestrator);
  return {};
}

ProviderResult<void> PostgresProvider::renew_orchestration_item_lock(const std::string& lock_token, Millis extend_for) {
  constexpr std::string_view op = "renew_orchestration_item_lock";
  DUROXIDE_PG_TRY(pg_detail::call(*store_, op, "SELECT dx_renew_orchestration($1, $2::bigint)",
                                  {lock_token, num(static_cast<std::int64_t>(extend_for.count()))}));
  return {};
}

}  // namespace duroxide
