// `delete`, `prune`, `metrics` and `queues` (docs/cli.md): the store's management operations.
#include <cstdint>
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

struct DeleteOptions {
  std::string instance;
  bool force = false;
  bool json = false;
};

struct PruneOptionsCli {
  std::string instance;
  std::uint64_t keep_last = 0;
  bool json = false;
};

struct DataOptions {
  bool json = false;
};

ExitCode run_delete(CommandContext& context, const DeleteOptions& options) {
  const auto& id = options.instance;
  // The store classifies: unknown (1), running without --force or a sub-orchestration (6).
  const auto result =
      require(context.client.delete_instance(id, options.force), fmt::format("deleting instance {}", quote_id(id)));
  if (options.json) {
    Json out;
    out["instance_id"] = id;
    out.update(delete_result_json(result));
    print_json(context.out, out);
  } else {
    context.out << fmt::format("deleted instance {}: {} instances, {} executions, {} events, {} queue messages\n",
                               quote_id(id), result.instances_deleted, result.executions_deleted, result.events_deleted,
                               result.queue_messages_deleted);
  }
  return ExitCode::Ok;
}

ExitCode run_prune(CommandContext& context, const PruneOptionsCli& options) {
  const auto& id = options.instance;
  require_status(context.client, id);
  PruneOptions prune;
  prune.keep_last = static_cast<std::size_t>(options.keep_last);
  const auto result =
      require(context.client.prune_executions(id, prune), fmt::format("pruning instance {}", quote_id(id)));
  if (options.json) {
    Json out;
    out["instance_id"] = id;
    out.update(prune_result_json(result));
    print_json(context.out, out);
  } else {
    context.out << fmt::format("pruned instance {}: {} executions, {} events deleted\n", quote_id(id),
                               result.executions_deleted, result.events_deleted);
  }
  return ExitCode::Ok;
}

/// Prints a JSON object of numbers as a two-column table (or as itself with --json).
void print_figures(CommandContext& context, const Json& figures, bool json) {
  if (json) {
    print_json(context.out, figures);
    return;
  }
  Table table({"FIGURE", "VALUE"});
  for (const auto& [key, value] : figures.items()) table.add_row({key, value.dump()});
  table.print(context.out);
}

}  // namespace

void add_admin_commands(CLI::App& app, Dispatch& dispatch) {
  auto delete_options = std::make_shared<DeleteOptions>();
  auto* remove = app.add_subcommand("delete", "Delete a root instance with its sub-orchestrations and history");
  remove->add_option("ID", delete_options->instance, "Instance id (a root instance)")->required();
  remove->add_flag("--force", delete_options->force, "Delete even if it is still running");
  add_json_flag(remove, delete_options->json);
  dispatch.on(remove, [delete_options](CommandContext& context) { return run_delete(context, *delete_options); });

  auto prune_options = std::make_shared<PruneOptionsCli>();
  auto* prune = app.add_subcommand("prune", "Delete an instance's old finished executions (continue-as-new)");
  prune->add_option("ID", prune_options->instance, "Instance id")->required();
  prune->add_option("--keep-last", prune_options->keep_last, "Keep the K newest executions (the current one always)")
      ->required()
      ->check(positive_integer());
  add_json_flag(prune, prune_options->json);
  dispatch.on(prune, [prune_options](CommandContext& context) { return run_prune(context, *prune_options); });

  auto metrics_options = std::make_shared<DataOptions>();
  auto* metrics = app.add_subcommand("metrics", "Print the store's instance, execution and event counts");
  add_json_flag(metrics, metrics_options->json);
  dispatch.on(metrics, [metrics_options](CommandContext& context) {
    const auto figures = require(context.client.get_system_metrics(), "reading the system metrics");
    print_figures(context, metrics_json(figures), metrics_options->json);
    return ExitCode::Ok;
  });

  auto queues_options = std::make_shared<DataOptions>();
  auto* queues = app.add_subcommand("queues", "Print the depths of the store's queues");
  add_json_flag(queues, queues_options->json);
  dispatch.on(queues, [queues_options](CommandContext& context) {
    const auto depths = require(context.client.get_queue_depths(), "reading the queue depths");
    print_figures(context, queue_depths_json(depths), queues_options->json);
    return ExitCode::Ok;
  });
}

}  // namespace duroxide::cli
