// The `duroxide` tool's reading commands against a prepared store: instances list and show,
// history, tree, metrics, queues; human and JSON forms; values printed exactly.
#include <algorithm>
#include <map>
#include <set>

#include "cli_test_support.hpp"

namespace duroxide::cli_test {
namespace {

using nlohmann::json;

/// Every instance of the prepared store (a function: kWideId and kOddId are other globals).
std::set<std::string> all_instances() {
  return {"done-1",         "failed-1", "waiting-1", "inbox-1", "parent-1",
          "parent-1-child", "kv-1",     "counter-1", kWideId,   kOddId};
}

std::map<std::string, json> by_id(const json& instances) {
  std::map<std::string, json> out;
  for (const auto& instance : instances) out[instance.at("instance_id").get<std::string>()] = instance;
  return out;
}

std::set<std::string> ids_of(const CliRun& run) {
  std::set<std::string> ids;
  for (const auto& [id, row] : by_id(parse_json(run).at("instances"))) ids.insert(id);
  return ids;
}

/// The line of `text` that starts with `prefix` ("" when none).
std::string line_starting(const std::string& text, const std::string& prefix) {
  for (const auto& line : lines_of(text)) {
    if (line.starts_with(prefix)) return line;
  }
  return "";
}

using CliList = CliFixture;

TEST_F(CliList, HumanTableHasAHeaderAndOneAlignedRowPerInstance) {
  const auto run = ok({"instances", "list"});
  const auto lines = lines_of(run.out);
  ASSERT_EQ(lines.size(), 1 + all_instances().size()) << describe(run);
  EXPECT_TRUE(lines[0].starts_with("INSTANCE")) << lines[0];
  for (const char* column : {"NAME", "VERSION", "STATUS", "EXECUTION", "CREATED", "UPDATED", "PARENT"}) {
    EXPECT_NE(lines[0].find(column), std::string::npos) << column;
  }
  // Columns line up: every row has its STATUS cell at the header's STATUS offset.
  const auto status_at = lines[0].find("STATUS");
  std::set<std::string> seen;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    seen.insert(lines[i].substr(0, lines[i].find(' ')));
    if (lines[i].starts_with(kWideId)) continue;  // checked below, by display width
    const auto status = lines[i].substr(status_at, lines[i].find(' ', status_at) - status_at);
    EXPECT_TRUE(status == "Completed" || status == "Failed" || status == "Running") << lines[i];
  }
  // The odd id is escaped, so its row stays one line.
  auto expected = all_instances();
  expected.erase(kOddId);
  expected.insert("odd\\tid\\n1");
  EXPECT_EQ(seen, expected);
  // Columns are aligned by display width: the wide id takes 6 columns (8 bytes), padded to the
  // widest id (parent-1-child, 14) plus two spaces.
  EXPECT_TRUE(line_starting(run.out, kWideId).starts_with(kWideId + std::string(10, ' ') + "Hello "))
      << line_starting(run.out, kWideId);
  const auto done = line_starting(run.out, "done-1 ");
  EXPECT_NE(done.find(" Hello "), std::string::npos) << done;
  EXPECT_NE(done.find(" Completed "), std::string::npos) << done;
  const auto child = line_starting(run.out, "parent-1-child ");
  EXPECT_TRUE(child.ends_with(" parent-1")) << child;  // the PARENT column
  const auto counter = line_starting(run.out, "counter-1 ");
  EXPECT_NE(counter.find(" 3 "), std::string::npos) << "current execution 3: " << counter;
}

TEST_F(CliList, JsonListsEveryInstanceWithItsInfo) {
  const auto run = ok({"instances", "list", "--json"});
  const auto doc = parse_json(run);
  ASSERT_TRUE(doc.is_object()) << describe(run);
  const auto rows = by_id(doc.at("instances"));
  ASSERT_EQ(rows.size(), all_instances().size()) << describe(run);
  const auto& done = rows.at("done-1");
  EXPECT_EQ(done.at("orchestration_name"), "Hello");
  EXPECT_EQ(done.at("status"), "Completed");
  EXPECT_EQ(done.at("output"), "Hello, World!");
  EXPECT_EQ(done.at("current_execution_id"), 1);
  EXPECT_GT(done.at("created_at_ms").get<std::uint64_t>(), 0u);
  EXPECT_TRUE(done.at("parent_instance_id").is_null());
  EXPECT_EQ(rows.at("failed-1").at("status"), "Failed");
  EXPECT_EQ(rows.at("waiting-1").at("status"), "Running");
  EXPECT_EQ(rows.at("parent-1-child").at("parent_instance_id"), "parent-1");
  EXPECT_EQ(rows.at("counter-1").at("current_execution_id"), 3);
  EXPECT_EQ(rows.at("kv-1").at("output"), kTrickyOutput);
  EXPECT_EQ(rows.at(kOddId).at("output"), "Hello, odd!");
  EXPECT_EQ(rows.at(kWideId).at("output"), "Hello, Welt!");
}

TEST_F(CliList, FiltersOnStatusNameAndLimit) {
  EXPECT_EQ(ids_of(ok({"instances", "list", "--status", "Failed", "--json"})), std::set<std::string>{"failed-1"});
  // Status words are accepted in any case.
  EXPECT_EQ(ids_of(ok({"instances", "list", "--status", "running", "--json"})),
            (std::set<std::string>{"waiting-1", "inbox-1"}));
  EXPECT_EQ(ids_of(ok({"instances", "list", "--name", "Child", "--json"})), std::set<std::string>{"parent-1-child"});
  EXPECT_EQ(ids_of(ok({"instances", "list", "--status", "Completed", "--name", "Hello", "--json"})),
            (std::set<std::string>{"done-1", kWideId, kOddId}));
  EXPECT_TRUE(ids_of(ok({"instances", "list", "--status", "Failed", "--name", "Hello", "--json"})).empty());
  EXPECT_TRUE(ids_of(ok({"instances", "list", "--name", "NoSuchOrchestration", "--json"})).empty());
  const auto limited = ids_of(ok({"instances", "list", "--limit", "2", "--json"}));
  EXPECT_EQ(limited.size(), 2u);
  const auto all = all_instances();
  EXPECT_TRUE(std::includes(all.begin(), all.end(), limited.begin(), limited.end()));
  // The limit applies after the filter: two Completed instances, not two instances filtered.
  const auto completed =
      by_id(parse_json(ok({"instances", "list", "--status", "Completed", "--limit", "2", "--json"})).at("instances"));
  ASSERT_EQ(completed.size(), 2u);
  for (const auto& [id, row] : completed) EXPECT_EQ(row.at("status"), "Completed") << id;
  EXPECT_EQ(ok({"instances", "list", "--name", "NoSuchOrchestration"}).out, "no instances\n");
}

TEST_F(CliList, PagesFollowTheirCursorUntilEveryInstanceIsListedOnce) {
  std::vector<std::string> seen;
  std::vector<std::string> args = {"instances", "list", "--limit", "3", "--json"};
  for (int pages = 1;; ++pages) {
    ASSERT_LE(pages, 4) << "10 instances in pages of 3";
    const auto doc = parse_json(ok(args));
    const auto& rows = doc.at("instances");
    for (const auto& row : rows) seen.push_back(row.at("instance_id").get<std::string>());
    if (doc.at("next_cursor").is_null()) {
      EXPECT_EQ(pages, 4);
      break;
    }
    EXPECT_EQ(rows.size(), 3u);
    args = {"instances", "list", "--limit", "3", "--json", "--cursor", doc.at("next_cursor").get<std::string>()};
  }
  EXPECT_EQ(seen.size(), all_instances().size()) << "no instance twice";
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), all_instances());
  // --all follows the cursors itself; the human form says where the next page starts.
  const auto everything = parse_json(ok({"instances", "list", "--all", "--json"}));
  EXPECT_EQ(ids_of(ok({"instances", "list", "--all", "--json"})), all_instances());
  EXPECT_TRUE(everything.at("next_cursor").is_null());
  const auto human = ok({"instances", "list", "--limit", "2"});
  const auto lines = lines_of(human.out);
  ASSERT_EQ(lines.size(), 4u) << human.out;  // header, two rows, the hint
  EXPECT_TRUE(lines[3].starts_with("more: --cursor '")) << lines[3];
}

TEST_F(CliList, FiltersOnCreationTime) {
  EXPECT_EQ(ids_of(ok({"instances", "list", "--created-from", "0", "--json"})), all_instances());
  EXPECT_EQ(ids_of(ok({"instances", "list", "--created-from", "2020-01-01", "--json"})), all_instances());
  EXPECT_TRUE(ids_of(ok({"instances", "list", "--created-from", "2999-01-01T00:00:00Z", "--json"})).empty());
  EXPECT_TRUE(ids_of(ok({"instances", "list", "--created-until", "1970-01-02T00:00:00.000Z", "--json"})).empty());
  // The bounds are the instance's own creation time, as the tool prints it: [from, until).
  const auto done = by_id(parse_json(ok({"instances", "list", "--json"})).at("instances")).at("done-1");
  const auto created = std::to_string(done.at("created_at_ms").get<std::uint64_t>());
  const auto created_plus_one = std::to_string(done.at("created_at_ms").get<std::uint64_t>() + 1);
  EXPECT_TRUE(
      ids_of(ok({"instances", "list", "--created-from", created, "--created-until", created_plus_one, "--json"}))
          .contains("done-1"));
  EXPECT_FALSE(ids_of(ok({"instances", "list", "--created-until", created, "--json"})).contains("done-1"));
}

using CliShow = CliFixture;

TEST_F(CliShow, CompletedInstanceHuman) {
  const auto run = ok({"instances", "show", "done-1"});
  EXPECT_EQ(line_starting(run.out, "instance:"), "instance:       done-1") << run.out;
  EXPECT_NE(line_starting(run.out, "name:").find("Hello"), std::string::npos) << run.out;
  EXPECT_NE(line_starting(run.out, "version:").find("1.0.0"), std::string::npos) << run.out;
  EXPECT_NE(line_starting(run.out, "status:").find("Completed"), std::string::npos) << run.out;
  EXPECT_TRUE(line_starting(run.out, "input:").ends_with("\"World\"")) << run.out;
  EXPECT_TRUE(line_starting(run.out, "output:").ends_with("\"Hello, World!\"")) << run.out;
  EXPECT_NE(line_starting(run.out, "created:").find("Z"), std::string::npos) << run.out;
  EXPECT_EQ(line_starting(run.out, "error:"), "") << run.out;
}

TEST_F(CliShow, CompletedInstanceJson) {
  const auto doc = parse_json(ok({"instances", "show", "done-1", "--json"}));
  EXPECT_EQ(doc.at("instance_id"), "done-1");
  EXPECT_EQ(doc.at("orchestration_name"), "Hello");
  EXPECT_EQ(doc.at("orchestration_version"), "1.0.0");
  EXPECT_EQ(doc.at("status"), "Completed");
  EXPECT_EQ(doc.at("input"), "World");
  EXPECT_EQ(doc.at("output"), "Hello, World!");
  EXPECT_TRUE(doc.at("error").is_null());
  EXPECT_EQ(doc.at("executions"), json::array({1}));
  EXPECT_GE(doc.at("updated_at_ms").get<std::uint64_t>(), doc.at("created_at_ms").get<std::uint64_t>());
  EXPECT_TRUE(doc.at("custom_status").is_null());
  EXPECT_EQ(doc.at("kv"), json::object());
}

TEST_F(CliShow, FailedInstanceShowsItsError) {
  const auto run = ok({"instances", "show", "failed-1"});
  EXPECT_NE(line_starting(run.out, "status:").find("Failed"), std::string::npos) << run.out;
  const auto error = line_starting(run.out, "error:");
  EXPECT_NE(error.find("out of stock"), std::string::npos) << run.out;
  EXPECT_NE(error.find("(application)"), std::string::npos) << run.out;
  EXPECT_EQ(line_starting(run.out, "output:"), "") << run.out;

  const auto doc = parse_json(ok({"instances", "show", "failed-1", "--json"}));
  EXPECT_EQ(doc.at("status"), "Failed");
  EXPECT_TRUE(doc.at("output").is_null());
  EXPECT_EQ(doc.at("error").at("category"), "application");
  EXPECT_NE(doc.at("error").at("message").get<std::string>().find("out of stock"), std::string::npos);
  EXPECT_FALSE(doc.at("error").at("retryable").get<bool>());
  EXPECT_TRUE(doc.at("error").at("details").is_object());
}

TEST_F(CliShow, RunningInstanceShowsCustomStatusAndKv) {
  const auto run = ok({"instances", "show", "waiting-1"});
  EXPECT_NE(line_starting(run.out, "status:").find("Running"), std::string::npos) << run.out;
  EXPECT_TRUE(line_starting(run.out, "custom status:").ends_with("\"awaiting approval\" (version 1)")) << run.out;
  EXPECT_TRUE(line_starting(run.out, "kv:").ends_with("1 key")) << run.out;
  EXPECT_NE(run.out.find("\n  \"stage\" = \"waiting\"\n"), std::string::npos) << run.out;

  const auto doc = parse_json(ok({"instances", "show", "waiting-1", "--json"}));
  EXPECT_EQ(doc.at("status"), "Running");
  EXPECT_EQ(doc.at("custom_status"), "awaiting approval");
  EXPECT_EQ(doc.at("custom_status_version"), 1);
  EXPECT_EQ(doc.at("kv"), (json{{"stage", "waiting"}}));
  EXPECT_EQ(doc.at("input"), "order 7");
  EXPECT_TRUE(doc.at("output").is_null());
}

TEST_F(CliShow, ValuesArePrintedExactlyWithControlCharactersEscapedInHumanOutput) {
  const auto run = ok({"instances", "show", "kv-1"});
  // No raw control character reaches the terminal: every line is one field or one KV entry.
  for (const char control : {'\x1b', '\t', '\r', '\x07'}) {
    EXPECT_EQ(run.out.find(control), std::string::npos) << "raw control " << int(control) << " in:\n" << run.out;
  }
  EXPECT_TRUE(
      line_starting(run.out, "output:").ends_with("\"line1\\nline2 \u2713 \u65e5\u672c\\t\\x1b[31mred\\\\end\""))
      << run.out;
  EXPECT_TRUE(line_starting(run.out, "custom status:").ends_with("\"step 2 of 3\\nnext: ship\" (version 1)"))
      << run.out;
  EXPECT_NE(run.out.find("\n  \"tricky\" = \"caf\u00e9 \u00e0 la carte\\r\\n\\x07\"\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\n  \"plain\" = \"42\"\n"), std::string::npos) << run.out;

  // JSON carries the exact values.
  const auto doc = parse_json(ok({"instances", "show", "kv-1", "--json"}));
  EXPECT_EQ(doc.at("output"), kTrickyOutput);
  EXPECT_EQ(doc.at("custom_status"), kTrickyCustomStatus);
  EXPECT_EQ(doc.at("kv"), (json{{"plain", "42"}, {"tricky", kTrickyKv}}));
}

using CliHistory = CliFixture;

TEST_F(CliHistory, HumanTableOfTheCurrentExecution) {
  const auto run = ok({"history", "done-1"});
  const auto lines = lines_of(run.out);
  ASSERT_GE(lines.size(), 6u) << run.out;
  EXPECT_EQ(lines[0], "instance 'done-1', execution 1 (executions: 1), 4 events") << run.out;
  EXPECT_TRUE(lines[1].starts_with("ID")) << lines[1];
  EXPECT_NE(lines[1].find("DETAILS"), std::string::npos) << lines[1];
  ASSERT_EQ(lines.size(), 6u) << run.out;
  EXPECT_NE(lines[2].find("OrchestrationStarted"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("name=\"Hello\" version=\"1.0.0\" input=\"World\""), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find("ActivityScheduled"), std::string::npos) << lines[3];
  EXPECT_NE(lines[3].find("name=\"Greet\" input=\"World\""), std::string::npos) << lines[3];
  EXPECT_NE(lines[4].find("ActivityCompleted"), std::string::npos) << lines[4];
  EXPECT_NE(lines[4].find("result=\"Hello, World!\""), std::string::npos) << lines[4];
  EXPECT_NE(lines[5].find("OrchestrationCompleted"), std::string::npos) << lines[5];
  EXPECT_NE(lines[5].find("output=\"Hello, World!\""), std::string::npos) << lines[5];
}

TEST_F(CliHistory, JsonIsTheStoredWireFormat) {
  const auto doc = parse_json(ok({"history", "done-1", "--json"}));
  EXPECT_EQ(doc.at("instance_id"), "done-1");
  EXPECT_EQ(doc.at("execution_id"), 1);
  // The events, exactly as the client reads them, in duroxide's wire format.
  auto store = open_file_store(url());
  const auto events = Client(store).read_execution_history("done-1", 1).value();
  ASSERT_EQ(doc.at("events").size(), events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(doc.at("events")[i], json::parse(serialize_event(events[i]))) << i;
  }
}

TEST_F(CliHistory, ChoosesAnExecution) {
  const auto first = parse_json(ok({"history", "counter-1", "--execution", "1", "--json"}));
  EXPECT_EQ(first.at("execution_id"), 1);
  EXPECT_EQ(first.at("executions"), json::array({1, 2, 3}));
  ASSERT_FALSE(first.at("events").empty());
  for (const auto& event : first.at("events")) EXPECT_EQ(event.at("execution_id"), 1);
  EXPECT_EQ(first.at("events").back().at("type"), "OrchestrationContinuedAsNew") << first.at("events").back().dump();

  const auto current = parse_json(ok({"history", "counter-1", "--json"}));
  EXPECT_EQ(current.at("execution_id"), 3);
  EXPECT_EQ(current.at("events").back().at("type"), "OrchestrationCompleted") << current.at("events").back().dump();
  const auto human = ok({"history", "counter-1", "--execution", "2"});
  EXPECT_TRUE(human.out.starts_with("instance 'counter-1', execution 2 (executions: 1, 2, 3)")) << human.out;
  EXPECT_NE(human.out.find("OrchestrationContinuedAsNew"), std::string::npos) << human.out;

  fails(1, "execution 7 of instance 'counter-1' not found", {"history", "counter-1", "--execution", "7"});
}

TEST_F(CliHistory, EscapesControlCharactersInDetails) {
  const auto run = ok({"history", "kv-1"});
  EXPECT_EQ(run.out.find('\x1b'), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("key=\"tricky\" value=\"caf\u00e9 \u00e0 la carte\\r\\n\\x07\""), std::string::npos)
      << run.out;
  // One line per event, plus the title and the header.
  const auto doc = parse_json(ok({"history", "kv-1", "--json"}));
  EXPECT_EQ(lines_of(run.out).size(), doc.at("events").size() + 2) << run.out;
}

using CliTree = CliFixture;

TEST_F(CliTree, HumanTreeOfParentAndChild) {
  const auto run = ok({"tree", "parent-1"});
  const auto lines = lines_of(run.out);
  ASSERT_EQ(lines.size(), 2u) << run.out;
  EXPECT_EQ(lines[0], "parent-1  Parent 1.0.0  Completed");
  EXPECT_EQ(lines[1], "\u2514\u2500\u2500 parent-1-child  Child 1.0.0  Completed");
  EXPECT_EQ(lines_of(ok({"tree", "done-1"}).out), std::vector<std::string>{"done-1  Hello 1.0.0  Completed"});
}

TEST_F(CliTree, JsonNestsTheChildren) {
  const auto doc = parse_json(ok({"tree", "parent-1", "--json"}));
  EXPECT_EQ(doc.at("instance_id"), "parent-1");
  EXPECT_EQ(doc.at("status"), "Completed");
  ASSERT_EQ(doc.at("children").size(), 1u);
  const auto& child = doc.at("children")[0];
  EXPECT_EQ(child.at("instance_id"), "parent-1-child");
  EXPECT_EQ(child.at("orchestration_name"), "Child");
  EXPECT_EQ(child.at("parent_instance_id"), "parent-1");
  EXPECT_EQ(child.at("output"), "child p");
  EXPECT_EQ(child.at("children"), json::array());
}

using CliFigures = CliFixture;

TEST_F(CliFigures, MetricsMatchTheClient) {
  auto store = open_file_store(url());
  const auto expected = Client(store).get_system_metrics().value();
  store.reset();
  const auto doc = parse_json(ok({"metrics", "--json"}));
  EXPECT_EQ(doc.at("total_instances"), expected.total_instances);
  EXPECT_EQ(doc.at("total_instances"), all_instances().size());
  EXPECT_EQ(doc.at("total_executions"), expected.total_executions);
  EXPECT_EQ(doc.at("running_instances"), 2);
  EXPECT_EQ(doc.at("completed_instances"), expected.completed_instances);
  EXPECT_EQ(doc.at("failed_instances"), 1);
  EXPECT_EQ(doc.at("terminated_instances"), 0);
  EXPECT_EQ(doc.at("total_events"), expected.total_events);

  const auto human = ok({"metrics"});
  EXPECT_TRUE(human.out.starts_with("FIGURE")) << human.out;
  EXPECT_EQ(line_starting(human.out, "total_instances "),
            fmt::format("total_instances       {}", all_instances().size()))
      << human.out;
  EXPECT_EQ(line_starting(human.out, "failed_instances "), "failed_instances      1") << human.out;
}

TEST_F(CliFigures, QueueDepthsMatchTheClient) {
  // One message waits in the orchestrator queue: raised on the waiting instance with no runtime.
  ok({"raise", "waiting-1", "Approve", "later"});
  auto store = open_file_store(url());
  const auto expected = Client(store).get_queue_depths().value();
  store.reset();
  EXPECT_EQ(expected.orchestrator_queue, 1u);
  const auto doc = parse_json(ok({"queues", "--json"}));
  EXPECT_EQ(doc, (json{{"orchestrator_queue", expected.orchestrator_queue},
                       {"worker_queue", expected.worker_queue},
                       {"timer_queue", expected.timer_queue}}));
  const auto human = ok({"queues"});
  EXPECT_EQ(line_starting(human.out, "orchestrator_queue "), "orchestrator_queue  1") << human.out;
}

}  // namespace
}  // namespace duroxide::cli_test
