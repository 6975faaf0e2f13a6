// Action: the decisions orchestration code emits in a turn (docs/core.md). In memory only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace duroxide {

namespace actions {
struct CallActivity {
  std::uint64_t scheduling_event_id = 0;  ///< 0 when emitted; set to the allocated event id
  std::string name;
  std::string input;
  std::optional<std::string> session_id;
  std::optional<std::string> tag;
  bool operator==(const CallActivity&) const = default;
};
struct CreateTimer {
  std::uint64_t scheduling_event_id = 0;
  std::uint64_t fire_at_ms = 0;
  bool operator==(const CreateTimer&) const = default;
};
struct WaitExternal {
  std::uint64_t scheduling_event_id = 0;
  std::string name;
  bool operator==(const WaitExternal&) const = default;
};
struct DequeueEvent {
  std::uint64_t scheduling_event_id = 0;
  std::string name;
  bool operator==(const DequeueEvent&) const = default;
};
/// `version` is not recorded in history (SubOrchestrationScheduled has no version field).
struct StartSubOrchestration {
  std::uint64_t scheduling_event_id = 0;
  std::string name;
  std::optional<std::string> version;
  std::string instance;
  std::string input;
  bool operator==(const StartSubOrchestration&) const = default;
};
struct StartOrchestrationDetached {
  std::uint64_t scheduling_event_id = 0;
  std::string name;
  std::optional<std::string> version;
  std::string instance;
  std::string input;
  bool operator==(const StartOrchestrationDetached&) const = default;
};
struct ContinueAsNew {
  std::string input;
  std::optional<std::string> version;
  bool operator==(const ContinueAsNew&) const = default;
};
/// `status` absent = clear.
struct UpdateCustomStatus {
  std::optional<std::string> status;
  bool operator==(const UpdateCustomStatus&) const = default;
};
struct SetKeyValue {
  std::string key;
  std::string value;
  std::uint64_t last_updated_at_ms = 0;
  bool operator==(const SetKeyValue&) const = default;
};
struct ClearKeyValue {
  std::string key;
  bool operator==(const ClearKeyValue&) const = default;
};
struct ClearKeyValues {
  bool operator==(const ClearKeyValues&) const = default;
};
}  // namespace actions

using Action =
    std::variant<actions::CallActivity, actions::CreateTimer, actions::WaitExternal, actions::DequeueEvent,
                 actions::StartSubOrchestration, actions::StartOrchestrationDetached, actions::ContinueAsNew,
                 actions::UpdateCustomStatus, actions::SetKeyValue, actions::ClearKeyValue, actions::ClearKeyValues>;

/// The action's variant name, for diagnostics and nondeterminism messages.
std::string_view action_type_name(const Action& action);

}  // namespace duroxide
