#include <cmath>
#include <cstdint>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "json_views.hpp"
#include "text.hpp"

namespace duroxide::cli {

void Dispatch::on(CLI::App* command, Action action) {
  command->callback([this, action = std::move(action)] { chosen_ = action; });
}

CLI::Validator positive_integer() {
  return CLI::Validator(
      [](const std::string& text) {
        std::uint64_t value = 0;
        const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        if (!digits || !CLI::detail::lexical_cast(text, value) || value == 0) {
          return std::string("must be a whole number, 1 or more, not '") + text + "'";
        }
        return std::string();
      },
      "POSITIVE");
}

CLI::Validator non_negative_seconds() {
  return CLI::Validator(
      [](const std::string& text) {
        double seconds = 0;
        if (!CLI::detail::lexical_cast(text, seconds) || !std::isfinite(seconds) || seconds < 0) {
          return std::string("must be a number of seconds, 0 or more, not '") + text + "'";
        }
        return std::string();
      },
      "SECONDS");
}

void add_json_flag(CLI::App* command, bool& json) {
  command->add_flag("--json", json, "Print one JSON document (for scripts) instead of the human form");
}

OrchestrationStatus require_status(const Client& client, const std::string& instance) {
  auto status =
      require(client.get_orchestration_status(instance), fmt::format("reading instance {}", quote_id(instance)));
  if (status.is_not_found()) throw instance_not_found(instance);
  return status;
}

ExitCode confirm(CommandContext& context, bool json, const tools::Json& doc, const std::string& text) {
  if (json) {
    print_json(context.out, doc);
  } else {
    context.out << text << '\n';
  }
  return ExitCode::Ok;
}

}  // namespace duroxide::cli
