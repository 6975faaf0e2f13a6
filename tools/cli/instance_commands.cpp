// `instances list` and `instances show` (docs/cli.md).
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "json_views.hpp"
#include "table.hpp"
#include "text.hpp"

namespace duroxide::cli {

namespace {

struct ListOptions {
  std::string status;
  std::string name;
  std::string created_from;
  std::string created_until;
  std::string cursor;
  std::uint64_t limit = 50;
  bool all = false;
  bool json = false;
};

struct ShowOptions {
  std::string instance;
  bool json = false;
};

std::string status_text(const std::optional<ExecutionStatus>& status) {
  return status ? std::string(to_string(*status)) : std::string("unknown");
}

/// A time given on the command line: milliseconds since the epoch, or a UTC time as the tool
/// prints them (2026-12-04T19:00:00Z, fractions of a second and the time of day optional).
std::uint64_t time_option(const std::string& option, const std::string& text) {
  if (auto ms = parse_time_ms(text)) return *ms;
  throw CliError(ExitCode::Usage,
                 fmt::format("{} must be milliseconds since the epoch or a UTC time like 2026-12-04T19:00:00Z, not {}",
                             option, quote_id(text)));
}

/// The store's query for the options (docs/cli.md): one page, or with --all every page.
InstanceQuery list_query(const ListOptions& options) {
  InstanceQuery query;
  if (!options.status.empty()) {
    query.status = parse_execution_status(options.status);
    if (!query.status) throw CliError(ExitCode::Usage, fmt::format("unknown status {}", quote_id(options.status)));
  }
  if (!options.name.empty()) query.orchestration_name = options.name;
  if (!options.created_from.empty()) query.created_from_ms = time_option("--created-from", options.created_from);
  if (!options.created_until.empty()) query.created_until_ms = time_option("--created-until", options.created_until);
  if (!options.cursor.empty()) query.cursor = options.cursor;
  query.limit = options.all ? kMaxInstancePageLimit : static_cast<std::size_t>(options.limit);
  if (query.limit > kMaxInstancePageLimit) {
    throw CliError(ExitCode::Usage,
                   fmt::format("--limit must be at most {}, not {}", kMaxInstancePageLimit, options.limit));
  }
  return query;
}

/// The rows to print and, unless --all read them all, where the next page starts.
InstancePage list_instances(const Client& client, const ListOptions& options) {
  auto query = list_query(options);
  auto page = require(client.list_instances_page(query), "listing instances");
  while (options.all && page.next_cursor) {
    query.cursor = page.next_cursor;
    auto next = require(client.list_instances_page(query), "listing instances");
    page.instances.insert(page.instances.end(), std::make_move_iterator(next.instances.begin()),
                          std::make_move_iterator(next.instances.end()));
    page.next_cursor = std::move(next.next_cursor);
  }
  return page;
}

ExitCode run_list(CommandContext& context, const ListOptions& options) {
  const auto page = list_instances(context.client, options);
  const auto& rows = page.instances;
  if (options.json) {
    Json instances = Json::array();
    for (const auto& row : rows) instances.push_back(instance_info_json(row));
    print_json(context.out, Json{{"instances", std::move(instances)},
                                 {"next_cursor", page.next_cursor ? Json(*page.next_cursor) : Json(nullptr)}});
    return ExitCode::Ok;
  }
  if (rows.empty()) {
    context.out << "no instances\n";
    return ExitCode::Ok;
  }
  Table table({"INSTANCE", "NAME", "VERSION", "STATUS", "EXECUTION", "CREATED", "UPDATED", "PARENT"});
  for (const auto& row : rows) {
    table.add_row({row.instance_id, row.orchestration_name, row.orchestration_version, status_text(row.status),
                   std::to_string(row.current_execution_id), format_time_ms(row.created_at_ms),
                   format_time_ms(row.updated_at_ms), row.parent_instance_id.value_or("")});
  }
  table.print(context.out);
  if (page.next_cursor) context.out << "more: --cursor " << quote_id(*page.next_cursor) << '\n';
  return ExitCode::Ok;
}

/// The input of the execution's OrchestrationStarted event, if its history has one.
std::optional<std::string> execution_input(const Client& client, const std::string& instance,
                                           std::uint64_t execution_id) {
  const auto history = require(client.read_execution_history(instance, execution_id),
                               fmt::format("reading the history of instance {}", quote_id(instance)));
  for (const auto& event : history) {
    if (const auto* started = event.get_if<events::OrchestrationStarted>()) return started->input;
  }
  return std::nullopt;
}

ExitCode run_show(CommandContext& context, const ShowOptions& options) {
  const auto& client = context.client;
  const auto& id = options.instance;
  const auto what = fmt::format("reading instance {}", quote_id(id));
  const auto status = require_status(client, id);
  const auto info = require(client.get_instance_info(id), what);
  const auto executions = require(client.list_executions(id), what);
  const auto kv = require(client.get_kv_all_values(id), what);
  const auto input = execution_input(client, id, info.current_execution_id);
  const auto status_view = status_json(status);

  if (options.json) {
    Json out;
    out["instance_id"] = info.instance_id;
    out["orchestration_name"] = info.orchestration_name;
    out["orchestration_version"] = info.orchestration_version;
    out["status"] = info.status ? Json(status_text(info.status)) : Json(nullptr);
    out["current_execution_id"] = info.current_execution_id;
    out["executions"] = executions;
    out["created_at_ms"] = info.created_at_ms;
    out["updated_at_ms"] = info.updated_at_ms;
    out["parent_instance_id"] = optional_string(info.parent_instance_id);
    out["input"] = optional_string(input);
    out["output"] = status_view["output"];
    out["error"] = status_view["error"];
    out["custom_status"] = status_view["custom_status"];
    out["custom_status_version"] = status_view["custom_status_version"];
    Json values = Json::object();
    for (const auto& [key, value] : kv) values[key] = value;
    out["kv"] = std::move(values);
    print_json(context.out, out);
    return ExitCode::Ok;
  }

  Fields fields;
  fields.add("instance", escape(info.instance_id));
  fields.add("name", escape(info.orchestration_name));
  fields.add("version", escape(info.orchestration_version));
  fields.add("status", status_text(info.status));
  std::string execution_list;
  for (const auto execution : executions) {
    execution_list += (execution_list.empty() ? "" : ", ") + std::to_string(execution);
  }
  fields.add("execution", fmt::format("{} (executions: {})", info.current_execution_id,
                                      execution_list.empty() ? "none" : execution_list));
  fields.add("created", format_time_ms(info.created_at_ms));
  fields.add("updated", format_time_ms(info.updated_at_ms));
  fields.add("parent", info.parent_instance_id ? escape(*info.parent_instance_id) : "-");
  fields.add("input", input ? quote(*input) : "-");
  if (const auto* completed = status.get_if<status::Completed>()) fields.add("output", quote(completed->output));
  if (const auto* failed = status.get_if<status::Failed>()) {
    fields.add("error", fmt::format("{} ({})", quote(failed->details.display_message()), failed->details.category()));
  }
  if (const auto* terminated = status.get_if<status::Terminated>()) fields.add("reason", quote(terminated->reason));
  if (const auto* suspended = status.get_if<status::Suspended>()) {
    fields.add("suspended", quote(suspended->reason));
  }
  const auto& custom = status_view["custom_status"];
  fields.add("custom status", custom.is_null()
                                  ? "-"
                                  : fmt::format("{} (version {})", quote(custom.get<std::string>()),
                                                status_view["custom_status_version"].get<std::uint64_t>()));
  fields.add("kv", kv.empty() ? "-" : fmt::format("{} {}", kv.size(), kv.size() == 1 ? "key" : "keys"));
  fields.print(context.out);
  for (const auto& [key, value] : kv) context.out << "  " << quote(key) << " = " << quote(value) << '\n';
  return ExitCode::Ok;
}

}  // namespace

void add_instance_commands(CLI::App& app, Dispatch& dispatch) {
  auto* instances = app.add_subcommand("instances", "List instances or show one");
  instances->require_subcommand(1);

  auto list_options = std::make_shared<ListOptions>();
  auto* list = instances->add_subcommand("list", "List instances, newest first");
  list->add_option("--status", list_options->status, "Only instances whose current execution has this status")
      ->transform(CLI::IsMember({"Running", "Completed", "Failed", "ContinuedAsNew", "Terminated", "Suspended"},
                                CLI::ignore_case));
  list->add_option("--name", list_options->name, "Only instances of this orchestration name");
  list->add_option("--created-from", list_options->created_from,
                   "Only instances created at or after this time (ms since the epoch, or 2026-12-04T19:00:00Z)");
  list->add_option("--created-until", list_options->created_until, "Only instances created before this time");
  list->add_option("--limit", list_options->limit, "Instances per page (default 50, at most 1000)")
      ->check(positive_integer());
  list->add_option("--cursor", list_options->cursor, "Start where an earlier page ended (its next cursor)");
  list->add_flag("--all", list_options->all, "Every matching instance, page after page");
  add_json_flag(list, list_options->json);
  dispatch.on(list, [list_options](CommandContext& context) { return run_list(context, *list_options); });

  auto show_options = std::make_shared<ShowOptions>();
  auto* show = instances->add_subcommand(
      "show", "Show an instance: status, input, output or error, version, times, custom status, KV");
  show->add_option("ID", show_options->instance, "Instance id")->required();
  add_json_flag(show, show_options->json);
  dispatch.on(show, [show_options](CommandContext& context) { return run_show(context, *show_options); });
}

}  // namespace duroxide::cli
