#include <duroxide/error_details.hpp>

#include <fmt/format.h>

#include "core/overloaded.hpp"

namespace duroxide {
namespace {
using detail::Overloaded;
}  // namespace

std::string_view ErrorDetails::category() const {
  return std::visit(Overloaded{[](const error::Infrastructure&) { return std::string_view("infrastructure"); },
                               [](const error::Configuration&) { return std::string_view("configuration"); },
                               [](const error::Application&) { return std::string_view("application"); },
                               [](const error::Poison&) { return std::string_view("poison"); }},
                    value);
}

bool ErrorDetails::is_retryable() const {
  return std::visit(
      Overloaded{[](const error::Infrastructure& e) { return e.retryable; },
                 [](const error::Configuration&) { return false; },
                 [](const error::Application& e) { return e.retryable; }, [](const error::Poison&) { return false; }},
      value);
}

std::string ErrorDetails::display_message() const {
  return std::visit(
      Overloaded{
          [](const error::Infrastructure& e) { return fmt::format("infrastructure:{}: {}", e.operation, e.message); },
          [](const error::Configuration& e) {
            return e.message ? fmt::format("nondeterministic: {}", *e.message)
                             : fmt::format("nondeterministic in {}", e.resource);
          },
          [](const error::Application& e) {
            switch (e.kind.code) {
              case AppErrorKind::Code::Cancelled:
                return fmt::format("canceled: {}", e.kind.cancel_reason);
              case AppErrorKind::Code::Panicked:
                return fmt::format("orchestration panicked: {}", e.message);
              default:
                return e.message;
            }
          },
          [](const error::Poison& e) {
            return std::visit(
                Overloaded{[&](const poison::Orchestration& m) {
                             return fmt::format("poison: orchestration {} exceeded {} attempts (max {})", m.instance,
                                                e.attempt_count, e.max_attempts);
                           },
                           [&](const poison::Activity& m) {
                             return fmt::format("poison: activity {}#{} exceeded {} attempts (max {})", m.activity_name,
                                                m.activity_id, e.attempt_count, e.max_attempts);
                           },
                           [&](const poison::FailedDeserialization& m) {
                             return fmt::format(
                                 "poison: orchestration {} history deserialization failed after {} attempts (max "
                                 "{}): {}",
                                 m.instance, e.attempt_count, e.max_attempts, m.error);
                           }},
                e.message_type);
          }},
      value);
}

}  // namespace duroxide
