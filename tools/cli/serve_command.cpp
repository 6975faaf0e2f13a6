// `serve`: the web dashboard over the store (docs/dashboard.md, docs/cli.md "serve"). Runs until
// SIGINT or SIGTERM; the first line it prints says where it serves.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <memory>
#include <ostream>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "dashboard_server.hpp"
#include "store.hpp"
#include "text.hpp"

namespace duroxide::cli {

namespace {

/// The environment variable read when --token is absent.
constexpr const char* kTokenEnvironmentVariable = "DUROXIDE_DASHBOARD_TOKEN";

struct ServeOptions {
  std::string listen = "127.0.0.1:8080";
  std::string token;
  bool allow_writes = false;
};

/// The write end of the pipe the signal handler wakes the main thread through (a handler may do
/// little more than write(2)).
int stop_pipe_write = -1;

extern "C" void on_stop_signal(int) {
  const int saved = errno;
  const char byte = 1;
  [[maybe_unused]] const auto written = ::write(stop_pipe_write, &byte, 1);
  errno = saved;
}

/// SIGINT and SIGTERM write to a pipe for the scope of the object; the default actions come back after.
class StopSignals {
 public:
  StopSignals() {
    if (::pipe2(fds_, O_CLOEXEC) != 0) throw CliError(ExitCode::CannotListen, "cannot create a pipe for signals");
    stop_pipe_write = fds_[1];
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, &old_int_);
    ::sigaction(SIGTERM, &action, &old_term_);
  }
  ~StopSignals() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
    stop_pipe_write = -1;
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  /// Wakes wait() as a signal would.
  void notify() const { on_stop_signal(0); }
  /// Blocks until a signal or notify().
  void wait() const {
    char byte = 0;
    while (::read(fds_[0], &byte, 1) < 0 && errno == EINTR) {
    }
  }

 private:
  int fds_[2] = {-1, -1};
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

/// The options the dashboard starts with; a refused address or token is a usage error.
dashboard::DashboardOptions dashboard_options(const ServeOptions& options, const std::string& store_url) {
  auto listen = dashboard::parse_listen_address(options.listen);
  if (!listen) throw CliError(ExitCode::Usage, escape(listen.error()));
  if (auto problem = dashboard::listen_policy_problem(*listen, options.token)) {
    throw CliError(ExitCode::Usage, *problem);
  }
  return {*listen, options.token, options.allow_writes, redact_url(store_url)};
}

ExitCode run_serve(CommandContext& context, const ServeOptions& options, const std::string& store_url) {
  const auto settings = dashboard_options(options, store_url);
  auto server = dashboard::DashboardServer::bind(context.client, settings);
  if (!server) throw CliError(ExitCode::CannotListen, escape(server.error()));

  StopSignals signals;
  bool listened = true;
  std::thread serving([&] {
    listened = (*server)->run();
    signals.notify();
  });
  context.out << fmt::format("dashboard of {} on {} ({}{}); Ctrl-C stops it\n", escape(settings.store_label),
                             (*server)->url(), settings.allow_writes ? "writes allowed" : "read-only",
                             settings.token.empty() ? "" : "; open it with ?token=TOKEN");
  context.out.flush();
  signals.wait();
  (*server)->stop();
  serving.join();
  if (!listened)
    throw CliError(ExitCode::CannotListen,
                   fmt::format("the dashboard stopped listening on {}", (*server)->address().to_string()));
  return ExitCode::Ok;
}

}  // namespace

void add_serve_command(CLI::App& app, Dispatch& dispatch, const std::string& store_url) {
  auto options = std::make_shared<ServeOptions>();
  auto* serve = app.add_subcommand("serve", "Serve the web dashboard of the store until Ctrl-C (docs/dashboard.md)");
  serve
      ->add_option("--listen", options->listen,
                   "HOST:PORT to listen on; port 0 picks a free one. Other hosts than loopback need a token")
      ->capture_default_str();
  serve->add_option("--token", options->token, "Require this token on every request (Authorization: Bearer)")
      ->envname(kTokenEnvironmentVariable);
  serve->add_flag("--allow-writes", options->allow_writes,
                  "Let the page raise events and cancel or terminate instances");
  // Checked as the command line is read, before the store is opened: a bad address or a missing
  // token is a usage error whatever the store.
  serve->parse_complete_callback([options] {
    auto listen = dashboard::parse_listen_address(options->listen);
    if (!listen) throw CLI::ValidationError("--listen", listen.error());
    if (auto problem = dashboard::listen_policy_problem(*listen, options->token)) {
      throw CLI::ValidationError("--listen", *problem);
    }
  });
  dispatch.on(serve,
              [options, &store_url](CommandContext& context) { return run_serve(context, *options, store_url); });
}

}  // namespace duroxide::cli
