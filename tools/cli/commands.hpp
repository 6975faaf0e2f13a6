// The commands of the `duroxide` tool (docs/cli.md). Each add_* function declares its commands on
// the CLI11 app and registers what runs them; main parses, opens the store and runs the one chosen.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include <duroxide/client.hpp>

#include "cli_error.hpp"
#include "store_json.hpp"

namespace duroxide::cli {

/// What a command runs with: the client over the opened store and the stream for its output.
struct CommandContext {
  Client& client;
  std::ostream& out;
};

/// A command's action: prints its output and returns the exit code, or throws CliError.
using Action = std::function<ExitCode(CommandContext&)>;

/// Remembers which command the command line chose.
class Dispatch {
 public:
  /// Runs `action` when `command` is the command parsed.
  void on(CLI::App* command, Action action);
  /// The chosen command's action (empty before a successful parse).
  const Action& chosen() const { return chosen_; }

 private:
  Action chosen_;
};

/// Accepts a whole number from 1 up (no sign, digits only, fits 64 bits).
CLI::Validator positive_integer();
/// Accepts a finite number of seconds, 0 or more (e.g. 2, 0.5).
CLI::Validator non_negative_seconds();

/// Adds `--json` (print one JSON document instead of the human form) to a command.
void add_json_flag(CLI::App* command, bool& json);

void add_instance_commands(CLI::App& app, Dispatch& dispatch);  // instances list, instances show
void add_history_commands(CLI::App& app, Dispatch& dispatch);   // history, tree
void add_signal_commands(CLI::App& app, Dispatch& dispatch);    // start, raise, enqueue, cancel
void add_wait_command(CLI::App& app, Dispatch& dispatch);       // wait
void add_admin_commands(CLI::App& app, Dispatch& dispatch);     // delete, prune, metrics, queues
void add_schedule_commands(CLI::App& app, Dispatch& dispatch);  // schedules list|show|create|pause|resume|delete
/// serve (the web dashboard); `store_url` is main's --store, read when the command runs.
void add_serve_command(CLI::App& app, Dispatch& dispatch, const std::string& store_url);

/// What a command that requested something prints: `doc` with --json, else `text` and a newline.
ExitCode confirm(CommandContext& context, bool json, const tools::Json& doc, const std::string& text);

/// The instance's status; throws instance_not_found() when the store does not know it.
OrchestrationStatus require_status(const Client& client, const std::string& instance);

}  // namespace duroxide::cli
