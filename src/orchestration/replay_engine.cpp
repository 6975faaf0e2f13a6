// One orchestration turn (docs/orchestration-engine.md, "Replay rules").
#include "orchestration/replay_engine.hpp"

#include <algorithm>
#include <exception>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <duroxide/constants.hpp>
#include "core/overloaded.hpp"
#include "orchestration/rewind_history.hpp"

namespace duroxide::orchestration {

using detail::Overloaded;
namespace completion = detail::completion;

namespace {

/// Families of scheduling events; completions and breadcrumbs refer to one of them.
enum class Family { Activity, Timer, SubOrchestration, Positional, Persistent, Chained };

const char* family_label(Family family) {
  switch (family) {
    case Family::Activity:
      return "activity";
    case Family::Timer:
      return "timer";
    case Family::SubOrchestration:
      return "suborchestration";
    default:
      return "other";
  }
}

std::optional<Family> schedule_family(const EventKind& kind) {
  if (std::holds_alternative<events::ActivityScheduled>(kind)) return Family::Activity;
  if (std::holds_alternative<events::TimerCreated>(kind)) return Family::Timer;
  if (std::holds_alternative<events::SubOrchestrationScheduled>(kind)) return Family::SubOrchestration;
  if (std::holds_alternative<events::ExternalSubscribed>(kind)) return Family::Positional;
  if (std::holds_alternative<events::QueueSubscribed>(kind)) return Family::Persistent;
  return std::nullopt;
}

/// The family a cancellation breadcrumb belongs to, with its reason.
std::optional<std::pair<Family, const std::string*>> breadcrumb_family(const EventKind& kind) {
  if (auto* e = std::get_if<events::ActivityCancelRequested>(&kind)) return std::pair{Family::Activity, &e->reason};
  if (auto* e = std::get_if<events::SubOrchestrationCancelRequested>(&kind))
    return std::pair{Family::SubOrchestration, &e->reason};
  if (auto* e = std::get_if<events::ExternalSubscribedCancelled>(&kind))
    return std::pair{Family::Positional, &e->reason};
  if (auto* e = std::get_if<events::QueueSubscriptionCancelled>(&kind))
    return std::pair{Family::Persistent, &e->reason};
  return std::nullopt;
}

Family family_of(FutureKind kind) {
  switch (kind) {
    case FutureKind::Activity:
      return Family::Activity;
    case FutureKind::SubOrchestration:
      return Family::SubOrchestration;
    case FutureKind::ExternalWait:
      return Family::Positional;
    case FutureKind::QueueDequeue:
      return Family::Persistent;
    case FutureKind::Timer:
      break;
  }
  return Family::Timer;
}

constexpr std::string_view kDroppedFuture = "dropped_future";

/// What the engine knows about one schedule event id this turn.
struct ScheduleSlot {
  std::uint64_t token = 0;  ///< the token last bound to this id
  bool open = false;        ///< matched and not yet completed
  Family family = Family::Activity;
};

/// Schedule event id -> slot. Ids are the dense positions of a well-formed history, so they index a
/// vector; ids past `dense_limit` (only a corrupted history has them) go to a hash map instead.
class ScheduleTable {
 public:
  /// Raises the limit (never lowers it); entries already kept past the old limit move to the
  /// dense part, so a resumed session (its history grew since) still finds them.
  void grow_dense_limit(std::size_t limit) {
    if (limit <= dense_limit_) return;
    dense_limit_ = limit;
    // No reserve up to the limit: it includes a slack of 1,024 ids, and a session kept between
    // turns would hold that slack (about 25 KB) for its whole life. The vector grows as ids come.
    for (auto it = sparse_.begin(); it != sparse_.end();) {
      if (it->first < dense_limit_) {
        if (it->first >= dense_.size()) dense_.resize(it->first + 1);
        dense_[it->first] = it->second;
        it = sparse_.erase(it);
      } else {
        ++it;
      }
    }
  }
  ScheduleSlot& operator[](std::uint64_t id) {
    if (id >= dense_limit_) return sparse_[id];
    if (id >= dense_.size()) dense_.resize(id + 1);
    return dense_[id];
  }
  ScheduleSlot* find(std::uint64_t id) {
    if (id >= dense_limit_) {
      auto it = sparse_.find(id);
      return it == sparse_.end() ? nullptr : &it->second;
    }
    return id < dense_.size() ? &dense_[id] : nullptr;
  }

 private:
  std::size_t dense_limit_ = 0;
  std::vector<ScheduleSlot> dense_;
  std::unordered_map<std::uint64_t, ScheduleSlot> sparse_;
};

}  // namespace

/// The live state of one execution between turns (docs/orchestration-engine.md, "Instance
/// cache"): the suspended coroutine and everything the engine knows about it, as of the history it
/// has seen (`history_len` events, the last one `last_event_id`).
class ReplaySession {
 public:
  ReplaySession() = default;
  ReplaySession(const ReplaySession&) = delete;
  ReplaySession& operator=(const ReplaySession&) = delete;
  /// Tears the coroutine down (before the handler it came from) without recording drops
  /// (docs/orchestration-engine.md).
  ~ReplaySession() {
    if (state) state->accepting_drops = false;
    try {
      root = Task<Result<std::string>>();
    } catch (...) {
    }
  }

  /// The handler whose call made `root`: a lambda coroutine's frame refers to the lambda object
  /// (its captures) inside this std::function, so the session keeps it as long as the frame.
  OrchestrationHandler handler;
  std::shared_ptr<detail::ContextState> state;
  Task<Result<std::string>> root;
  bool must_poll = true;
  ScheduleTable schedules;
  std::uint64_t execution_id = 0;
  std::size_t history_len = 0;
  std::uint64_t last_event_id = 0;
  /// What the history's rewinds superseded (docs/rewind.md): a resumed turn has no new history
  /// events, so it reuses the set instead of scanning for rewinds again.
  std::set<std::uint64_t> superseded;
};

void ReplaySessionDeleter::operator()(ReplaySession* session) const noexcept { delete session; }

namespace {

class Turn {
 public:
  /// `resumed`: `session` holds the live state as of the input's persisted history, and only the
  /// events after it are applied; otherwise the session is empty and the whole history replays.
  Turn(const TurnInput& input, ReplaySession& session, bool resumed)
      : in_(input),
        superseded_(resumed ? session.superseded : superseded_events(input.baseline_events())),
        rewound_baseline_(superseded_.empty() ? std::vector<Event>{} : without_superseded(input.baseline_events())),
        baseline_(superseded_.empty() ? input.baseline_events() : rewound_baseline_),
        hidden_(input.baseline_events().size() - baseline_.size()),
        persisted_len_(input.persisted_len - std::min(hidden_, input.persisted_len)),
        session_(session),
        resumed_(resumed) {}

  TurnOutput run() {
    try {
      out_.result = execute();
    } catch (const std::exception& e) {
      out_.result = turn_result::Failed{ErrorDetails::infrastructure("replay_engine", e.what(), false)};
    } catch (...) {
      out_.result = turn_result::Failed{ErrorDetails::infrastructure("replay_engine", "unknown error", false)};
    }
    live_ = ran_ && !output_ && std::holds_alternative<turn_result::Continue>(out_.result);
    if (live_) {
      // What the state has now seen: the baseline and this turn's delta.
      session_.execution_id = in_.execution_id;
      session_.history_len = working_size() + hidden_;  // as stored, superseded events included
      session_.last_event_id = working(working_size() - 1).event_id;
      session_.superseded = superseded_;
    }
    return std::move(out_);
  }

  /// The code ran this turn (no early exit) and is still suspended: its session can serve the next.
  bool live() const { return live_; }

 private:
  // ---------------------------------------------------------------- history access
  std::size_t working_size() const { return baseline_.size() + out_.history_delta.size(); }
  const Event& working(std::size_t i) const {
    return i < baseline_.size() ? baseline_[i] : out_.history_delta[i - baseline_.size()];
  }
  template <class Pred>
  bool any_baseline(Pred pred) const {
    return std::any_of(baseline_.begin(), baseline_.end(), pred);
  }
  template <class Pred>
  bool any_delta(Pred pred) const {
    return std::any_of(out_.history_delta.begin(), out_.history_delta.end(), pred);
  }
  template <class Kind>
  static auto is_kind_from(std::uint64_t source) {
    return [source](const Event& e) { return e.is<Kind>() && e.source_event_id == source; };
  }

  std::uint64_t now() const { return in_.now_ms ? in_.now_ms() : 0; }

  void append_event(std::optional<std::uint64_t> source, EventKind kind) {
    Event event;
    event.event_id = next_event_id_++;
    event.source_event_id = source;
    event.instance_id = in_.instance_id;
    event.execution_id = in_.execution_id;
    event.timestamp_ms = now();
    event.duroxide_version = std::string(kDuroxideCompatVersion);
    event.kind = std::move(kind);
    out_.history_delta.push_back(std::move(event));
  }

  /// Room for `expected` tokens, growing geometrically: a resumed chain needs one more each turn,
  /// and reserving exactly that much copied every token on every turn.
  void reserve_tokens(std::size_t expected) {
    auto& tokens = state_->tokens;
    if (tokens.capacity() < expected) tokens.reserve(std::max(expected, tokens.capacity() * 2));
  }

  static turn_result::Failed nondeterminism(std::string message) {
    return turn_result::Failed{ErrorDetails::nondeterminism(std::move(message))};
  }

  /// A nondeterminism at recorded `event`: the code emitted `emitted` there ("<what>: action=...
  /// vs event=..."), or nothing (the message is `what` alone). Recorded as the turn's divergence.
  turn_result::Failed diverged(const Event& event, const Action* emitted, std::string_view what) {
    Divergence divergence{event.event_id, describe_event(event.kind), std::nullopt};
    std::string message(what);
    if (emitted != nullptr) {
      divergence.emitted = describe_action(*emitted);
      message = fmt::format("{}: action={} vs event={}", what, *divergence.emitted, divergence.recorded);
    }
    out_.divergence = std::move(divergence);
    return nondeterminism(std::move(message));
  }

  // ---------------------------------------------------------------- stage 1: messages become events
  void set_abort(ErrorDetails details, bool overwrite) {
    if (overwrite || !abort_error_) abort_error_ = std::move(details);
  }

  /// The completion must refer to a scheduling event of its own family.
  bool schedule_check(std::uint64_t id, Family expected) {
    for (std::size_t i = 0; i < working_size(); ++i) {
      const Event& event = working(i);
      if (event.event_id != id) continue;
      auto family = schedule_family(event.kind);
      if (!family || (*family != Family::Activity && *family != Family::Timer && *family != Family::SubOrchestration))
        continue;
      if (*family == expected) return true;
      set_abort(ErrorDetails::nondeterminism(fmt::format("completion kind mismatch for id={}, expected '{}', got '{}'",
                                                         id, family_label(*family), family_label(expected))),
                true);
      return false;
    }
    switch (expected) {
      case Family::Timer:
        set_abort(ErrorDetails::nondeterminism(fmt::format("no matching schedule for timer id={}", id)), true);
        break;
      case Family::SubOrchestration:
        set_abort(ErrorDetails::nondeterminism(fmt::format("no matching schedule for sub-orchestration id={}", id)),
                  true);
        break;
      default:
        set_abort(ErrorDetails::nondeterminism(fmt::format("no matching schedule for completion id={}", id)), true);
    }
    return false;
  }

  static bool is_system_error(const ErrorDetails& details) { return details.get_if<error::Application>() == nullptr; }

  /// The schedule a completion message answers, or nothing for other messages.
  static std::optional<std::uint64_t> answered_schedule(const WorkItem& message) {
    return std::visit(
        Overloaded{
            [](const work_items::ActivityCompleted& m) -> std::optional<std::uint64_t> { return m.id; },
            [](const work_items::ActivityFailed& m) -> std::optional<std::uint64_t> { return m.id; },
            [](const work_items::TimerFired& m) -> std::optional<std::uint64_t> { return m.id; },
            [](const work_items::SubOrchCompleted& m) -> std::optional<std::uint64_t> { return m.parent_id; },
            [](const work_items::SubOrchFailed& m) -> std::optional<std::uint64_t> { return m.parent_id; },
            [](const auto&) -> std::optional<std::uint64_t> { return std::nullopt; },
        },
        message);
  }

  void convert_messages() {
    const std::uint64_t execution = in_.execution_id;
    for (const WorkItem& message : in_.messages) {
      // The result of work a rewind took back (docs/rewind.md): its schedule no longer counts.
      if (!superseded_.empty())
        if (auto schedule = answered_schedule(message); schedule && superseded_.contains(*schedule)) continue;
      std::visit(Overloaded{
                     [&](const work_items::ActivityCompleted& m) {
                       if (m.execution_id != execution) return;
                       if (activity_outcome_recorded(m.id)) return;
                       if (!schedule_check(m.id, Family::Activity)) return;
                       append_event(m.id, events::ActivityCompleted{m.result});
                     },
                     [&](const work_items::ActivityFailed& m) {
                       if (m.execution_id != execution) return;
                       if (activity_outcome_recorded(m.id)) return;
                       if (!schedule_check(m.id, Family::Activity)) return;
                       if (is_system_error(m.details)) set_abort(m.details, false);
                       append_event(m.id, events::ActivityFailed{m.details});
                     },
                     [&](const work_items::TimerFired& m) {
                       if (m.execution_id != execution) return;
                       if (any_baseline(is_kind_from<events::TimerFired>(m.id))) return;
                       if (any_delta(is_kind_from<events::TimerFired>(m.id))) return;
                       if (!schedule_check(m.id, Family::Timer)) return;
                       append_event(m.id, events::TimerFired{m.fire_at_ms});
                     },
                     [&](const work_items::SubOrchCompleted& m) {
                       if (m.parent_execution_id != execution) return;
                       if (sub_orch_outcome_recorded(m.parent_id)) return;
                       if (!schedule_check(m.parent_id, Family::SubOrchestration)) return;
                       append_event(m.parent_id, events::SubOrchestrationCompleted{m.result});
                     },
                     [&](const work_items::SubOrchFailed& m) {
                       if (m.parent_execution_id != execution) return;
                       if (sub_orch_outcome_recorded(m.parent_id)) return;
                       if (!schedule_check(m.parent_id, Family::SubOrchestration)) return;
                       if (is_system_error(m.details)) set_abort(m.details, false);
                       append_event(m.parent_id, events::SubOrchestrationFailed{m.details});
                     },
                     [&](const work_items::ExternalRaised& m) {
                       append_event(std::nullopt, events::ExternalEvent{m.name, m.data});
                     },
                     [&](const work_items::QueueMessage& m) {
                       append_event(std::nullopt, events::QueueEventDelivered{m.name, m.data});
                     },
                     [&](const work_items::CancelInstance& m) {
                       auto terminal = [](const Event& e) {
                         return e.is<events::OrchestrationCompleted>() || e.is<events::OrchestrationFailed>() ||
                                e.is<events::OrchestrationTerminated>();
                       };
                       auto cancel = [](const Event& e) { return e.is<events::OrchestrationCancelRequested>(); };
                       if (any_baseline(terminal) || any_baseline(cancel) || any_delta(cancel)) return;
                       append_event(std::nullopt, events::OrchestrationCancelRequested{m.reason});
                     },
                     [](const auto&) {},  // start items and worker items are not completions
                 },
                 message);
    }
  }

  // Duplicates. DESIGN decision on Q3 (a fix over the reference, which checks the persisted history
  // per exact kind and never for ActivityFailed): any outcome already recorded for the schedule,
  // persisted or staged this turn, makes a later one a duplicate. The first outcome wins.
  bool activity_outcome_recorded(std::uint64_t id) const {
    auto outcome = [id](const Event& e) {
      return e.source_event_id == id && (e.is<events::ActivityCompleted>() || e.is<events::ActivityFailed>());
    };
    return any_baseline(outcome) || any_delta(outcome);
  }
  bool sub_orch_outcome_recorded(std::uint64_t id) const {
    auto outcome = [id](const Event& e) {
      return e.source_event_id == id &&
             (e.is<events::SubOrchestrationCompleted>() || e.is<events::SubOrchestrationFailed>());
    };
    return any_baseline(outcome) || any_delta(outcome);
  }

  // ---------------------------------------------------------------- polling
  /// Polls the orchestration once. Returns a failure if its code threw.
  std::optional<turn_result::Failed> poll() {
    try {
      if (root_.poll()) output_ = root_.take();
    } catch (const std::exception& e) {
      return turn_result::Failed{ErrorDetails::panicked(e.what())};
    } catch (...) {
      return turn_result::Failed{ErrorDetails::panicked("orchestration panicked")};
    }
    return std::nullopt;
  }

  // ---------------------------------------------------------------- applying history
  void bind(std::uint64_t token, std::uint64_t schedule_id) {
    state_->bind(token, schedule_id);
    schedules_[schedule_id].token = token;
  }

  std::optional<turn_result::Failed> match_schedule(const Event& event, Family family) {
    auto& queue = state_->queue;
    if (queue.empty()) return diverged(event, nullptr, "history schedule but no emitted action");
    auto& [token, action] = queue.front();
    if (!action_matches_event(action, event.kind)) return diverged(event, &action, "schedule mismatch");
    const std::uint64_t bound_token = token;
    queue.pop_front();
    bind(bound_token, event.event_id);
    ScheduleSlot& slot = schedules_[event.event_id];
    slot.open = true;
    slot.family = family;
    if (auto* e = event.get_if<events::ExternalSubscribed>()) state_->register_positional(event.event_id, e->name);
    if (auto* e = event.get_if<events::QueueSubscribed>()) {
      state_->register_persistent(event.event_id, e->name);
      must_poll_ = true;
    }
    if (auto* e = event.get_if<events::SubOrchestrationScheduled>())
      state_->child_instance_by_token[bound_token] = e->instance;
    return std::nullopt;
  }

  /// Pops the head of Q for a replayed non-schedule record (custom status, KV).
  std::optional<turn_result::Failed> match_record(const Event& event, std::string_view label) {
    auto& queue = state_->queue;
    if (queue.empty()) return std::nullopt;
    auto [token, action] = std::move(queue.front());
    queue.pop_front();
    if (!action_matches_event(action, event.kind)) return diverged(event, &action, fmt::format("{} mismatch", label));
    return std::nullopt;
  }

  template <class Completion>
  std::optional<turn_result::Failed> deliver(const Event& event, Completion&& value,
                                             std::optional<Family> required_family) {
    const std::uint64_t source = *event.source_event_id;
    ScheduleSlot* slot = schedules_.find(source);
    if (slot == nullptr || !slot->open) return nondeterminism("completion without open schedule");
    if (required_family && slot->family != *required_family)
      return nondeterminism("completion kind mismatch: expected activity");
    state_->set_result(slot->token, std::forward<Completion>(value));
    slot->open = false;
    must_poll_ = true;
    return std::nullopt;
  }

  std::optional<turn_result::Failed> apply(const Event& event) {
    const bool sourced = event.source_event_id.has_value();
    return std::visit(
        Overloaded{
            [&](const events::OrchestrationStarted& e) -> std::optional<turn_result::Failed> {
              if (e.initial_custom_status) state_->custom_status = e.initial_custom_status;
              return std::nullopt;
            },
            [&](const events::ActivityScheduled&) { return match_schedule(event, Family::Activity); },
            [&](const events::TimerCreated&) { return match_schedule(event, Family::Timer); },
            [&](const events::ExternalSubscribed&) { return match_schedule(event, Family::Positional); },
            [&](const events::QueueSubscribed&) { return match_schedule(event, Family::Persistent); },
            [&](const events::SubOrchestrationScheduled&) { return match_schedule(event, Family::SubOrchestration); },
            [&](const events::OrchestrationChained&) -> std::optional<turn_result::Failed> {
              auto& queue = state_->queue;
              if (queue.empty()) return diverged(event, nullptr, "history OrchestrationChained but no emitted action");
              auto& [token, action] = queue.front();
              if (!action_matches_event(action, event.kind)) return diverged(event, &action, "schedule mismatch");
              bind(token, event.event_id);
              queue.pop_front();
              return std::nullopt;
            },
            [&](const events::CustomStatusUpdated&) { return match_record(event, "custom status"); },
            [&](const events::KeyValueSet&) { return match_record(event, "kv set"); },
            [&](const events::KeyValueCleared&) { return match_record(event, "kv clear"); },
            [&](const events::KeyValuesCleared&) { return match_record(event, "kv clear_all"); },
            [&](const events::ActivityCompleted& e) -> std::optional<turn_result::Failed> {
              if (!sourced) return std::nullopt;
              return deliver(event, completion::ActivityOk{e.result}, Family::Activity);
            },
            [&](const events::ActivityFailed& e) -> std::optional<turn_result::Failed> {
              if (!sourced) return std::nullopt;
              return deliver(event, completion::ActivityErr{e.details.display_message()}, std::nullopt);
            },
            [&](const events::TimerFired&) -> std::optional<turn_result::Failed> {
              if (!sourced) return std::nullopt;
              return deliver(event, completion::TimerFired{}, std::nullopt);
            },
            [&](const events::SubOrchestrationCompleted& e) -> std::optional<turn_result::Failed> {
              if (!sourced) return std::nullopt;
              return deliver(event, completion::SubOrchOk{e.result}, std::nullopt);
            },
            [&](const events::SubOrchestrationFailed& e) -> std::optional<turn_result::Failed> {
              if (!sourced) return std::nullopt;
              return deliver(event, completion::SubOrchErr{e.details.display_message()}, std::nullopt);
            },
            [&](const events::ExternalEvent& e) -> std::optional<turn_result::Failed> {
              if (state_->deliver_positional(e.name, e.data)) must_poll_ = true;
              return std::nullopt;
            },
            [&](const events::QueueEventDelivered& e) -> std::optional<turn_result::Failed> {
              state_->deliver_persistent(e.name, e.data);
              must_poll_ = true;
              return std::nullopt;
            },
            [&](const events::ExternalSubscribedCancelled&) -> std::optional<turn_result::Failed> {
              if (sourced) state_->cancel_positional(*event.source_event_id);
              return std::nullopt;
            },
            [&](const events::QueueSubscriptionCancelled&) -> std::optional<turn_result::Failed> {
              if (sourced) state_->cancel_persistent(*event.source_event_id);
              return std::nullopt;
            },
            // Cancel-requests are examined in finalize; terminal events are excluded by the early exits.
            [&](const auto&) -> std::optional<turn_result::Failed> { return std::nullopt; },
        },
        event.kind);
  }

  // ---------------------------------------------------------------- new actions
  void convert_queued_actions() {
    auto& queue = state_->queue;
    while (!queue.empty()) {
      auto [token, action] = std::move(queue.front());
      queue.pop_front();
      const std::uint64_t id = next_event_id_;
      bind(token, id);
      std::visit(Overloaded{
                     [&](actions::ContinueAsNew&) {},
                     [&](actions::UpdateCustomStatus&) {},
                     [&](actions::SetKeyValue&) {},
                     [&](actions::ClearKeyValue&) {},
                     [&](actions::ClearKeyValues&) {},
                     [&](auto& scheduled) { scheduled.scheduling_event_id = id; },
                 },
                 action);
      if (auto* sub = std::get_if<actions::StartSubOrchestration>(&action)) {
        if (sub->instance.starts_with(kSubOrchPendingPrefix)) sub->instance = auto_sub_orch_id(in_.execution_id, id);
        state_->child_instance_by_token[token] = sub->instance;
      }
      if (auto* wait = std::get_if<actions::WaitExternal>(&action)) state_->register_positional(id, wait->name);
      if (auto* dequeue = std::get_if<actions::DequeueEvent>(&action)) state_->register_persistent(id, dequeue->name);
      if (auto kind = action_to_event(action)) {
        // Open, as replaying this schedule event next turn would leave it (match_schedule): a
        // resumed session delivers the completion without that replay.
        if (auto family = schedule_family(*kind)) {
          ScheduleSlot& slot = schedules_[id];
          slot.open = true;
          slot.family = *family;
        }
        append_event(std::nullopt, std::move(*kind));
      } else {
        ++next_event_id_;  // ContinueAsNew consumes an id without producing an event
      }
      out_.pending_actions.push_back(std::move(action));
    }
  }

  // ---------------------------------------------------------------- dropped futures
  std::map<Family, std::vector<std::pair<std::uint64_t, std::uint64_t>>> dropped_by_family() const {
    std::map<Family, std::vector<std::pair<std::uint64_t, std::uint64_t>>> result;  // family -> (token, schedule)
    for (auto [token, kind] : state_->dropped) {
      if (kind == FutureKind::Timer) continue;
      if (auto schedule = state_->schedule_of(token)) result[family_of(kind)].emplace_back(token, *schedule);
    }
    for (auto& [family, entries] : result) std::sort(entries.begin(), entries.end());
    return result;
  }

  std::optional<turn_result::Failed> enforce_dropped_replay(
      const std::map<Family, std::vector<std::pair<std::uint64_t, std::uint64_t>>>& dropped) const {
    // Nothing replayed: a resumed session dropped those futures in the turns that recorded them.
    if (persisted_len_ == 0 || resumed_) return std::nullopt;
    const std::size_t persisted = std::min(persisted_len_, baseline_.size());
    static const std::pair<Family, const char*> kFamilies[] = {{Family::Activity, "activities"},
                                                               {Family::SubOrchestration, "sub-orchestrations"},
                                                               {Family::Positional, "external waits"},
                                                               {Family::Persistent, "persistent waits"}};
    // One pass finds the dropped-future breadcrumbs; almost every history has none, and then the
    // per-family schedule sets below are never built.
    std::map<Family, std::set<std::uint64_t>> breadcrumbs_by_family;
    for (std::size_t i = 0; i < persisted; ++i) {
      const Event& e = baseline_[i];
      if (auto crumb = breadcrumb_family(e.kind); crumb && *crumb->second == kDroppedFuture && e.source_event_id)
        breadcrumbs_by_family[crumb->first].insert(*e.source_event_id);
    }
    if (breadcrumbs_by_family.empty()) return std::nullopt;
    for (auto [family, label] : kFamilies) {
      auto crumbs = breadcrumbs_by_family.find(family);
      if (crumbs == breadcrumbs_by_family.end()) continue;
      const std::set<std::uint64_t>& breadcrumbs = crumbs->second;
      std::set<std::uint64_t> schedules, dropped_now;
      for (std::size_t i = 0; i < persisted; ++i) {
        const Event& e = baseline_[i];
        if (schedule_family(e.kind) == family) schedules.insert(e.event_id);
      }
      if (auto it = dropped.find(family); it != dropped.end())
        for (auto [token, schedule] : it->second)
          if (schedules.contains(schedule)) dropped_now.insert(schedule);
      if (!std::includes(dropped_now.begin(), dropped_now.end(), breadcrumbs.begin(), breadcrumbs.end()))
        return nondeterminism(fmt::format("cancellation mismatch ({}): history cancelled {} but code dropped {}", label,
                                          fmt::join(breadcrumbs, ","), fmt::join(dropped_now, ",")));
    }
    return std::nullopt;
  }

  std::optional<turn_result::Failed> collect_dropped() {
    const auto dropped = dropped_by_family();
    if (auto failure = enforce_dropped_replay(dropped)) return failure;
    for (Family family : {Family::Activity, Family::SubOrchestration, Family::Positional, Family::Persistent}) {
      auto it = dropped.find(family);
      if (it == dropped.end()) continue;
      for (auto [token, schedule] : it->second) {
        bool already = false;
        for (std::size_t i = 0; i < working_size() && !already; ++i) {
          const Event& e = working(i);
          auto crumb = breadcrumb_family(e.kind);
          already = crumb && crumb->first == family && e.source_event_id == schedule;
        }
        if (already) continue;
        const std::string reason(kDroppedFuture);
        switch (family) {
          case Family::Activity:
            append_event(schedule, events::ActivityCancelRequested{reason});
            out_.cancelled_activity_ids.push_back(schedule);
            break;
          case Family::SubOrchestration:
            append_event(schedule, events::SubOrchestrationCancelRequested{reason});
            if (auto child = state_->child_instance_by_token.find(token);
                child != state_->child_instance_by_token.end())
              out_.cancelled_child_instances.push_back(child->second);
            break;
          // The state takes the breadcrumb's effect now, as replaying it next turn would (apply):
          // a resumed session does not replay it.
          case Family::Positional:
            append_event(schedule, events::ExternalSubscribedCancelled{reason});
            state_->cancel_positional(schedule);
            break;
          default:
            append_event(schedule, events::QueueSubscriptionCancelled{reason});
            state_->cancel_persistent(schedule);
        }
      }
    }
    state_->dropped.clear();
    return std::nullopt;
  }

  // ---------------------------------------------------------------- the turn
  TurnResult execute() {
    // From the history as stored: new events follow superseded ones too.
    const auto& stored = in_.baseline_events();
    next_event_id_ = stored.empty() ? 1 : stored.back().event_id + 1;
    convert_messages();

    // Early exits (stage 2 in docs/orchestration-engine.md).
    if (abort_error_) return turn_result::Failed{*abort_error_};
    for (std::size_t i = 0; i < working_size(); ++i)
      if (working(i).is_terminal()) return turn_result::Continue{};
    if (working_size() == 0) return nondeterminism("corrupted history: empty");
    if (!working(0).is<events::OrchestrationStarted>())
      return nondeterminism("corrupted history: first event must be OrchestrationStarted");
    if (in_.record_only) return turn_result::Continue{};

    // Roughly one action per two events; the slack covers new actions and messages of this turn.
    const std::size_t expected_tokens = working_size() / 2 + 16;
    schedules_.grow_dense_limit(next_event_id_ + working_size() + 1024);
    std::size_t first_unseen = 0;
    if (resumed_) {
      // The code is suspended where the last turn left it, with every persisted event applied:
      // only this turn's messages are new. The clock and the trace sink are this turn's.
      state_->now_ms = in_.now_ms;
      state_->trace_sink = in_.trace_sink;
      state_->is_replaying = false;
      reserve_tokens(expected_tokens);
      first_unseen = persisted_len_;
    } else {
      state_ = std::make_shared<detail::ContextState>();
      state_->instance_id = in_.instance_id;
      state_->execution_id = in_.execution_id;
      state_->orchestration_name = in_.orchestration_name;
      state_->orchestration_version = in_.orchestration_version;
      state_->now_ms = in_.now_ms;
      state_->trace_sink = in_.trace_sink;
      state_->kv = in_.kv_snapshot;
      for (std::size_t i = 0; i < persisted_len_ && i < working_size(); ++i)
        if (const auto* set = working(i).get_if<events::KeyValueSet>())
          state_->recorded_kv_set_times.push_back(set->last_updated_at_ms);
      state_->custom_status = working(0).get_if<events::OrchestrationStarted>()->initial_custom_status;
      state_->is_replaying = persisted_len_ > 0;
      reserve_tokens(expected_tokens);

      try {
        if (!in_.handler) throw std::logic_error("no orchestration handler");
        session_.handler = in_.handler;
        root_ = session_.handler(OrchestrationContext(state_), in_.input);
      } catch (const std::exception& e) {
        return turn_result::Failed{ErrorDetails::panicked(e.what())};
      } catch (...) {
        return turn_result::Failed{ErrorDetails::panicked("orchestration panicked")};
      }
      if (!root_.valid()) return turn_result::Failed{ErrorDetails::panicked("orchestration handler returned no task")};
    }
    ran_ = true;

    // Replay loop (from the first event the state has not seen).
    must_poll_ = true;
    for (std::size_t i = first_unseen; i < working_size(); ++i) {
      if (i >= persisted_len_) state_->is_replaying = false;
      if (must_poll_) {
        if (auto failure = poll()) return *failure;
        if (output_) break;
        must_poll_ = false;
      }
      if (auto failure = apply(working(i))) return *failure;
    }
    state_->is_replaying = false;
    if (must_poll_ && !output_)
      if (auto failure = poll()) return *failure;

    // Dequeue futures dropped this turn stop consuming queue messages.
    for (auto [token, kind] : state_->dropped)
      if (kind == FutureKind::QueueDequeue)
        if (auto schedule = state_->schedule_of(token)) state_->cancel_persistent(*schedule);

    convert_queued_actions();

    // Quiescence loop: keep polling while the code makes progress within the turn.
    std::uint32_t iterations = 0;
    while (!output_ && !out_.pending_actions.empty() && iterations < kEngineQuiescenceCap) {
      ++iterations;
      const std::size_t before = out_.pending_actions.size();
      if (auto failure = poll()) return *failure;
      convert_queued_actions();
      if (out_.pending_actions.size() == before) break;
    }
    if (iterations >= kEngineQuiescenceCap)
      return turn_result::Failed{ErrorDetails::infrastructure(
          "quiescence_loop", fmt::format("orchestration did not quiesce within {} iterations", kEngineQuiescenceCap),
          false)};

    return finalize();
  }

  TurnResult finalize() {
    for (std::size_t i = 0; i < working_size(); ++i)
      if (auto* cancel = working(i).get_if<events::OrchestrationCancelRequested>())
        return turn_result::Cancelled{cancel->reason};
    for (const Action& action : out_.pending_actions)
      if (auto* can = std::get_if<actions::ContinueAsNew>(&action))
        return turn_result::ContinueAsNew{can->input, can->version};
    if (auto failure = collect_dropped()) return *failure;
    if (output_) {
      if (*output_) return turn_result::Completed{**output_};
      return turn_result::Failed{ErrorDetails::orchestration_failed(output_->error())};
    }
    return turn_result::Continue{};
  }

  const TurnInput& in_;
  // A rewound execution replays without the events its rewinds superseded (docs/rewind.md): the
  // turn works on a copy without them; the persisted length counts what is left of the stored part.
  const std::set<std::uint64_t> superseded_;
  const std::vector<Event> rewound_baseline_;
  const std::vector<Event>& baseline_;
  const std::size_t hidden_;
  const std::size_t persisted_len_;
  ReplaySession& session_;
  const bool resumed_;
  TurnOutput out_;
  std::uint64_t next_event_id_ = 1;
  std::optional<ErrorDetails> abort_error_;
  // The state that outlives the turn lives in the session.
  std::shared_ptr<detail::ContextState>& state_ = session_.state;
  Task<Result<std::string>>& root_ = session_.root;
  std::optional<Result<std::string>> output_;
  bool& must_poll_ = session_.must_poll;
  ScheduleTable& schedules_ = session_.schedules;
  bool ran_ = false;
  bool live_ = false;
};

/// True when `session` holds the live state of this execution as of exactly the input's persisted
/// history: same execution, as many events, the same last one.
bool resumable(const ReplaySession& session, const TurnInput& input) {
  const auto& baseline = input.baseline_events();
  return session.execution_id == input.execution_id && session.history_len > 0 &&
         input.persisted_len == session.history_len && baseline.size() >= session.history_len &&
         baseline[session.history_len - 1].event_id == session.last_event_id;
}

}  // namespace

TurnOutput run_turn(const TurnInput& input) {
  ReplaySessionPtr none;
  return run_turn(input, none);
}

bool resumes(const ReplaySessionPtr& session, const TurnInput& input) { return session && resumable(*session, input); }

TurnOutput run_turn(const TurnInput& input, ReplaySessionPtr& session) {
  ReplaySessionPtr live;
  const bool resume = session && resumable(*session, input);
  if (resume) {
    live = std::move(session);
  } else {
    session.reset();
    live.reset(new ReplaySession);
  }
  Turn turn(input, *live, resume);
  TurnOutput out = turn.run();
  if (turn.live()) session = std::move(live);
  // Otherwise `live` tears the coroutine down here, after finalize (drops are not recorded).
  return out;
}

}  // namespace duroxide::orchestration
