// A failed client call as an HTTP error (api.hpp): the status says what kind of failure it was.
#include <fmt/format.h>

#include "api.hpp"

namespace duroxide::dashboard {

HttpError client_failure(const ClientError& error, const std::string& what) {
  const auto message = fmt::format("{}: {}", what, error.to_string());
  switch (error.kind) {
    case ClientError::Kind::InstanceNotFound:
      return HttpError(404, message);
    case ClientError::Kind::InvalidInput:
      return HttpError(400, message);
    case ClientError::Kind::ManagementNotAvailable:
      return HttpError(501, message);
    case ClientError::Kind::InstanceStillRunning:
    case ClientError::Kind::CannotDeleteSubOrchestration:
    case ClientError::Kind::NotRewindable:
    case ClientError::Kind::ScheduleExists:
    case ClientError::Kind::ScheduleEnded:
      return HttpError(409, message);
    case ClientError::Kind::Timeout:
      return HttpError(504, message);
    case ClientError::Kind::Provider:
      break;
  }
  if (error.provider && error.provider->is(ProviderErrorKind::NotFound)) return HttpError(404, message);
  if (error.provider && error.provider->is(ProviderErrorKind::InvalidInput)) return HttpError(400, message);
  if (error.provider && error.provider->is(ProviderErrorKind::PayloadTooLarge)) return HttpError(413, message);
  return HttpError(error.is_retryable() ? 503 : 500, message);
}

}  // namespace duroxide::dashboard
