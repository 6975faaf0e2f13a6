// `start`, `raise`, `enqueue`, `cancel`, `terminate`, `suspend`, `resume` and `rewind`: messages for instances
// (docs/cli.md).
// Each is a message in the store that a runtime carries out; none waits for it.
#include <memory>
#include <ostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "json_views.hpp"
#include "text.hpp"

namespace duroxide::cli {

namespace {

constexpr const char* kDefaultCancelReason = "cancelled with the duroxide command-line tool";
constexpr const char* kDefaultTerminateReason = "terminated with the duroxide command-line tool";
constexpr const char* kDefaultSuspendReason = "suspended with the duroxide command-line tool";
constexpr const char* kDefaultResumeReason = "resumed with the duroxide command-line tool";
constexpr const char* kDefaultRewindReason = "rewound with the duroxide command-line tool";

struct StartOptions {
  std::string name;
  std::string instance;
  std::string input;
  std::string version;      // empty: the runtime's version policy picks
  std::string traceparent;  // empty: the instance is the root of its own trace
  bool json = false;
};

struct RaiseOptions {
  std::string instance;
  std::string event;
  std::string data;
  bool json = false;
};

struct EnqueueOptions {
  std::string instance;
  std::string queue;
  std::string data;
  bool json = false;
};

struct CancelOptions {
  std::string instance;
  std::string reason = kDefaultCancelReason;
  bool json = false;
};

/// `suspend`, `resume` and `rewind`: an instance and a reason.
struct ReasonOptions {
  std::string instance;
  std::string reason;
  bool json = false;
};

struct TerminateOptions {
  std::string instance;
  std::string reason = kDefaultTerminateReason;
  bool keep_children = false;
  bool json = false;
};

/// The instance's status; Refused when it has already finished, since nothing would act on `what`.
OrchestrationStatus require_unfinished(const Client& client, const std::string& instance, std::string_view what) {
  auto status = require_status(client, instance);
  if (status.is_terminal()) {
    throw CliError(ExitCode::Refused, fmt::format("instance {} has already finished ({}): nothing would {}",
                                                  quote_id(instance), status.name(), what));
  }
  return status;
}

ExitCode run_start(CommandContext& context, const StartOptions& options) {
  const auto& client = context.client;
  const auto what = fmt::format("starting instance {}", quote_id(options.instance));
  const auto existing = require(client.get_orchestration_status(options.instance), what);
  if (!existing.is_not_found()) {
    throw CliError(ExitCode::Refused,
                   fmt::format("instance {} already exists ({})", quote_id(options.instance), existing.name()));
  }
  if (!options.traceparent.empty()) {
    require(client.start_orchestration_traced(
                options.instance, options.name, options.input, options.traceparent,
                options.version.empty() ? std::nullopt : std::optional<std::string>(options.version)),
            what);
  } else if (options.version.empty()) {
    require(client.start_orchestration(options.instance, options.name, options.input), what);
  } else {
    require(client.start_orchestration_versioned(options.instance, options.name, options.version, options.input), what);
  }
  if (options.json) {
    print_json(context.out,
               Json{{"instance_id", options.instance},
                    {"orchestration_name", options.name},
                    {"orchestration_version", options.version.empty() ? Json(nullptr) : Json(options.version)},
                    {"started", true}});
  } else {
    context.out << fmt::format("started instance {} of orchestration {}{}\n", quote_id(options.instance),
                               quote_id(options.name),
                               options.version.empty() ? "" : " version " + quote_id(options.version));
  }
  return ExitCode::Ok;
}

ExitCode run_raise(CommandContext& context, const RaiseOptions& options) {
  require_unfinished(context.client, options.instance, "receive the event");
  require(context.client.raise_event(options.instance, options.event, options.data),
          fmt::format("raising event {} on instance {}", quote_id(options.event), quote_id(options.instance)));
  if (options.json) {
    print_json(context.out, Json{{"instance_id", options.instance}, {"event", options.event}, {"raised", true}});
  } else {
    context.out << fmt::format("raised event {} on instance {}\n", quote_id(options.event), quote_id(options.instance));
  }
  return ExitCode::Ok;
}

ExitCode run_enqueue(CommandContext& context, const EnqueueOptions& options) {
  require_unfinished(context.client, options.instance, "dequeue the message");
  require(context.client.enqueue_event(options.instance, options.queue, options.data),
          fmt::format("enqueueing on queue {} of instance {}", quote_id(options.queue), quote_id(options.instance)));
  if (options.json) {
    print_json(context.out, Json{{"instance_id", options.instance}, {"queue", options.queue}, {"enqueued", true}});
  } else {
    context.out << fmt::format("enqueued a message on queue {} of instance {}\n", quote_id(options.queue),
                               quote_id(options.instance));
  }
  return ExitCode::Ok;
}

ExitCode run_cancel(CommandContext& context, const CancelOptions& options) {
  require_unfinished(context.client, options.instance, "be cancelled");
  require(context.client.cancel_instance(options.instance, options.reason),
          fmt::format("cancelling instance {}", quote_id(options.instance)));
  return confirm(context, options.json,
                 Json{{"instance_id", options.instance}, {"reason", options.reason}, {"cancel_requested", true}},
                 fmt::format("requested the cancellation of instance {} (reason {})", quote_id(options.instance),
                             quote(options.reason)));
}

ExitCode run_terminate(CommandContext& context, const TerminateOptions& options) {
  require_unfinished(context.client, options.instance, "be terminated");
  require(context.client.terminate_instance(options.instance, options.reason, !options.keep_children),
          fmt::format("terminating instance {}", quote_id(options.instance)));
  return confirm(context, options.json,
                 Json{{"instance_id", options.instance},
                      {"reason", options.reason},
                      {"children_terminated", !options.keep_children},
                      {"terminate_requested", true}},
                 fmt::format("requested the termination of instance {}{} (reason {})", quote_id(options.instance),
                             options.keep_children ? "" : " and its children", quote(options.reason)));
}

ExitCode run_suspend(CommandContext& context, const ReasonOptions& options) {
  if (require_unfinished(context.client, options.instance, "be suspended").is_suspended()) {
    throw CliError(ExitCode::Refused, fmt::format("instance {} is already suspended", quote_id(options.instance)));
  }
  require(context.client.suspend_instance(options.instance, options.reason),
          fmt::format("suspending instance {}", quote_id(options.instance)));
  return confirm(context, options.json,
                 Json{{"instance_id", options.instance}, {"reason", options.reason}, {"suspend_requested", true}},
                 fmt::format("requested the suspension of instance {} (reason {})", quote_id(options.instance),
                             quote(options.reason)));
}

ExitCode run_resume(CommandContext& context, const ReasonOptions& options) {
  const auto status = require_status(context.client, options.instance);
  if (!status.is_suspended()) {
    throw CliError(ExitCode::Refused, fmt::format("instance {} is not suspended ({}): nothing to resume",
                                                  quote_id(options.instance), status.name()));
  }
  require(context.client.resume_instance(options.instance, options.reason),
          fmt::format("resuming instance {}", quote_id(options.instance)));
  return confirm(context, options.json,
                 Json{{"instance_id", options.instance}, {"reason", options.reason}, {"resume_requested", true}},
                 fmt::format("requested the resumption of instance {} (reason {})", quote_id(options.instance),
                             quote(options.reason)));
}

/// The client refuses what a rewind does not take back (NotRewindable, exit code Refused).
ExitCode run_rewind(CommandContext& context, const ReasonOptions& options) {
  require(context.client.rewind_instance(options.instance, options.reason),
          fmt::format("rewinding instance {}", quote_id(options.instance)));
  return confirm(context, options.json,
                 Json{{"instance_id", options.instance}, {"reason", options.reason}, {"rewind_requested", true}},
                 fmt::format("requested the rewind of instance {} (reason {})", quote_id(options.instance),
                             quote(options.reason)));
}

}  // namespace

void add_signal_commands(CLI::App& app, Dispatch& dispatch) {
  auto start_options = std::make_shared<StartOptions>();
  auto* start = app.add_subcommand("start", "Start a new instance of an orchestration (a runtime runs it)");
  start->add_option("NAME", start_options->name, "Orchestration name")->required();
  start->add_option("ID", start_options->instance, "New instance id")->required();
  start->add_option("INPUT", start_options->input, "Input, passed as is (JSON for typed orchestrations)")->required();
  start->add_option("--version", start_options->version,
                    "Orchestration version (default: the runtime's version policy, the newest by default)");
  start->add_option("--traceparent", start_options->traceparent,
                    "Continue this W3C trace (00-<trace id>-<span id>-<flags>; docs/tracing.md)");
  add_json_flag(start, start_options->json);
  dispatch.on(start, [start_options](CommandContext& context) { return run_start(context, *start_options); });

  auto raise_options = std::make_shared<RaiseOptions>();
  auto* raise = app.add_subcommand("raise", "Raise an external event on a running instance");
  raise->add_option("ID", raise_options->instance, "Instance id")->required();
  raise->add_option("EVENT", raise_options->event, "Event name (what the orchestration waits for)")->required();
  raise->add_option("DATA", raise_options->data, "Event data, passed as is")->required();
  add_json_flag(raise, raise_options->json);
  dispatch.on(raise, [raise_options](CommandContext& context) { return run_raise(context, *raise_options); });

  auto enqueue_options = std::make_shared<EnqueueOptions>();
  auto* enqueue = app.add_subcommand("enqueue", "Put a message on a running instance's queue");
  enqueue->add_option("ID", enqueue_options->instance, "Instance id")->required();
  enqueue->add_option("QUEUE", enqueue_options->queue, "Queue name (what the orchestration dequeues)")->required();
  enqueue->add_option("DATA", enqueue_options->data, "Message data, passed as is")->required();
  add_json_flag(enqueue, enqueue_options->json);
  dispatch.on(enqueue, [enqueue_options](CommandContext& context) { return run_enqueue(context, *enqueue_options); });

  auto cancel_options = std::make_shared<CancelOptions>();
  auto* cancel = app.add_subcommand("cancel", "Request the cancellation of a running instance and its children");
  cancel->add_option("ID", cancel_options->instance, "Instance id")->required();
  cancel->add_option("--reason", cancel_options->reason, "Reason recorded with the cancellation")
      ->capture_default_str();
  add_json_flag(cancel, cancel_options->json);
  dispatch.on(cancel, [cancel_options](CommandContext& context) { return run_cancel(context, *cancel_options); });

  auto terminate_options = std::make_shared<TerminateOptions>();
  auto* terminate = app.add_subcommand(
      "terminate", "End a running instance at once as Terminated, without running its code (and its children)");
  terminate->add_option("ID", terminate_options->instance, "Instance id")->required();
  terminate->add_option("--reason", terminate_options->reason, "Reason recorded with the termination")
      ->capture_default_str();
  terminate->add_flag("--keep-children", terminate_options->keep_children,
                      "Leave the instance's sub-orchestrations running");
  add_json_flag(terminate, terminate_options->json);
  dispatch.on(terminate,
              [terminate_options](CommandContext& context) { return run_terminate(context, *terminate_options); });

  auto suspend_options = std::make_shared<ReasonOptions>();
  suspend_options->reason = kDefaultSuspendReason;
  auto* suspend = app.add_subcommand(
      "suspend", "Pause a running instance: messages are recorded, its code runs no turn until resumed");
  suspend->add_option("ID", suspend_options->instance, "Instance id")->required();
  suspend->add_option("--reason", suspend_options->reason, "Reason recorded with the suspension")
      ->capture_default_str();
  add_json_flag(suspend, suspend_options->json);
  dispatch.on(suspend, [suspend_options](CommandContext& context) { return run_suspend(context, *suspend_options); });

  auto resume_options = std::make_shared<ReasonOptions>();
  resume_options->reason = kDefaultResumeReason;
  auto* resume = app.add_subcommand("resume", "Let a suspended instance run again");
  resume->add_option("ID", resume_options->instance, "Instance id")->required();
  resume->add_option("--reason", resume_options->reason, "Reason recorded with the resumption")->capture_default_str();
  add_json_flag(resume, resume_options->json);
  dispatch.on(resume, [resume_options](CommandContext& context) { return run_resume(context, *resume_options); });

  auto rewind_options = std::make_shared<ReasonOptions>();
  rewind_options->reason = kDefaultRewindReason;
  auto* rewind = app.add_subcommand(
      "rewind", "Take a failed instance back to before its failure: the failed work runs again (docs/rewind.md)");
  rewind->add_option("ID", rewind_options->instance, "Instance id")->required();
  rewind->add_option("--reason", rewind_options->reason, "Reason recorded with the rewind")->capture_default_str();
  add_json_flag(rewind, rewind_options->json);
  dispatch.on(rewind, [rewind_options](CommandContext& context) { return run_rewind(context, *rewind_options); });
}

}  // namespace duroxide::cli
