// OrchestrationStatus: the client-visible state of an instance (docs/runtime.md, "Client").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <duroxide/error_details.hpp>

namespace duroxide {

namespace status {
struct NotFound {
  bool operator==(const NotFound&) const = default;
};
struct Running {
  std::optional<std::string> custom_status;
  std::uint64_t custom_status_version = 0;
  bool operator==(const Running&) const = default;
};
struct Completed {
  std::string output;
  std::optional<std::string> custom_status;
  std::uint64_t custom_status_version = 0;
  bool operator==(const Completed&) const = default;
};
struct Failed {
  ErrorDetails details;
  std::optional<std::string> custom_status;
  std::uint64_t custom_status_version = 0;
  bool operator==(const Failed&) const = default;
};
/// Ended by Client::terminate_instance, without running its code (docs/terminate.md).
struct Terminated {
  std::string reason;
  std::optional<std::string> custom_status;
  std::uint64_t custom_status_version = 0;
  bool operator==(const Terminated&) const = default;
};
/// Paused by Client::suspend_instance: messages are recorded, its code does not run until
/// resumed (docs/suspend-resume.md). Not an ending.
struct Suspended {
  std::string reason;
  std::optional<std::string> custom_status;
  std::uint64_t custom_status_version = 0;
  bool operator==(const Suspended&) const = default;
};
}  // namespace status

/// NotFound | Running | Completed | Failed | Terminated | Suspended (cancellation is a Failed with
/// a Cancelled kind; termination and suspension are states of their own).
struct OrchestrationStatus {
  std::variant<status::NotFound, status::Running, status::Completed, status::Failed, status::Terminated,
               status::Suspended>
      value;

  bool is_not_found() const { return std::holds_alternative<status::NotFound>(value); }
  bool is_running() const { return std::holds_alternative<status::Running>(value); }
  bool is_completed() const { return std::holds_alternative<status::Completed>(value); }
  bool is_failed() const { return std::holds_alternative<status::Failed>(value); }
  bool is_terminated() const { return std::holds_alternative<status::Terminated>(value); }
  bool is_suspended() const { return std::holds_alternative<status::Suspended>(value); }
  /// Completed, Failed or Terminated.
  bool is_terminal() const { return is_completed() || is_failed() || is_terminated(); }
  template <class T>
  const T* get_if() const {
    return std::get_if<T>(&value);
  }
  /// "NotFound", "Running", "Completed", "Failed", "Terminated" or "Suspended".
  std::string_view name() const;

  bool operator==(const OrchestrationStatus&) const = default;
};

}  // namespace duroxide
