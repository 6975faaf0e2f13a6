// ErrorDetails <-> JSON: externally tagged enums (docs/core.md, "Error details").
#include <fmt/format.h>

#include <duroxide/wire.hpp>

#include "core/json_fields.hpp"
#include "core/overloaded.hpp"

namespace duroxide {
namespace wire {
namespace {

OrderedJson app_kind_to_json(const AppErrorKind& kind) {
  switch (kind.code) {
    case AppErrorKind::Code::ActivityFailed:
      return "ActivityFailed";
    case AppErrorKind::Code::OrchestrationFailed:
      return "OrchestrationFailed";
    case AppErrorKind::Code::Panicked:
      return "Panicked";
    case AppErrorKind::Code::Cancelled:
      return OrderedJson{{"Cancelled", OrderedJson{{"reason", kind.cancel_reason}}}};
  }
  return "OrchestrationFailed";
}

AppErrorKind app_kind_from_json(const Json& j) {
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == "ActivityFailed") return AppErrorKind::activity_failed();
    if (s == "OrchestrationFailed") return AppErrorKind::orchestration_failed();
    if (s == "Panicked") return AppErrorKind::panicked();
    throw WireError(fmt::format("unknown AppErrorKind '{}'", s));
  }
  auto [tag, value] = external_tag(j, "AppErrorKind");
  if (tag != "Cancelled") throw WireError(fmt::format("unknown AppErrorKind '{}'", tag));
  return AppErrorKind::cancelled(FieldReader(*value, "AppErrorKind.Cancelled").str("reason"));
}

OrderedJson poison_type_to_json(const PoisonMessageType& type) {
  return std::visit(
      detail::Overloaded{[](const poison::Orchestration& m) {
                           return OrderedJson{{"Orchestration", OrderedJson{{"instance", m.instance},
                                                                            {"execution_id", m.execution_id}}}};
                         },
                         [](const poison::Activity& m) {
                           return OrderedJson{{"Activity", OrderedJson{{"instance", m.instance},
                                                                       {"execution_id", m.execution_id},
                                                                       {"activity_name", m.activity_name},
                                                                       {"activity_id", m.activity_id}}}};
                         },
                         [](const poison::FailedDeserialization& m) {
                           return OrderedJson{{"FailedDeserialization", OrderedJson{{"instance", m.instance},
                                                                                    {"execution_id", m.execution_id},
                                                                                    {"error", m.error}}}};
                         }},
      type);
}

PoisonMessageType poison_type_from_json(const Json& j) {
  auto [tag, value] = external_tag(j, "PoisonMessageType");
  if (tag == "Orchestration") {
    FieldReader r(*value, "PoisonMessageType.Orchestration");
    return poison::Orchestration{r.str("instance"), r.u64("execution_id")};
  }
  if (tag == "Activity") {
    FieldReader r(*value, "PoisonMessageType.Activity");
    return poison::Activity{r.str("instance"), r.u64("execution_id"), r.str("activity_name"), r.u64("activity_id")};
  }
  if (tag == "FailedDeserialization") {
    FieldReader r(*value, "PoisonMessageType.FailedDeserialization");
    return poison::FailedDeserialization{r.str("instance"), r.u64("execution_id"), r.str("error")};
  }
  throw WireError(fmt::format("unknown PoisonMessageType '{}'", tag));
}

}  // namespace

OrderedJson error_details_to_json(const ErrorDetails& details) {
  return std::visit(
      detail::Overloaded{
          [](const error::Infrastructure& e) {
            return OrderedJson{
                {"Infrastructure",
                 OrderedJson{{"operation", e.operation}, {"message", e.message}, {"retryable", e.retryable}}}};
          },
          [](const error::Configuration& e) {
            OrderedJson body{{"kind", "Nondeterminism"}, {"resource", e.resource}};
            body["message"] = nullable(e.message);
            return OrderedJson{{"Configuration", std::move(body)}};
          },
          [](const error::Application& e) {
            return OrderedJson{
                {"Application",
                 OrderedJson{{"kind", app_kind_to_json(e.kind)}, {"message", e.message}, {"retryable", e.retryable}}}};
          },
          [](const error::Poison& e) {
            return OrderedJson{{"Poison", OrderedJson{{"attempt_count", e.attempt_count},
                                                      {"max_attempts", e.max_attempts},
                                                      {"message_type", poison_type_to_json(e.message_type)},
                                                      {"message", e.message}}}};
          }},
      details.value);
}

ErrorDetails error_details_from_json(const Json& j, std::string_view where) {
  auto [tag, value] = external_tag(j, fmt::format("ErrorDetails in {}", where));
  if (tag == "Infrastructure") {
    FieldReader r(*value, "ErrorDetails.Infrastructure");
    return error::Infrastructure{r.str("operation"), r.str("message"), r.boolean("retryable")};
  }
  if (tag == "Configuration") {
    FieldReader r(*value, "ErrorDetails.Configuration");
    const Json& kind = r.required("kind");
    if (!kind.is_string()) r.fail_type("kind", "a string", kind);
    if (kind.get_ref<const std::string&>() != "Nondeterminism") {
      throw WireError(fmt::format("unknown ConfigErrorKind '{}'", kind.get_ref<const std::string&>()));
    }
    return error::Configuration{ConfigErrorKind::Nondeterminism, r.str("resource"), r.opt_str("message")};
  }
  if (tag == "Application") {
    FieldReader r(*value, "ErrorDetails.Application");
    return error::Application{app_kind_from_json(r.required("kind")), r.str("message"), r.boolean("retryable")};
  }
  if (tag == "Poison") {
    FieldReader r(*value, "ErrorDetails.Poison");
    return error::Poison{r.u32("attempt_count"), r.u32("max_attempts"),
                         poison_type_from_json(r.required("message_type")), r.str("message")};
  }
  throw WireError(fmt::format("unknown ErrorDetails variant '{}'", tag));
}

}  // namespace wire

std::string serialize_error_details(const ErrorDetails& details) {
  return wire::dump_compact(wire::error_details_to_json(details));
}

Result<ErrorDetails> parse_error_details(std::string_view json) {
  try {
    return wire::error_details_from_json(wire::parse_json_text(json), "input");
  } catch (const std::exception& e) {
    return Err(fmt::format("invalid ErrorDetails JSON: {}", e.what()));
  }
}

}  // namespace duroxide
