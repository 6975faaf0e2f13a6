#include "providers/input_validation.hpp"

#include <fmt/format.h>

#include "core/overloaded.hpp"

namespace duroxide::providers {
namespace {

ProviderResult<void> validate_identifier(std::string_view operation, std::string_view what, std::string_view value) {
  if (value.empty()) {
    return std::unexpected(ProviderError::permanent(std::string(operation), fmt::format("{} must not be empty", what),
                                                    ProviderErrorKind::InvalidInput));
  }
  if (value.size() > kMaxIdentifierBytes) {
    return std::unexpected(ProviderError::permanent(
        std::string(operation),
        fmt::format("{} is {} bytes long; the limit is {} bytes", what, value.size(), kMaxIdentifierBytes),
        ProviderErrorKind::InvalidInput));
  }
  return {};
}

}  // namespace

ProviderResult<void> validate_instance_id(std::string_view operation, std::string_view instance) {
  return validate_identifier(operation, "instance id", instance);
}

ProviderResult<void> validate_work_item(std::string_view operation, const WorkItem& item) {
  if (auto ok = validate_instance_id(operation, work_item_instance(item)); !ok) return ok;
  return std::visit(detail::Overloaded{
                        [&](const work_items::StartOrchestration& start) {
                          return validate_identifier(operation, "orchestration name", start.orchestration);
                        },
                        [&](const work_items::ContinueAsNew& can) {
                          return validate_identifier(operation, "orchestration name", can.orchestration);
                        },
                        [&](const work_items::ActivityExecute& activity) {
                          return validate_identifier(operation, "activity name", activity.name);
                        },
                        [&](const work_items::ExternalRaised& raised) {
                          return validate_identifier(operation, "event name", raised.name);
                        },
                        [&](const work_items::QueueMessage& message) {
                          return validate_identifier(operation, "queue name", message.name);
                        },
                        [](const auto&) { return ProviderResult<void>{}; },
                    },
                    item);
}

ProviderResult<void> validate_payload_size(std::string_view operation, std::string_view what, std::size_t bytes,
                                           std::size_t max_bytes) {
  if (bytes <= max_bytes) return {};
  return std::unexpected(ProviderError::permanent(
      std::string(operation), fmt::format("{} is {} bytes; the store's limit is {} bytes", what, bytes, max_bytes),
      ProviderErrorKind::PayloadTooLarge));
}

ProviderResult<void> validate_event(std::string_view operation, const Event& event) {
  if (event.event_id == 0) {
    return std::unexpected(ProviderError::permanent(
        std::string(operation), fmt::format("{} event has event_id 0 (ids start at 1)", event.type_name()),
        ProviderErrorKind::InvalidInput));
  }
  return {};
}

ProviderResult<void> validate_ack(std::string_view operation, const OrchestrationAck& ack, std::size_t max_payload) {
  for (const auto& item : ack.worker_items) {
    if (!is_worker_item(item)) {
      return std::unexpected(ProviderError::permanent(
          std::string(operation),
          fmt::format("worker_items may hold ActivityExecute only, got {}", work_item_type_name(item)),
          ProviderErrorKind::InvalidInput));
    }
    if (auto ok = validate_work_item(operation, item); !ok) return ok;
  }
  for (const auto& item : ack.orchestrator_items) {
    if (is_worker_item(item)) continue;
    if (auto ok = validate_work_item(operation, item); !ok) return ok;
  }
  if (ack.metadata.output) {
    if (auto ok = validate_payload_size(operation, "output", ack.metadata.output->size(), max_payload); !ok) return ok;
  }
  if (ack.metadata.orchestration_name) {
    if (auto ok = validate_payload_size(operation, "orchestration name", ack.metadata.orchestration_name->size(),
                                        kMaxIdentifierBytes);
        !ok) {
      return ok;
    }
  }
  return {};
}

}  // namespace duroxide::providers
