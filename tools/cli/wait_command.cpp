// `wait`: until an instance finishes (docs/cli.md). Exit 0 when it completed, 4 when it failed,
// 5 when --timeout passed first (1 when, by then, no such instance exists).
#include <chrono>
#include <cmath>
#include <memory>
#include <ostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "json_views.hpp"
#include "table.hpp"
#include "text.hpp"

namespace duroxide::cli {

namespace {

struct WaitOptions {
  std::string instance;
  double timeout_seconds = 0;
  bool has_timeout = false;
  bool json = false;
};

std::chrono::milliseconds timeout_of(const WaitOptions& options) {
  // Beyond about 30 years: no deadline (the client saturates milliseconds::max()).
  if (!options.has_timeout || options.timeout_seconds > 1e9) return std::chrono::milliseconds::max();
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(options.timeout_seconds * 1000.0)));
}

ExitCode run_wait(CommandContext& context, const WaitOptions& options) {
  const auto& client = context.client;
  const auto& id = options.instance;
  auto finished = client.wait_for_orchestration(id, timeout_of(options));
  if (!finished && finished.error().kind == ClientError::Kind::Timeout) {
    // A start not yet taken up by a runtime has no status: the wait covers it, the timeout tells.
    const auto now = require(client.get_orchestration_status(id), fmt::format("reading instance {}", quote_id(id)));
    if (now.is_not_found()) {
      throw CliError(ExitCode::NotFound,
                     fmt::format("instance {} not found (waited {} s)", quote_id(id), options.timeout_seconds));
    }
    throw CliError(ExitCode::Timeout, fmt::format("timed out after {} s waiting for instance {} (status {})",
                                                  options.timeout_seconds, quote_id(id), now.name()));
  }
  const auto status = require(std::move(finished), fmt::format("waiting for instance {}", quote_id(id)));
  if (options.json) {
    Json out;
    out["instance_id"] = id;
    out.update(status_json(status));
    print_json(context.out, out);
  } else {
    Fields fields;
    fields.add("instance", escape(id));
    fields.add("status", std::string(status.name()));
    if (const auto* completed = status.get_if<status::Completed>()) fields.add("output", quote(completed->output));
    if (const auto* failed = status.get_if<status::Failed>()) {
      fields.add("error", fmt::format("{} ({})", quote(failed->details.display_message()), failed->details.category()));
    }
    if (const auto* terminated = status.get_if<status::Terminated>()) fields.add("reason", quote(terminated->reason));
    fields.print(context.out);
  }
  return status.is_completed() ? ExitCode::Ok : ExitCode::Failed;
}

}  // namespace

void add_wait_command(CLI::App& app, Dispatch& dispatch) {
  auto options = std::make_shared<WaitOptions>();
  auto* wait = app.add_subcommand(
      "wait", "Wait until an instance finishes; exit 0 if it completed, 4 if it failed, 5 on timeout");
  wait->add_option("ID", options->instance, "Instance id")->required();
  auto* timeout = wait->add_option("--timeout", options->timeout_seconds, "Give up after SECONDS (default: never)")
                      ->check(non_negative_seconds());
  add_json_flag(wait, options->json);
  dispatch.on(wait, [options, timeout](CommandContext& context) {
    options->has_timeout = timeout->count() > 0;
    return run_wait(context, *options);
  });
}

}  // namespace duroxide::cli
