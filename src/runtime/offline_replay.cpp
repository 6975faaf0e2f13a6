// Offline replay (docs/offline-replay.md): each execution of a stored history is replayed in one
// turn against the registry's code, as the runtime replays it after a restart, and its ending is
// compared with the recorded one.
#include <duroxide/offline_replay.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <duroxide/semver.hpp>
#include <duroxide/wire.hpp>

#include "core/overloaded.hpp"
#include "orchestration/replay_engine.hpp"
#include "orchestration/rewind_history.hpp"
#include "runtime/builtin_orchestrations.hpp"
#include "runtime/suspension.hpp"

namespace duroxide {

namespace {

namespace tr = orchestration::turn_result;

/// One execution's events, in history order.
struct ExecutionSlice {
  std::uint64_t execution_id = 0;
  std::vector<Event> events;
};

std::vector<ExecutionSlice> split_executions(const std::vector<Event>& history) {
  std::vector<ExecutionSlice> out;
  for (const auto& event : history) {
    if (out.empty() || out.back().execution_id != event.execution_id) out.push_back({event.execution_id, {}});
    out.back().events.push_back(event);
  }
  return out;
}

/// The instance's KV after `events`, as the store would hold it when the runtime replays.
void apply_kv(std::map<std::string, KvEntry>& kv, const std::vector<Event>& events) {
  for (const auto& event : events) {
    if (const auto* set = event.get_if<events::KeyValueSet>()) {
      kv[set->key] = KvEntry{set->value, set->last_updated_at_ms};
    } else if (const auto* cleared = event.get_if<events::KeyValueCleared>()) {
      kv.erase(cleared->key);
    } else if (event.is<events::KeyValuesCleared>()) {
      kv.clear();
    }
  }
}

/// The outcome of a replayed turn, described the way a history event would be.
std::string describe_result(const orchestration::TurnOutput& out) {
  return std::visit(
      detail::Overloaded{
          [&](const tr::Continue&) -> std::string {
            if (out.pending_actions.empty()) return "no action (the code waits)";
            return orchestration::describe_action(out.pending_actions.front());
          },
          [](const tr::Completed& r) { return fmt::format("completes with output {:?}", r.output); },
          [](const tr::Failed& r) { return fmt::format("fails: {}", r.details.display_message()); },
          [](const tr::ContinueAsNew& r) { return fmt::format("continues as new with input {:?}", r.input); },
          [](const tr::Cancelled& r) { return fmt::format("is cancelled: {}", r.reason); }},
      out.result);
}

/// True when the code's result is the recorded `ending` (OrchestrationCompleted, OrchestrationFailed,
/// OrchestrationContinuedAsNew or OrchestrationTerminated).
bool ends_as_recorded(const Event& ending, const orchestration::TurnOutput& out) {
  // An operator ended it (docs/terminate.md): nothing the code decides, so replaying the recorded
  // prefix without a nondeterminism is the check.
  if (ending.is<events::OrchestrationTerminated>()) return true;
  if (const auto* completed = ending.get_if<events::OrchestrationCompleted>()) {
    const auto* result = std::get_if<tr::Completed>(&out.result);
    return result != nullptr && result->output == completed->output;
  }
  if (const auto* continued = ending.get_if<events::OrchestrationContinuedAsNew>()) {
    const auto* result = std::get_if<tr::ContinueAsNew>(&out.result);
    return result != nullptr && result->input == continued->input;
  }
  const auto* failed = ending.get_if<events::OrchestrationFailed>();
  if (failed == nullptr) return false;
  const auto* application = failed->details.get_if<error::Application>();
  if (application == nullptr) {
    // The runtime ended it (poison, an infrastructure failure, a nondeterminism of older code):
    // nothing the code decides; replaying the recorded prefix without a nondeterminism is the check.
    const auto* result = std::get_if<tr::Failed>(&out.result);
    return result == nullptr || result->details.get_if<error::Configuration>() == nullptr;
  }
  if (application->kind.code == AppErrorKind::Code::Cancelled) {
    const auto* result = std::get_if<tr::Cancelled>(&out.result);
    return result != nullptr && result->reason == application->kind.cancel_reason;
  }
  const auto* result = std::get_if<tr::Failed>(&out.result);
  return result != nullptr && result->details == failed->details;
}

bool is_nondeterminism(const orchestration::TurnOutput& out) {
  const auto* failed = std::get_if<tr::Failed>(&out.result);
  if (failed == nullptr) return false;
  const auto* config = failed->details.get_if<error::Configuration>();
  return config != nullptr && config->kind == ConfigErrorKind::Nondeterminism;
}

}  // namespace

ReplayReport replay_history(const OrchestrationRegistry& registry, const std::vector<Event>& history) {
  ReplayReport report;
  if (history.empty()) {
    report.error = "the history is empty";
    return report;
  }
  report.instance_id = history.front().instance_id;
  for (const auto& event : history) {
    if (event.instance_id != report.instance_id) {
      report.error = fmt::format("the history mixes instances '{}' and '{}' (event {}): replay one instance at a time",
                                 report.instance_id, event.instance_id, event.event_id);
      return report;
    }
  }
  std::map<std::string, KvEntry> kv;
  for (auto& slice : split_executions(history)) {
    // A rewound execution replays as the runtime runs it: without what its rewinds superseded,
    // so its ending is the one after the last rewind (docs/rewind.md). The KV it wrote is read
    // from the events as recorded. Filtered before anything points into the events.
    const std::vector<Event> recorded = std::move(slice.events);
    slice.events = orchestration::without_superseded(recorded);
    const auto* started = slice.events.empty() ? nullptr : slice.events.front().get_if<events::OrchestrationStarted>();
    if (started == nullptr) {
      report.error =
          fmt::format("execution {} does not begin with OrchestrationStarted (it begins with {})", slice.execution_id,
                      slice.events.empty() ? "a rewind that supersedes it" : slice.events.front().type_name());
      return report;
    }
    if (report.executions == 0) report.orchestration = fmt::format("{}@{}", started->name, started->version);
    const auto version = Version::parse(started->version);
    const auto resolved = version ? runtime::resolve_orchestration(registry, started->name, *version)
                                  : std::optional<OrchestrationRegistry::Resolved>();
    if (!resolved) {
      report.error = fmt::format("orchestration '{}' version {} is not registered", started->name, started->version);
      return report;
    }
    apply_kv(kv, recorded);

    // The turn replays everything before the recorded ending, which the code must then produce.
    // What follows the ending is the runtime's bookkeeping (the cancellation of activities still
    // in flight), not the code's: it is not replayed.
    std::optional<Event> ending;
    const auto terminal =
        std::find_if(slice.events.begin(), slice.events.end(), [](const Event& event) { return event.is_terminal(); });
    if (terminal != slice.events.end()) {
      ending = std::move(*terminal);
      report.events += static_cast<std::size_t>(slice.events.end() - terminal) - 1;
      slice.events.erase(terminal, slice.events.end());
    }
    orchestration::TurnInput input;
    input.instance_id = report.instance_id;
    input.execution_id = slice.execution_id;
    input.orchestration_name = started->name;
    input.orchestration_version = started->version;
    input.input = started->input;
    input.baseline_view = &slice.events;
    input.persisted_len = slice.events.size();
    input.kv_snapshot = kv;
    input.handler = resolved->handler;
    const std::uint64_t last_ms = (ending ? *ending : slice.events.back()).timestamp_ms;
    input.now_ms = [last_ms] { return last_ms; };
    const auto out = orchestration::run_turn(input);
    ++report.executions;
    report.events += slice.events.size() + (ending ? 1 : 0);

    ReplayMismatch mismatch;
    mismatch.execution_id = slice.execution_id;
    if (is_nondeterminism(out)) {
      mismatch.message = std::get<tr::Failed>(out.result).details.display_message();
      if (out.divergence) {
        mismatch.event_id = out.divergence->event_id;
        mismatch.recorded = out.divergence->recorded;
        mismatch.emitted = out.divergence->emitted.value_or("no action");
        // The two sides say it all; the engine's message repeats them.
        mismatch.message = out.divergence->emitted ? "the code takes another step than recorded"
                                                   : "the code no longer takes the recorded step";
      } else {
        mismatch.recorded = "the history as recorded";
        mismatch.emitted = "a nondeterminism the engine found while replaying it";
      }
      report.mismatch = std::move(mismatch);
      return report;
    }
    if (ending) {
      if (ends_as_recorded(*ending, out)) continue;
      mismatch.event_id = ending->event_id;
      mismatch.recorded = orchestration::describe_event(ending->kind);
      mismatch.emitted = describe_result(out);
      mismatch.message = "the code does not end the execution as recorded";
    } else {
      const auto* waiting = std::get_if<tr::Continue>(&out.result);
      if (waiting != nullptr && out.pending_actions.empty()) continue;
      // A suspended execution recorded messages its code has not seen yet (docs/suspend-resume.md):
      // what the code does with them is still to be decided.
      if (runtime::is_suspended(slice.events)) continue;
      mismatch.recorded =
          fmt::format("nothing after event {} (the execution was waiting)", slice.events.back().event_id);
      mismatch.emitted = describe_result(out);
      mismatch.message = "the code takes a decision the history does not have";
    }
    report.mismatch = std::move(mismatch);
    return report;
  }
  return report;
}

std::string ReplayReport::to_string() const {
  const std::string subject = fmt::format("instance '{}' ({})", instance_id, orchestration);
  if (error) return fmt::format("{}: not replayed: {}", subject, *error);
  if (!mismatch)
    return fmt::format("{}: {} executions, {} events replayed deterministically", subject, executions, events);
  const auto where = mismatch->event_id ? fmt::format("event {}", *mismatch->event_id) : std::string("the end");
  return fmt::format("{}: nondeterministic in execution {} at {}: {}\n  history: {}\n  code:    {}", subject,
                     mismatch->execution_id, where, mismatch->message, mismatch->recorded, mismatch->emitted);
}

Result<std::vector<Event>> parse_history_document(std::string_view json) {
  const auto first = json.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return Err("history document: empty");
  if (json[first] == '[') return parse_history(json);
  // `duroxide history ID --json`: an object whose "events" member is the array.
  auto document = nlohmann::json::parse(json, nullptr, false);
  if (document.is_discarded()) return Err("history document: not valid JSON");
  if (!document.is_object() || !document.contains("events") || !document["events"].is_array()) {
    return Err("history document: expected an array of events or an object with an \"events\" array");
  }
  return parse_history(document["events"].dump());
}

Result<std::vector<Event>> load_history_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Err(fmt::format("cannot read history file '{}'", path.string()));
  std::ostringstream text;
  text << file.rdbuf();
  auto history = parse_history_document(text.str());
  if (!history) return Err(fmt::format("history file '{}': {}", path.string(), history.error()));
  return history;
}

}  // namespace duroxide
