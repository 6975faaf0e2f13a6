// `schedules list|show|create|pause|resume|delete` (docs/cli.md, docs/schedules.md).
#include <memory>
#include <ostream>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "json_views.hpp"
#include "table.hpp"
#include "text.hpp"

namespace duroxide::cli {

namespace {

struct ListOptions {
  bool json = false;
};

struct IdOptions {
  std::string id;
  std::string reason;
  bool json = false;
};

struct CreateOptions {
  std::string id;
  std::string spec;
  std::string orchestration;
  std::string input;
  std::string version;
  std::string overlap = "skip";
  bool json = false;
};

CliError schedule_not_found(const std::string& id) {
  return CliError(ExitCode::NotFound, fmt::format("schedule {} not found", quote_id(id)));
}

/// The client's answer, with "schedule 'x' not found" for a schedule the store does not know.
template <class T>
T require_schedule(ClientResult<T> result, const std::string& id, const std::string& what) {
  if (!result && result.error().kind == ClientError::Kind::InstanceNotFound) throw schedule_not_found(id);
  return require(std::move(result), what);
}

std::string optional_time(const std::optional<std::uint64_t>& ms) { return ms ? format_time_ms(*ms) : "-"; }

ExitCode run_list(CommandContext& context, const ListOptions& options) {
  const auto schedules = require(context.client.list_schedules(), "listing schedules");
  if (options.json) {
    Json doc = Json::array();
    for (const auto& schedule : schedules) doc.push_back(schedule_json(schedule));
    print_json(context.out, Json{{"schedules", doc}});
    return ExitCode::Ok;
  }
  if (schedules.empty()) {
    context.out << "no schedules\n";
    return ExitCode::Ok;
  }
  Table table({"ID", "STATUS", "SPEC", "ORCHESTRATION", "OVERLAP", "NEXT FIRING", "RUNS", "SKIPPED", "LAST RUN"});
  for (const auto& s : schedules) {
    table.add_row({s.id, std::string(to_string(s.status)), s.spec, s.orchestration, std::string(to_string(s.overlap)),
                   optional_time(s.next_fire_ms), std::to_string(s.runs_started), std::to_string(s.skipped),
                   s.last_run_instance.value_or("")});
  }
  table.print(context.out);
  return ExitCode::Ok;
}

ExitCode run_show(CommandContext& context, const IdOptions& options) {
  const auto s = require_schedule(context.client.get_schedule(options.id), options.id,
                                  fmt::format("reading schedule {}", quote_id(options.id)));
  if (options.json) {
    print_json(context.out, schedule_json(s));
    return ExitCode::Ok;
  }
  Fields fields;
  fields.add("schedule", escape(s.id));
  fields.add("instance", escape(s.instance_id));
  fields.add("status", std::string(to_string(s.status)));
  if (!s.ended_reason.empty()) fields.add("reason", quote(s.ended_reason));
  fields.add("spec", escape(s.spec));
  fields.add("orchestration", escape(s.orchestration) + (s.version ? "@" + escape(*s.version) : ""));
  fields.add("input", quote(s.input));
  fields.add("overlap", std::string(to_string(s.overlap)));
  fields.add("next firing", optional_time(s.next_fire_ms));
  fields.add("runs started", std::to_string(s.runs_started));
  fields.add("skipped", std::to_string(s.skipped));
  fields.add("last run", s.last_run_instance
                             ? fmt::format("{} (fired {})", escape(*s.last_run_instance), optional_time(s.last_fire_ms))
                             : "-");
  if (s.buffered_fire_ms) fields.add("held firing", format_time_ms(*s.buffered_fire_ms));
  fields.print(context.out);
  return ExitCode::Ok;
}

ExitCode run_create(CommandContext& context, const CreateOptions& options) {
  const auto overlap = parse_overlap_policy(options.overlap);
  if (!overlap) throw CliError(ExitCode::Usage, fmt::format("unknown overlap policy {}", quote_id(options.overlap)));
  const auto what = fmt::format("creating schedule {}", quote_id(options.id));
  if (options.version.empty()) {
    require(context.client.create_schedule(options.id, options.spec, options.orchestration, options.input, *overlap),
            what);
  } else {
    require(context.client.create_schedule_versioned(options.id, options.spec, options.orchestration, options.version,
                                                     options.input, *overlap),
            what);
  }
  return confirm(
      context, options.json,
      Json{{"id", options.id},
           {"instance_id", schedule_instance_id(options.id)},
           {"spec", options.spec},
           {"orchestration", options.orchestration},
           {"overlap", options.overlap},
           {"created", true}},
      fmt::format("created schedule {} ({}, starts {}, overlap {}); a runtime on the store runs it",
                  quote_id(options.id), quote(options.spec), quote_id(options.orchestration), options.overlap));
}

ExitCode run_pause(CommandContext& context, const IdOptions& options) {
  require_schedule(context.client.pause_schedule(options.id, options.reason), options.id,
                   fmt::format("pausing schedule {}", quote_id(options.id)));
  return confirm(
      context, options.json, Json{{"id", options.id}, {"reason", options.reason}, {"pause_requested", true}},
      fmt::format("requested the pause of schedule {} (reason {})", quote_id(options.id), quote(options.reason)));
}

ExitCode run_resume(CommandContext& context, const IdOptions& options) {
  require_schedule(context.client.resume_schedule(options.id), options.id,
                   fmt::format("resuming schedule {}", quote_id(options.id)));
  return confirm(context, options.json, Json{{"id", options.id}, {"resume_requested", true}},
                 fmt::format("requested the resumption of schedule {}", quote_id(options.id)));
}

ExitCode run_delete(CommandContext& context, const IdOptions& options) {
  require_schedule(context.client.delete_schedule(options.id), options.id,
                   fmt::format("deleting schedule {}", quote_id(options.id)));
  return confirm(
      context, options.json, Json{{"id", options.id}, {"delete_requested", true}},
      fmt::format("requested the deletion of schedule {}; runs already started go on", quote_id(options.id)));
}

}  // namespace

void add_schedule_commands(CLI::App& app, Dispatch& dispatch) {
  auto* schedules = app.add_subcommand(
      "schedules", "Durable schedules: list, show, create, pause, resume, delete (docs/schedules.md)");
  schedules->require_subcommand(1);

  auto list_options = std::make_shared<ListOptions>();
  auto* list = schedules->add_subcommand("list", "List the schedules that are not deleted, by id");
  add_json_flag(list, list_options->json);
  dispatch.on(list, [list_options](CommandContext& context) { return run_list(context, *list_options); });

  auto show_options = std::make_shared<IdOptions>();
  auto* show = schedules->add_subcommand("show", "Show a schedule: status, spec, next firing, runs, last run");
  show->add_option("ID", show_options->id, "Schedule id")->required();
  add_json_flag(show, show_options->json);
  dispatch.on(show, [show_options](CommandContext& context) { return run_show(context, *show_options); });

  auto create_options = std::make_shared<CreateOptions>();
  auto* create = schedules->add_subcommand("create", "Create a schedule that starts an orchestration at each firing");
  create->add_option("ID", create_options->id, "Schedule id (runs are named ID@<firing time>)")->required();
  create
      ->add_option("SPEC", create_options->spec,
                   "When it fires, in UTC: a cron expression (\"30 9 * * MON-FRI\"), @hourly, @daily, ... or "
                   "@every 90s")
      ->required();
  create->add_option("ORCHESTRATION", create_options->orchestration, "Orchestration each firing starts")->required();
  create->add_option("INPUT", create_options->input, "Each run's input, passed as is")->required();
  create->add_option("--version", create_options->version, "Pin each run to this orchestration version");
  create->add_option("--overlap", create_options->overlap, "What a firing does while the last run has not ended")
      ->check(CLI::IsMember({"skip", "buffer_one", "allow_all"}))
      ->capture_default_str();
  add_json_flag(create, create_options->json);
  dispatch.on(create, [create_options](CommandContext& context) { return run_create(context, *create_options); });

  auto pause_options = std::make_shared<IdOptions>();
  pause_options->reason = "paused from the command line";
  auto* pause = schedules->add_subcommand("pause", "Stop a schedule firing until it is resumed");
  pause->add_option("ID", pause_options->id, "Schedule id")->required();
  pause->add_option("--reason", pause_options->reason, "Reason shown while paused")->capture_default_str();
  add_json_flag(pause, pause_options->json);
  dispatch.on(pause, [pause_options](CommandContext& context) { return run_pause(context, *pause_options); });

  auto resume_options = std::make_shared<IdOptions>();
  auto* resume = schedules->add_subcommand("resume", "Let a paused schedule fire again, from its next firing on");
  resume->add_option("ID", resume_options->id, "Schedule id")->required();
  add_json_flag(resume, resume_options->json);
  dispatch.on(resume, [resume_options](CommandContext& context) { return run_resume(context, *resume_options); });

  auto delete_options = std::make_shared<IdOptions>();
  auto* remove = schedules->add_subcommand("delete", "End a schedule; runs it already started go on");
  remove->add_option("ID", delete_options->id, "Schedule id")->required();
  add_json_flag(remove, delete_options->json);
  dispatch.on(remove, [delete_options](CommandContext& context) { return run_delete(context, *delete_options); });
}

}  // namespace duroxide::cli
