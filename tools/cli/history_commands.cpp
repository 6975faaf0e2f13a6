// `history` and `tree` (docs/cli.md).
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "event_text.hpp"
#include "json_views.hpp"
#include "table.hpp"
#include "text.hpp"

namespace duroxide::cli {

namespace {

struct HistoryOptions {
  std::string instance;
  std::uint64_t execution = 0;  // 0: the current (latest) execution
  bool all_executions = false;  // every execution, in order (an offline-replay fixture)
  bool json = false;
};

struct TreeOptions {
  std::string instance;
  bool json = false;
};

std::string join_numbers(const std::vector<std::uint64_t>& numbers) {
  std::string out;
  for (const auto n : numbers) out += (out.empty() ? "" : ", ") + std::to_string(n);
  return out;
}

ExitCode run_history(CommandContext& context, const HistoryOptions& options) {
  const auto& client = context.client;
  const auto& id = options.instance;
  const auto what = fmt::format("reading the history of instance {}", quote_id(id));
  require_status(client, id);
  const auto executions = require(client.list_executions(id), what);
  if (executions.empty()) throw instance_not_found(id);
  const auto execution = options.execution != 0 ? options.execution : executions.back();
  if (std::find(executions.begin(), executions.end(), execution) == executions.end()) {
    throw CliError(ExitCode::NotFound, fmt::format("execution {} of instance {} not found (executions: {})", execution,
                                                   quote_id(id), join_numbers(executions)));
  }
  // The executions shown: one, or all of them in order (docs/offline-replay.md).
  const std::vector<std::uint64_t> shown = options.all_executions ? executions : std::vector{execution};
  std::vector<std::vector<Event>> histories;
  for (const auto e : shown) histories.push_back(require(client.read_execution_history(id, e), what));

  if (options.json) {
    Json out;
    out["instance_id"] = id;
    out["execution_id"] = options.all_executions ? Json(nullptr) : Json(execution);
    out["executions"] = executions;
    std::vector<Event> events;
    for (const auto& history : histories) events.insert(events.end(), history.begin(), history.end());
    out["events"] = events_json(events);
    print_json(context.out, out);
    return ExitCode::Ok;
  }
  for (std::size_t i = 0; i < shown.size(); ++i) {
    if (i > 0) context.out << "\n";
    context.out << fmt::format("instance {}, execution {} (executions: {}), {} events\n", quote_id(id), shown[i],
                               join_numbers(executions), histories[i].size());
    Table table({"ID", "TIME", "EVENT", "SOURCE", "DETAILS"});
    for (const auto& event : histories[i]) {
      table.add_rendered_row(
          {std::to_string(event.event_id), format_time_ms(event.timestamp_ms), std::string(event.type_name()),
           event.source_event_id ? std::to_string(*event.source_event_id) : "", describe_event(event)});
    }
    table.print(context.out);
  }
  return ExitCode::Ok;
}

struct TreeNode {
  InstanceInfo info;
  std::vector<std::string> children;
};

Json tree_json(const std::map<std::string, TreeNode>& nodes, const std::string& id) {
  const auto& node = nodes.at(id);
  Json out = instance_info_json(node.info);
  Json children = Json::array();
  for (const auto& child : node.children) children.push_back(tree_json(nodes, child));
  out["children"] = std::move(children);
  return out;
}

void print_tree(std::ostream& out, const std::map<std::string, TreeNode>& nodes, const std::string& id,
                const std::string& prefix, const std::string& branch) {
  const auto& node = nodes.at(id);
  out << prefix << branch << escape(id) << "  " << escape(node.info.orchestration_name) << ' '
      << escape(node.info.orchestration_version) << "  "
      << (node.info.status ? std::string(to_string(*node.info.status)) : std::string("unknown")) << '\n';
  const std::string child_prefix = prefix + (branch.empty() ? "" : (branch == "└── " ? "    " : "│   "));
  for (std::size_t i = 0; i < node.children.size(); ++i) {
    print_tree(out, nodes, node.children[i], child_prefix, i + 1 == node.children.size() ? "└── " : "├── ");
  }
}

ExitCode run_tree(CommandContext& context, const TreeOptions& options) {
  const auto& client = context.client;
  const auto& root = options.instance;
  require_status(client, root);
  const auto tree =
      require(client.get_instance_tree(root), fmt::format("reading the tree of instance {}", quote_id(root)));
  std::map<std::string, TreeNode> nodes;
  for (const auto& id : tree.all_ids) {
    auto info = client.get_instance_info(id);
    if (!info && info.error().provider && info.error().provider->is(ProviderErrorKind::NotFound)) continue;
    nodes[id].info = require(std::move(info), fmt::format("reading instance {}", quote_id(id)));
  }
  if (!nodes.contains(root)) throw instance_not_found(root);
  for (const auto& id : tree.all_ids) {  // breadth-first: children in the order the store gives them
    if (id == root || !nodes.contains(id)) continue;
    const auto& parent = nodes[id].info.parent_instance_id;
    if (parent && nodes.contains(*parent)) nodes[*parent].children.push_back(id);
  }
  if (options.json) {
    print_json(context.out, tree_json(nodes, root));
    return ExitCode::Ok;
  }
  print_tree(context.out, nodes, root, "", "");
  return ExitCode::Ok;
}

}  // namespace

void add_history_commands(CLI::App& app, Dispatch& dispatch) {
  auto history_options = std::make_shared<HistoryOptions>();
  auto* history = app.add_subcommand("history", "Print the history of an instance's execution");
  history->add_option("ID", history_options->instance, "Instance id")->required();
  auto* execution =
      history->add_option("--execution", history_options->execution, "Execution id (default: the current one)")
          ->check(positive_integer());
  history
      ->add_flag("--all-executions", history_options->all_executions,
                 "Every execution, in order (with --json: a fixture for offline replay)")
      ->excludes(execution);
  add_json_flag(history, history_options->json);
  dispatch.on(history, [history_options](CommandContext& context) { return run_history(context, *history_options); });

  auto tree_options = std::make_shared<TreeOptions>();
  auto* tree = app.add_subcommand("tree", "Print an instance and its sub-orchestrations, as a tree");
  tree->add_option("ID", tree_options->instance, "Instance id")->required();
  add_json_flag(tree, tree_options->json);
  dispatch.on(tree, [tree_options](CommandContext& context) { return run_tree(context, *tree_options); });
}

}  // namespace duroxide::cli
