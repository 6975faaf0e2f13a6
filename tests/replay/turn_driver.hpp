// Test harness: drives the replay engine turn by turn with synthetic histories, no runtime.
//
// Built twice (tests/replay/CMakeLists.txt): duroxide_replay_tests replays the whole history on
// every turn; duroxide_replay_resumed_tests (DUROXIDE_TURN_DRIVER_RESUMES=1) keeps the live state
// between a driver's turns, as the runtime's instance cache does, and also replays each turn from
// its history and checks that both come out the same (docs/orchestration-engine.md, "Instance
// cache"). Every scenario therefore runs with the cache off and on.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <duroxide/duroxide.hpp>

#include "orchestration/replay_engine.hpp"

#ifndef DUROXIDE_TURN_DRIVER_RESUMES
#define DUROXIDE_TURN_DRIVER_RESUMES 0
#endif

namespace duroxide::testing {

/// Whether TurnDriver keeps the live state between turns (see the top of this file).
inline constexpr bool kDriverResumes = DUROXIDE_TURN_DRIVER_RESUMES != 0;

using orchestration::OrchestrationHandler;
using orchestration::TurnInput;
using orchestration::TurnOutput;
namespace tr = orchestration::turn_result;

constexpr std::uint64_t kClockMs = 1'000'000;

/// An event with the given id, source and kind, stamped for instance "inst-1", execution 1.
inline Event ev(std::uint64_t id, EventKind kind, std::optional<std::uint64_t> source = std::nullopt) {
  Event e;
  e.event_id = id;
  e.source_event_id = source;
  e.instance_id = "inst-1";
  e.execution_id = 1;
  e.timestamp_ms = kClockMs;
  e.duroxide_version = std::string(kDuroxideCompatVersion);
  e.kind = std::move(kind);
  return e;
}
inline Event started(std::string input = "", std::optional<std::string> initial_status = std::nullopt) {
  return ev(1, events::OrchestrationStarted{"Orch", "1.0.0", std::move(input), {}, {}, {}, std::move(initial_status)});
}

// Completion messages for instance "inst-1", execution 1.
inline WorkItem activity_ok(std::uint64_t id, std::string result, std::uint64_t execution = 1) {
  return work_items::ActivityCompleted{"inst-1", execution, id, std::move(result)};
}
inline WorkItem activity_err(std::uint64_t id, std::string message, std::uint64_t execution = 1) {
  return work_items::ActivityFailed{"inst-1", execution, id, ErrorDetails::activity_failed(std::move(message))};
}
inline WorkItem timer_fired(std::uint64_t id, std::uint64_t execution = 1) {
  return work_items::TimerFired{"inst-1", execution, id, kClockMs};
}
inline WorkItem raised(std::string name, std::string data) {
  return work_items::ExternalRaised{"inst-1", std::move(name), std::move(data)};
}
inline WorkItem queued(std::string name, std::string data) {
  return work_items::QueueMessage{"inst-1", std::move(name), std::move(data)};
}
inline WorkItem sub_ok(std::uint64_t id, std::string result, std::uint64_t execution = 1) {
  return work_items::SubOrchCompleted{"inst-1", execution, id, std::move(result)};
}
inline WorkItem sub_err(std::uint64_t id, std::string message, std::uint64_t execution = 1) {
  return work_items::SubOrchFailed{"inst-1", execution, id, ErrorDetails::orchestration_failed(std::move(message))};
}
inline WorkItem cancel(std::string reason) { return work_items::CancelInstance{"inst-1", std::move(reason)}; }

/// Runs turns against an in-memory history the way the runtime would (each turn's delta is
/// "committed" by appending it), so multi-turn flows read like the orchestration's life.
class TurnDriver {
 public:
  explicit TurnDriver(OrchestrationHandler handler, std::string input = "")
      : handler_(std::move(handler)), input_(std::move(input)) {}

  /// One turn with these completion messages. The first turn creates OrchestrationStarted.
  TurnOutput turn(std::vector<WorkItem> messages = {}) {
    TurnInput in = base_input();
    if (history_.empty()) {
      in.baseline.push_back(started(input_, initial_status_));
      in.persisted_len = 0;
    } else {
      in.baseline = history_;
      in.persisted_len = history_.size();
    }
    in.messages = std::move(messages);
    TurnOutput out;
    if (mode_ == Mode::Resume || (mode_ == Mode::ByBuild && kDriverResumes)) {
      // Only a turn that resumes can differ from a replay; the check's replay runs the code
      // again, so a test that counts what the code does sees it only on such turns.
      const bool resuming = session_ != nullptr;
      out = orchestration::run_turn(in, session_);
      if (resuming) expect_same_as_replayed(in, out);
    } else {
      out = orchestration::run_turn(in);
    }
    if (history_.empty()) history_.push_back(in.baseline.front());
    history_.insert(history_.end(), out.history_delta.begin(), out.history_delta.end());
    ++turns_;
    return out;
  }

  /// A turn against an explicit baseline (persisted_len = its size unless given).
  TurnOutput replay(std::vector<Event> baseline, std::vector<WorkItem> messages = {},
                    std::optional<std::size_t> persisted_len = std::nullopt) {
    TurnInput in = base_input();
    in.persisted_len = persisted_len.value_or(baseline.size());
    in.baseline = std::move(baseline);
    in.messages = std::move(messages);
    return orchestration::run_turn(in);
  }

  /// Replays the whole history on every turn even in the resumed build: for tests that observe
  /// the replay itself (is_replaying, the handler's runs, traces silenced while replaying).
  void replay_every_turn() { mode_ = Mode::Replay; }
  /// Keeps the live state between turns in either build (each resumed turn is still checked
  /// against a replay of it).
  void resume_between_turns() { mode_ = Mode::Resume; }
  /// Whether the driver holds a live state for its next turn.
  bool holds_session() const { return session_ != nullptr; }

  std::vector<Event>& history() { return history_; }
  std::map<std::string, KvEntry>& kv_snapshot() { return kv_; }
  std::vector<TraceRecord>& traces() { return traces_; }
  void set_clock(std::uint64_t ms) { clock_ms_ = ms; }
  void set_initial_status(std::optional<std::string> status) { initial_status_ = std::move(status); }

 private:
  TurnInput base_input() {
    TurnInput in;
    in.instance_id = "inst-1";
    in.execution_id = 1;
    in.orchestration_name = "Orch";
    in.orchestration_version = "1.0.0";
    in.input = input_;
    in.kv_snapshot = kv_;
    in.handler = handler_;
    in.now_ms = [this] { return clock_ms_; };
    in.trace_sink = [this](const TraceRecord& record) { traces_.push_back(record); };
    return in;
  }

  /// The resumed turn's output must be the one a replay of the same input gives.
  static void expect_same_as_replayed(const TurnInput& in, const TurnOutput& resumed) {
    TurnInput again = in;
    again.trace_sink = nullptr;  // the resumed turn already traced
    const TurnOutput replayed = orchestration::run_turn(again);
    EXPECT_EQ(resumed.history_delta, replayed.history_delta) << "resumed and replayed turns wrote different events";
    EXPECT_EQ(resumed.pending_actions, replayed.pending_actions) << "resumed and replayed turns scheduled differently";
    EXPECT_EQ(resumed.cancelled_activity_ids, replayed.cancelled_activity_ids);
    EXPECT_EQ(resumed.cancelled_child_instances, replayed.cancelled_child_instances);
    EXPECT_EQ(resumed.result, replayed.result) << "resumed and replayed turns ended differently";
  }

  enum class Mode { ByBuild, Replay, Resume };
  orchestration::ReplaySessionPtr session_;
  Mode mode_ = Mode::ByBuild;
  OrchestrationHandler handler_;
  std::string input_;
  std::vector<Event> history_;
  std::map<std::string, KvEntry> kv_;
  std::vector<TraceRecord> traces_;
  std::optional<std::string> initial_status_;
  std::uint64_t clock_ms_ = kClockMs;
  int turns_ = 0;
};

// ---- assertions on turn results ----
inline bool is_continue(const TurnOutput& out) { return std::holds_alternative<tr::Continue>(out.result); }
inline std::optional<std::string> completed_output(const TurnOutput& out) {
  if (auto* c = std::get_if<tr::Completed>(&out.result)) return c->output;
  return std::nullopt;
}
inline std::optional<ErrorDetails> failure(const TurnOutput& out) {
  if (auto* f = std::get_if<tr::Failed>(&out.result)) return f->details;
  return std::nullopt;
}
/// The ND message of a Failed(Configuration/Nondeterminism) result, or "" if the result is not ND.
inline std::string nd_message(const TurnOutput& out) {
  auto details = failure(out);
  if (!details) return "";
  auto* config = details->get_if<error::Configuration>();
  return config && config->message ? *config->message : "";
}

/// The payload of `event`, which must be of kind K (throws std::bad_variant_access otherwise).
template <class Kind>
const Kind& kind_of(const Event& event) {
  return std::get<Kind>(event.kind);
}
/// The Application error of a failure (throws if the details are of another category).
inline const error::Application& application_error(const std::optional<ErrorDetails>& details) {
  return std::get<error::Application>(details.value().value);
}

template <class Kind>
std::vector<const Kind*> events_of(const std::vector<Event>& events) {
  std::vector<const Kind*> found;
  for (const auto& e : events)
    if (auto* k = e.get_if<Kind>()) found.push_back(k);
  return found;
}
template <class A>
std::vector<const A*> actions_of(const std::vector<Action>& actions) {
  std::vector<const A*> found;
  for (const auto& a : actions)
    if (auto* k = std::get_if<A>(&a)) found.push_back(k);
  return found;
}

}  // namespace duroxide::testing
