#include "cli_error.hpp"

#include <fmt/format.h>

#include "text.hpp"

namespace duroxide::cli {

CliError instance_not_found(const std::string& instance) {
  return CliError(ExitCode::NotFound, fmt::format("instance {} not found", quote_id(instance)));
}

CliError client_failure(const ClientError& error, const std::string& what) {
  using Kind = ClientError::Kind;
  switch (error.kind) {
    case Kind::InstanceNotFound:
      return instance_not_found(error.instance_id);
    case Kind::Provider:
      if (error.provider && error.provider->is(ProviderErrorKind::NotFound)) {
        return CliError(ExitCode::NotFound, fmt::format("{}: {}", what, one_line(error.provider->message)));
      }
      if (error.provider && error.provider->is(ProviderErrorKind::InvalidInput)) {
        return CliError(ExitCode::Usage, fmt::format("{}: {}", what, one_line(error.provider->message)));
      }
      return CliError(ExitCode::StoreError, fmt::format("store error while {}: {}", what, one_line(error.to_string())));
    case Kind::InvalidInput:
      return CliError(ExitCode::Usage, fmt::format("{}: {}", what, one_line(error.message)));
    case Kind::InstanceStillRunning:
      return CliError(ExitCode::Refused, fmt::format("instance {} is still running: cancel it first or use --force",
                                                     quote_id(error.instance_id)));
    case Kind::CannotDeleteSubOrchestration:
      return CliError(ExitCode::Refused,
                      fmt::format("instance {} is a sub-orchestration: delete its root instance instead",
                                  quote_id(error.instance_id)));
    case Kind::NotRewindable:
      return CliError(ExitCode::Refused, fmt::format("instance {} cannot be rewound: {}", quote_id(error.instance_id),
                                                     one_line(error.message)));
    case Kind::ScheduleExists:
    case Kind::ScheduleEnded:
      return CliError(ExitCode::Refused, one_line(error.to_string()));
    case Kind::Timeout:
      return CliError(ExitCode::Timeout, fmt::format("timed out while {}", what));
    case Kind::ManagementNotAvailable:
      return CliError(ExitCode::StoreError, fmt::format("store error while {}: {}", what, error.to_string()));
  }
  return CliError(ExitCode::StoreError, fmt::format("{}: {}", what, one_line(error.to_string())));
}

}  // namespace duroxide::cli
