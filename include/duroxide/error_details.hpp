// ErrorDetails: structured failure information (docs/core.md, "Error details").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace duroxide {

/// Configuration error kinds. duroxide 0.1.27 has one.
enum class ConfigErrorKind { Nondeterminism };

/// Application error kinds. `Cancelled` carries the cancellation reason.
struct AppErrorKind {
  enum class Code { ActivityFailed, OrchestrationFailed, Panicked, Cancelled };
  Code code = Code::OrchestrationFailed;
  std::string cancel_reason;  ///< only meaningful when code == Cancelled

  static AppErrorKind activity_failed() { return {Code::ActivityFailed, {}}; }
  static AppErrorKind orchestration_failed() { return {Code::OrchestrationFailed, {}}; }
  static AppErrorKind panicked() { return {Code::Panicked, {}}; }
  static AppErrorKind cancelled(std::string reason) { return {Code::Cancelled, std::move(reason)}; }

  bool operator==(const AppErrorKind&) const = default;
};

/// What kind of message was poisoned (fetched more than max_attempts times).
namespace poison {
struct Orchestration {
  std::string instance;
  std::uint64_t execution_id = 0;
  bool operator==(const Orchestration&) const = default;
};
struct Activity {
  std::string instance;
  std::uint64_t execution_id = 0;
  std::string activity_name;
  std::uint64_t activity_id = 0;
  bool operator==(const Activity&) const = default;
};
struct FailedDeserialization {
  std::string instance;
  std::uint64_t execution_id = 0;
  std::string error;
  bool operator==(const FailedDeserialization&) const = default;
};
}  // namespace poison
using PoisonMessageType = std::variant<poison::Orchestration, poison::Activity, poison::FailedDeserialization>;

/// The four categories of failure. Only Application errors ever reach orchestration code.
namespace error {
/// Provider failures, data corruption: abort the turn, never reach user code.
struct Infrastructure {
  std::string operation;
  std::string message;
  bool retryable = false;
  bool operator==(const Infrastructure&) const = default;
};
/// Deployment problems such as nondeterminism.
struct Configuration {
  ConfigErrorKind kind = ConfigErrorKind::Nondeterminism;
  std::string resource;
  std::optional<std::string> message;
  bool operator==(const Configuration&) const = default;
};
/// Business-logic failures: activity errors, orchestration errors, panics, cancellation.
struct Application {
  AppErrorKind kind;
  std::string message;
  bool retryable = false;
  bool operator==(const Application&) const = default;
};
/// A message that exceeded its maximum number of fetch attempts.
struct Poison {
  std::uint32_t attempt_count = 0;
  std::uint32_t max_attempts = 0;
  PoisonMessageType message_type;
  std::string message;  ///< the poisoned message, serialized, for debugging
  bool operator==(const Poison&) const = default;
};
}  // namespace error

/// Structured error details of a failed activity, sub-orchestration or orchestration.
struct ErrorDetails {
  using Variant = std::variant<error::Infrastructure, error::Configuration, error::Application, error::Poison>;
  Variant value;

  ErrorDetails() = default;
  template <class T>
  requires std::is_constructible_v<Variant, T&&> &&
      (!std::is_same_v<std::remove_cvref_t<T>, ErrorDetails>)ErrorDetails(T&& v)
      : value(std::forward<T>(v)) {}  // NOLINT(google-explicit-constructor)

  /// "infrastructure", "configuration", "application" or "poison" (for metrics and logs).
  std::string_view category() const;
  /// Infrastructure/Application: their `retryable` flag; Configuration/Poison: false.
  bool is_retryable() const;
  /// The text orchestration code sees as the error of a failed activity/sub-orchestration, and
  /// the stored output of a failed execution. Formats are exactly duroxide's (docs/core.md).
  std::string display_message() const;

  template <class T>
  const T* get_if() const {
    return std::get_if<T>(&value);
  }

  bool operator==(const ErrorDetails&) const = default;

  // Constructors for the common cases.
  static ErrorDetails activity_failed(std::string message) {
    return error::Application{AppErrorKind::activity_failed(), std::move(message), false};
  }
  static ErrorDetails orchestration_failed(std::string message) {
    return error::Application{AppErrorKind::orchestration_failed(), std::move(message), false};
  }
  static ErrorDetails panicked(std::string message) {
    return error::Application{AppErrorKind::panicked(), std::move(message), false};
  }
  static ErrorDetails cancelled(std::string reason) {
    return error::Application{AppErrorKind::cancelled(std::move(reason)), "", false};
  }
  static ErrorDetails nondeterminism(std::string message) {
    return error::Configuration{ConfigErrorKind::Nondeterminism, "", std::move(message)};
  }
  static ErrorDetails infrastructure(std::string operation, std::string message, bool retryable) {
    return error::Infrastructure{std::move(operation), std::move(message), retryable};
  }
};

}  // namespace duroxide
