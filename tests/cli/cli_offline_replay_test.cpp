// `duroxide history ID --json` as the export of offline replay (docs/offline-replay.md): what the
// tool prints is a fixture load_history_file reads and replay_history replays.
#include <fstream>

#include <duroxide/offline_replay.hpp>

#include "cli_test_support.hpp"

namespace duroxide::cli_test {
namespace {

using nlohmann::json;

class CliOfflineReplay : public CliFixture {
 protected:
  /// `duroxide history args... --json` saved to a file in the scratch dir, loaded back.
  std::vector<Event> exported(const std::vector<std::string>& args) const {
    std::vector<std::string> all{"history"};
    all.insert(all.end(), args.begin(), args.end());
    all.emplace_back("--json");
    const auto run = ok(all);
    const auto path = scratch() / (args.front() + "-" + args.back() + ".json");
    std::ofstream(path) << run.out;
    auto history = load_history_file(path);
    EXPECT_TRUE(history.has_value()) << history.error();
    return history.value_or(std::vector<Event>{});
  }
};

TEST_F(CliOfflineReplay, TheExportedHistoryReplaysAgainstTheCodeThatWroteIt) {
  for (const auto* id : {"done-1", "failed-1", "waiting-1", "parent-1", "kv-1"}) {
    SCOPED_TRACE(id);
    const auto history = exported({id});
    ASSERT_FALSE(history.empty());
    const auto report = replay_history(orchestrations(), history);
    EXPECT_TRUE(report.ok()) << report.to_string();
  }
  // Each execution of a continued instance on its own.
  for (const auto* execution : {"1", "2", "3"}) {
    const auto history = exported({"counter-1", "--execution", execution});
    EXPECT_TRUE(replay_history(orchestrations(), history).ok()) << execution;
  }
}

TEST_F(CliOfflineReplay, AllExecutionsExportAsOneFixture) {
  const auto run = ok({"history", "counter-1", "--all-executions", "--json"});
  const auto doc = parse_json(run);
  EXPECT_TRUE(doc.at("execution_id").is_null());
  EXPECT_EQ(doc.at("executions"), json::array({1, 2, 3}));
  const auto history = exported({"counter-1", "--all-executions"});
  ASSERT_FALSE(history.empty());
  EXPECT_EQ(history.front().execution_id, 1u);
  EXPECT_EQ(history.back().execution_id, 3u);
  const auto report = replay_history(orchestrations(), history);
  EXPECT_TRUE(report.ok()) << report.to_string();
  EXPECT_EQ(report.executions, 3u);

  // The human form: one table per execution.
  const auto text = ok({"history", "counter-1", "--all-executions"}).out;
  EXPECT_NE(text.find("instance 'counter-1', execution 1 (executions: 1, 2, 3)"), std::string::npos) << text;
  EXPECT_NE(text.find("instance 'counter-1', execution 3 (executions: 1, 2, 3)"), std::string::npos) << text;
  // One execution or all, not both.
  const auto both = cli({"history", "counter-1", "--all-executions", "--execution", "2"});
  EXPECT_NE(both.exit_code, 0) << describe(both);
  EXPECT_NE(both.err.find("excludes"), std::string::npos) << describe(both);
}

TEST_F(CliOfflineReplay, TheExportedHistoryNamesTheFirstStepChangedCodeTakesOtherwise) {
  const auto history = exported({"done-1"});
  const auto changed = OrchestrationRegistry::builder()
                           .add("Hello",
                                [](OrchestrationContext ctx, std::string name) -> Task<Result<std::string>> {
                                  co_return *co_await ctx.schedule_activity("Welcome", name);
                                })
                           .build();
  const auto report = replay_history(changed, history);
  ASSERT_TRUE(report.mismatch) << report.to_string();
  EXPECT_EQ(report.mismatch->event_id, 2u);
  EXPECT_NE(report.mismatch->recorded.find("Greet"), std::string::npos) << report.mismatch->recorded;
  EXPECT_NE(report.mismatch->emitted.find("Welcome"), std::string::npos) << report.mismatch->emitted;
}

}  // namespace
}  // namespace duroxide::cli_test
