// PostgresProvider: committing a turn in one call of dx_ack_orchestration (one round trip, one
// transaction). Everything is validated and encoded before the call: bad input writes nothing.
#include <chrono>

#include <fmt/format.h>

#include <duroxide/wire.hpp>

#include "providers/input_validation.hpp"
#include "providers/postgres/pg_ops.hpp"

namespace duroxide {

using pg::Param;
using pg_detail::num;

namespace {

constexpr std::string_view kAck = "ack_orchestration_item";

std::optional<std::int64_t> opt_num(std::uint64_t v) { return static_cast<std::int64_t>(v); }

}  // namespace

ProviderResult<void> PostgresProvider::ack_orchestration_item(const std::string& lock_token,
                                                              const OrchestrationAck& ack) {
  const auto max_payload = store_->options.max_payload_bytes;
  DUROXIDE_PG_TRY(providers::validate_ack(kAck, ack, max_payload));
  DUROXIDE_PG_TRY_ASSIGN(events, pg_detail::encode_events(kAck, ack.history_delta, max_payload));

  std::vector<std::optional<std::int64_t>> ev_ids;
  std::vector<std::optional<std::string>> ev_types;
  std::vector<std::optional<std::string>> ev_data;
  for (std::size_t i = 0; i < ack.history_delta.size(); ++i) {
    ev_ids.push_back(opt_num(ack.history_delta[i].event_id));
    ev_types.emplace_back(ack.history_delta[i].type_name());
    ev_data.emplace_back(std::move(events[i]));
  }

  // The last custom status update of the turn wins; KV changes apply in order.
  bool cs_set = false;
  std::optional<std::string> cs;
  std::vector<std::optional<std::string>> kv_op, kv_key, kv_value;
  std::vector<std::optional<std::int64_t>> kv_ts;
  for (const auto& event : ack.history_delta) {
    if (const auto* update = event.get_if<events::CustomStatusUpdated>()) {
      cs_set = true;
      cs = pg_detail::encode_stored_optional(update->status);
    } else if (const auto* set = event.get_if<events::KeyValueSet>()) {
      kv_op.emplace_back("set");
      kv_key.emplace_back(set->key);
      kv_value.emplace_back(pg_detail::encode_stored_text(set->value));
      kv_ts.push_back(static_cast<std::int64_t>(set->last_updated_at_ms));
    } else if (const auto* cleared = event.get_if<events::KeyValueCleared>()) {
      kv_op.emplace_back("clear");
      kv_key.emplace_back(cleared->key);
      kv_value.emplace_back(std::nullopt);
      kv_ts.emplace_back(std::nullopt);
    } else if (event.is<events::KeyValuesCleared>()) {
      kv_op.emplace_back("clear_all");
      kv_key.emplace_back(std::nullopt);
      kv_value.emplace_back(std::nullopt);
      kv_ts.emplace_back(std::nullopt);
    }
  }

  std::vector<std::optional<std::string>> w_item, w_inst, w_session, w_tag;
  std::vector<std::optional<std::int64_t>> w_exec, w_act;
  for (const auto& item : ack.worker_items) {
    const auto& activity = std::get<work_items::ActivityExecute>(item);
    DUROXIDE_PG_TRY_ASSIGN(json, pg_detail::encode_work_item(kAck, item, max_payload));
    w_item.emplace_back(std::move(json));
    w_inst.emplace_back(activity.instance);
    w_exec.push_back(opt_num(activity.execution_id));
    w_act.push_back(opt_num(activity.id));
    w_session.push_back(activity.session_id);
    w_tag.push_back(activity.tag);
  }
  std::vector<std::optional<std::string>> c_inst;
  std::vector<std::optional<std::int64_t>> c_exec, c_act;
  for (const auto& cancelled : ack.cancelled_activities) {
    c_inst.emplace_back(cancelled.instance);
    c_exec.push_back(opt_num(cancelled.execution_id));
    c_act.push_back(opt_num(cancelled.activity_id));
  }
  std::vector<std::optional<std::string>> o_inst, o_item;
  std::vector<std::optional<std::int64_t>> o_visible;
  for (const auto& item : ack.orchestrator_items) {
    if (is_worker_item(item)) continue;
    DUROXIDE_PG_TRY_ASSIGN(json, pg_detail::encode_work_item(kAck, item, max_payload));
    o_inst.emplace_back(work_item_instance(item));
    o_item.emplace_back(std::move(json));
    // TimerFired becomes visible at the runtime's fire_at; everything else at the database's now.
    const auto* timer = std::get_if<work_items::TimerFired>(&item);
    o_visible.push_back(timer != nullptr ? std::optional<std::int64_t>(static_cast<std::int64_t>(timer->fire_at_ms))
                                         : std::nullopt);
  }

  const auto& meta = ack.metadata;
  Param pin;
  if (meta.pinned_duroxide_version) {
    pin = fmt::format("{{{},{},{}}}", meta.pinned_duroxide_version->major, meta.pinned_duroxide_version->minor,
                      meta.pinned_duroxide_version->patch);
  }
  // Activities for this process's idle worker fetches are locked by the ack itself and handed to
  // them once it commits (providers/work_handoff.hpp); reserved until then.
  providers::WorkHandOff::Claims claims;
  if (!ack.worker_items.empty()) {
    std::lock_guard lock(store_->mutex);
    claims = store_->work_handoff.plan(ack.worker_items);
  }
  std::vector<std::optional<std::string>> w_token(ack.worker_items.size());
  for (std::size_t i = 0; i < w_token.size(); ++i) {
    if (claims.claim[i]) w_token[i] = store_->new_lock_token();
  }

  std::vector<Param> params{lock_token,
                            num(ack.execution_id),
                            pg::int_array(ev_ids),
                            pg::text_array(ev_types),
                            pg::text_array(ev_data),
                            meta.status ? Param(std::string(to_string(*meta.status))) : Param(),
                            pg_detail::encode_stored_optional(meta.output),
                            meta.orchestration_name,
                            meta.orchestration_version,
                            meta.parent_instance_id,
                            pin,
                            cs_set ? "true" : "false",
                            cs,
                            pg::text_array(kv_op),
                            pg::text_array(kv_key),
                            pg::text_array(kv_value),
                            pg::int_array(kv_ts),
                            pg::text_array(w_item),
                            pg::text_array(w_inst),
                            pg::int_array(w_exec),
                            pg::int_array(w_act),
                            pg::text_array(w_session),
                            pg::text_array(w_tag),
                            pg::text_array(w_token),
                            num(static_cast<std::int64_t>(claims.lock_timeout.count())),
                            pg::text_array(c_inst),
                            pg::int_array(c_exec),
                            pg::int_array(c_act),
                            pg::text_array(o_inst),
                            pg::text_array(o_item),
                            pg::int_array(o_visible)};
  auto committed = pg_detail::call(*store_, kAck,
                                   "SELECT out_instance, out_orch_work FROM dx_ack_orchestration($1, $2::bigint, "
                                   "$3::bigint[], $4::text[], $5::text[], $6, $7, $8, $9, $10, $11::bigint[], "
                                   "$12::boolean, $13, $14::text[], $15::text[], $16::text[], $17::bigint[], "
                                   "$18::text[], $19::text[], $20::bigint[], $21::bigint[], $22::text[], $23::text[], "
                                   "$24::text[], $25::bigint, $26::text[], $27::bigint[], $28::bigint[], $29::text[], "
                                   "$30::text[], $31::bigint[])",
                                   params);
  const auto committed_at = std::chrono::steady_clock::now();
  if (!committed) {
    std::lock_guard lock(store_->mutex);
    store_->work_handoff.cancel(claims);
    return std::unexpected(std::move(committed.error()));
  }
  if (claims.count > 0) {
    std::vector<LockedWorkItem> handed;
    for (std::size_t i = 0; i < w_token.size(); ++i) {
      if (w_token[i]) handed.push_back(LockedWorkItem{ack.worker_items[i], *w_token[i], 1, std::nullopt});
    }
    std::lock_guard lock(store_->mutex);
    store_->work_handoff.deliver(claims, std::move(handed), committed_at);
  }
  const auto& res = *committed;
  if (res.rows() > 0) {
    store_->changed(res.text(0, 0));
    // Messages left for this instance, and one item per instance the turn sent to.
    if (res.boolean(0, 1)) store_->wake(PgWakeQueue::Orchestrator, 1 + ack.orchestrator_items.size());
  }
  // One wake-up per item: a handed-over one wakes an idle fetch to take it.
  if (!ack.worker_items.empty()) store_->wake(PgWakeQueue::Worker, ack.worker_items.size());
  return {};
}

}  // namespace duroxide
