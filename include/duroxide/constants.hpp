// Constants, limits and instance-id helpers shared by every layer (docs/core.md, "Identifiers and limits").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace duroxide {

/// The duroxide semantics version this library implements. Stamped into every event's
/// `duroxide_version` so histories stay exchangeable with duroxide (Rust) 0.1.27.
inline constexpr std::string_view kDuroxideCompatVersion = "0.1.27";

/// The newest duroxide version whose histories are replayed by default: the top of
/// SemverRange::default_supported(). duroxide 0.1.30 writes events in the same form as 0.1.27, and
/// the 0.1.30 histories checked replay identically turn by turn, so a store moved from duroxide
/// 0.1.30 runs without widening supported_replay_versions (docs/runtime-features.md). Later
/// versions stay outside until their histories have been checked.
inline constexpr std::string_view kMaxReplayableDuroxideVersion = "0.1.30";

/// First execution of every instance; continue-as-new increments it.
inline constexpr std::uint64_t kInitialExecutionId = 1;
/// event_id of the OrchestrationStarted event of every execution.
inline constexpr std::uint64_t kInitialEventId = 1;

/// Prefix marking an auto-generated sub-orchestration id (gets the parent id prefixed).
inline constexpr std::string_view kSubOrchAutoPrefix = "sub::";
/// Prefix of the placeholder child id used before the scheduling event id is known.
inline constexpr std::string_view kSubOrchPendingPrefix = "sub::pending_";

/// Reserved prefix of built-in system activities; user activities may not use it.
inline constexpr std::string_view kSyscallActivityPrefix = "__duroxide_syscall:";
inline constexpr std::string_view kSyscallNewGuid = "__duroxide_syscall:new_guid";
inline constexpr std::string_view kSyscallUtcNowMs = "__duroxide_syscall:utc_now_ms";
inline constexpr std::string_view kSyscallGetKvValue = "__duroxide_syscall:get_kv_value";
/// Answers an instance's status name ("NotFound" when the store has none); used by schedules.
inline constexpr std::string_view kSyscallInstanceStatus = "__duroxide_syscall:instance_status";

/// Version of handlers registered without an explicit version (and of every activity).
inline constexpr std::string_view kDefaultHandlerVersion = "1.0.0";
/// Placeholder version meaning "unknown" (treated as no version).
inline constexpr std::string_view kUnknownVersion = "0.0.0";

/// event_id of the OrchestrationFailed written when a history cannot be read at all.
inline constexpr std::uint64_t kPoisonSentinelEventId = 99999;
/// The engine gives up after this many replay iterations in one turn without quiescence.
inline constexpr std::uint32_t kEngineQuiescenceCap = 100;

// Runtime limits (docs/core.md, "Identifiers and limits"). Every comparison is strictly greater-than.
inline constexpr std::size_t kMaxCarryForwardEvents = 20;
inline constexpr std::size_t kMaxCustomStatusBytes = 256 * 1024;
inline constexpr std::size_t kMaxWorkerTags = 5;
inline constexpr std::size_t kMaxTagNameBytes = 256;
inline constexpr std::size_t kMaxKvKeys = 100;
inline constexpr std::size_t kMaxKvValueBytes = 16 * 1024;

/// True when a child id is auto-generated (starts with "sub::") and so gets the parent prefix.
bool is_auto_generated_sub_orch_id(std::string_view child_instance);

/// The recorded id of an auto-generated child scheduled as event `event_id` of execution
/// `execution_id`: "sub::{event_id}" in the first execution (duroxide 0.1.27's form) and
/// "sub::{execution_id}_{event_id}" after a continue-as-new, so that children of different
/// executions never share an instance id (event ids restart with every execution).
std::string auto_sub_orch_id(std::uint64_t execution_id, std::uint64_t event_id);

/// The child's full instance id: "{parent}::{child}" for auto-generated ids, the id itself
/// otherwise. Nesting composes: a grandchild of "p::sub::2" is "p::sub::2::sub::N".
std::string build_child_instance_id(std::string_view parent_instance, std::string_view child_instance);

}  // namespace duroxide
