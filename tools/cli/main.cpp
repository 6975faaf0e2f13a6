// duroxide: the command-line tool (docs/cli.md). Lists, shows and operates the instances of the
// store a URL names (--store or DUROXIDE_STORE), through the public Client and management API.
//
//   duroxide --store sqlite:app.db instances list --status Failed
//   duroxide --store sqlite:app.db raise order-7 Approval '{"ok":true}'
//
// Exit codes: 0 ok, 1 not found, 2 usage, 3 store error, 4 wait: failed, 5 wait: timeout,
// 6 refused by the instance's state, 7 serve: cannot listen (cli_error.hpp).
#include <exception>
#include <iostream>
#include <memory>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>
#include <CLI/CLI.hpp>
#include <duroxide/logging.hpp>

#include "cli_error.hpp"
#include "commands.hpp"
#include "store.hpp"
#include "text.hpp"

namespace {

using namespace duroxide::cli;

/// stdout carries only the command's output (one JSON document with --json): duroxide's log lines
/// go to stderr, warnings and errors only (docs/cli.md, "Output"); DUROXIDE_LOG can raise that.
void route_library_logs_to_stderr() {
  duroxide::ObservabilityConfig config;
  config.log_format = duroxide::LogFormat::Compact;
  config.log_level = "warn";
  config.log_sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  duroxide::configure_logging(config);
}

/// The deepest command the parse got to ("duroxide instances list": `app` then `instances`, `list`).
const CLI::App* deepest_command(const CLI::App& app, std::string& path) {
  path = app.get_name();
  const CLI::App* at = &app;
  for (auto chosen = at->get_subcommands(); !chosen.empty(); chosen = at->get_subcommands()) {
    at = chosen.front();
    path += " " + at->get_name();
  }
  return at;
}

/// The one line printed for a command line CLI11 refused. A word where a command is required is
/// named as an unknown command (CLI11 would only say that a subcommand is required).
std::string usage_error_line(const CLI::App& app, const CLI::ParseError& error) {
  std::string path;
  const CLI::App* at = deepest_command(app, path);
  std::string problem = escape(one_line(error.what()));  // it may quote what was typed
  if (const auto commands = at->get_subcommands({}); !commands.empty()) {
    const auto left = app.remaining(true);
    if (!left.empty() && !left.front().starts_with("-")) {
      problem = "unknown command " + quote_id(left.front()) + " after '" + path + "'";
    } else if (left.empty() && dynamic_cast<const CLI::RequiredError*>(&error) != nullptr) {
      std::string names;
      for (const auto* command : commands) names += (names.empty() ? "" : ", ") + command->get_name();
      problem = "a command is required after '" + path + "': " + names;
    }
  }
  return "duroxide: " + problem + " (see '" + path + " --help')";
}

int exit_with(ExitCode code) { return static_cast<int>(code); }

}  // namespace

int main(int argc, char** argv) {
  route_library_logs_to_stderr();

  CLI::App app("Operate the durable orchestrations of a duroxide store (SQLite or PostgreSQL).", "duroxide");
  app.set_version_flag("--version", DUROXIDE_CLI_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // --store is accepted after the command too
  std::string store_url;
  app.add_option("--store", store_url, "Store URL: sqlite:PATH or postgres://user@host:port/db?schema=NAME")
      ->envname(kStoreEnvironmentVariable);
  // Inherited by every command's help (set before the commands are added).
  app.footer(
      "The store: --store URL (before or after the command) or the DUROXIDE_STORE environment variable.\n"
      "Exit codes: 0 ok, 1 not found, 2 usage error, 3 store error, 4 wait: the instance failed, "
      "5 wait: timed out, 6 refused by the instance's state, 7 serve: cannot listen. See docs/cli.md.");

  Dispatch dispatch;
  add_instance_commands(app, dispatch);
  add_history_commands(app, dispatch);
  add_signal_commands(app, dispatch);
  add_wait_command(app, dispatch);
  add_admin_commands(app, dispatch);
  add_schedule_commands(app, dispatch);
  add_serve_command(app, dispatch, store_url);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);  // --help, --version
    std::cerr << usage_error_line(app, error) << '\n';
    return exit_with(ExitCode::Usage);
  }

  try {
    auto store = open_cli_store(store_url);
    duroxide::Client client(store);
    CommandContext context{client, std::cout};
    const auto code = dispatch.chosen()(context);
    std::cout.flush();
    return exit_with(code);
  } catch (const CliError& error) {
    std::cout.flush();
    std::cerr << "duroxide: " << error.what() << '\n';
    return exit_with(error.code());
  } catch (const std::exception& error) {
    std::cout.flush();
    std::cerr << "duroxide: unexpected error: " << one_line(error.what()) << '\n';
    return exit_with(ExitCode::StoreError);
  }
}
