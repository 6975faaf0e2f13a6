#include "client/start_event_size.hpp"

#include <fmt/format.h>

#include <duroxide/constants.hpp>
#include <duroxide/payload_limits.hpp>
#include <duroxide/wire.hpp>

namespace duroxide::client_detail {

namespace {

/// Room for the version the runtime resolves (the client may not know it): longer than any
/// ordinary semantic version.
constexpr std::size_t kResolvedVersionAllowance = 64;
/// JSON escaping makes a string at most 6 times longer (\u00XX), plus this much for the event's
/// other fields (names and ids are limited to 1 KiB each): below that, no need to measure.
constexpr std::size_t kEventFieldsAllowance = 16 * 1024;

}  // namespace

ClientResult<void> check_start_event_size(const std::string& instance, const std::string& name,
                                          const std::optional<std::string>& version, const std::string& input) {
  if (input.size() <= (kDefaultMaxPayloadBytes - kEventFieldsAllowance) / 6) return {};
  events::OrchestrationStarted started{name, version.value_or(std::string(kDefaultHandlerVersion)), input, {}, {}, {},
                                       {}};
  const auto bytes =
      serialize_event(make_event(kInitialEventId, std::nullopt, instance, kInitialExecutionId, std::move(started)))
          .size() +
      kResolvedVersionAllowance;
  if (bytes <= kDefaultMaxPayloadBytes) return {};
  return std::unexpected(ClientError::invalid_input(fmt::format(
      "the input of orchestration '{}' (instance '{}') is {} bytes: its OrchestrationStarted event would be {} bytes, "
      "{} bytes over the limit of {} bytes for one stored event",
      name, instance, input.size(), bytes, bytes - kDefaultMaxPayloadBytes, kDefaultMaxPayloadBytes)));
}

}  // namespace duroxide::client_detail
