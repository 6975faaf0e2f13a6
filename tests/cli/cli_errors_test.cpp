// The `duroxide` tool's exit codes and error lines: usage errors (2), stores it cannot open (3),
// unknown instances (1); the store URL from DUROXIDE_STORE; --help on every command.
#include <filesystem>
#include <fstream>

#include "cli_test_support.hpp"

namespace duroxide::cli_test {
namespace {

/// Checks a failed run: `code`, nothing on stdout, one line on stderr naming the problem.
void expect_failure(const CliRun& run, int code, const std::string& message) {
  EXPECT_EQ(run.exit_code, code) << describe(run);
  EXPECT_EQ(run.out, "") << describe(run);
  EXPECT_EQ(lines_of(run.err).size(), 1u) << describe(run);
  EXPECT_TRUE(run.err.starts_with("duroxide: ")) << describe(run);
  EXPECT_NE(run.err.find(message), std::string::npos) << "expected '" << message << "' in stderr\n" << describe(run);
}

using CliUsage = CliFixture;

TEST_F(CliUsage, ParseErrorsAndBadValuesExit2) {
  fails(2, "a command is required after 'duroxide': instances, history, tree, start, raise", {});
  fails(2, "unknown command 'frobnicate'", {"frobnicate"});
  fails(2, "a command is required after 'duroxide instances': list, show", {"instances"});
  fails(2, "unknown command 'frob' after 'duroxide instances'", {"instances", "frob"});
  fails(2, "EVENT", {"raise", "waiting-1"});
  fails(2, "see 'duroxide raise --help'", {"raise", "waiting-1"});
  fails(2, "--limit", {"instances", "list", "--limit", "abc"});
  fails(2, "not '1\\x1b[2J'", {"instances", "list", "--limit", "1\x1b[2J"});  // what was typed, escaped
  fails(2, "--limit", {"instances", "list", "--limit", "0"});
  fails(2, "--status", {"instances", "list", "--status", "Sleeping"});
  fails(2, "--limit must be at most 1000, not 1001", {"instances", "list", "--limit", "1001"});
  fails(2, "cursor is not one this store wrote", {"instances", "list", "--cursor", "no-such-cursor"});
  fails(2, "--created-from must be milliseconds since the epoch or a UTC time",
        {"instances", "list", "--created-from", "yesterday"});
  fails(2, "not '2026-02-30'", {"instances", "list", "--created-until", "2026-02-30"});  // no such day
  fails(2, "--keep-last", {"prune", "counter-1"});
  fails(2, "--keep-last", {"prune", "counter-1", "--keep-last", "0"});
  fails(2, "--timeout", {"wait", "done-1", "--timeout", "-1"});
  fails(2, "--timeout", {"wait", "done-1", "--timeout", "soon"});
  fails(2, "--execution", {"history", "done-1", "--execution", "0"});
  fails(2, "extra", {"tree", "parent-1", "extra"});
}

TEST_F(CliUsage, NoStoreIsAUsageErrorNamingTheEnvironmentVariable) {
  expect_failure(run_cli(scratch(), {"instances", "list"}), 2, "pass --store URL or set DUROXIDE_STORE");
  expect_failure(run_cli(scratch(), {"metrics"}, std::string("")), 2, "DUROXIDE_STORE");
  expect_failure(run_cli(scratch(), {"--store", "mysql://db/x", "metrics"}), 2, "unsupported store URL 'mysql://db/x'");
}

TEST_F(CliUsage, StoreUrlFromTheEnvironment) {
  const auto run = run_cli(scratch(), {"instances", "show", "done-1", "--json"}, url());
  ASSERT_EQ(run.exit_code, 0) << describe(run);
  EXPECT_EQ(parse_json(run).at("output"), "Hello, World!");
  // --store wins over the environment, before or after the command.
  const auto bogus = "sqlite:" + (scratch() / "no-such.db").string();
  const auto before = run_cli(scratch(), {"--store", url(), "instances", "show", "done-1"}, bogus);
  EXPECT_EQ(before.exit_code, 0) << describe(before);
  const auto after = run_cli(scratch(), {"instances", "show", "done-1", "--store", url()}, bogus);
  EXPECT_EQ(after.exit_code, 0) << describe(after);
  expect_failure(run_cli(scratch(), {"instances", "show", "done-1"}, bogus), 3, "no-such.db");
}

TEST_F(CliUsage, HelpOnEveryCommand) {
  const std::vector<std::vector<std::string>> commands{{},
                                                       {"instances"},
                                                       {"instances", "list"},
                                                       {"instances", "show"},
                                                       {"history"},
                                                       {"tree"},
                                                       {"raise"},
                                                       {"enqueue"},
                                                       {"cancel"},
                                                       {"delete"},
                                                       {"prune"},
                                                       {"metrics"},
                                                       {"queues"},
                                                       {"start"},
                                                       {"wait"}};
  for (const auto& command : commands) {
    auto args = command;
    args.push_back("--help");
    const auto run = run_cli(scratch(), args);  // no store needed for help
    std::string name = "duroxide";
    for (const auto& word : command) name += " " + word;
    EXPECT_EQ(run.exit_code, 0) << name << "\n" << describe(run);
    EXPECT_EQ(run.err, "") << name;
    EXPECT_NE(run.out.find("Usage: "), std::string::npos) << name << "\n" << run.out;
    EXPECT_NE(run.out.find(command.empty() ? "duroxide" : command.back()), std::string::npos) << name;
    if (!command.empty() && command != std::vector<std::string>{"instances"}) {
      EXPECT_NE(run.out.find("--json"), std::string::npos) << name << " has no --json\n" << run.out;
    }
  }
  const auto top = run_cli(scratch(), {"--help"});
  for (const char* word : {"instances", "history", "tree", "raise", "enqueue", "cancel", "terminate", "delete", "prune",
                           "metrics", "queues", "start", "wait", "--store", "DUROXIDE_STORE", "Exit codes"}) {
    EXPECT_NE(top.out.find(word), std::string::npos) << word << "\n" << top.out;
  }
  const auto version = run_cli(scratch(), {"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_FALSE(version.out.empty());
}

using CliStoreErrors = CliFixture;

TEST_F(CliStoreErrors, StoresThatCannotBeOpenedExit3) {
  const auto missing = scratch() / "missing.db";
  expect_failure(run_cli(scratch(), {"--store", "sqlite:" + missing.string(), "instances", "list"}), 3,
                 "cannot open store");
  EXPECT_FALSE(std::filesystem::exists(missing)) << "the tool must not create a store";
  expect_failure(run_cli(scratch(), {"--store", "sqlite:/nonexistent-duroxide-dir/x.db", "metrics"}), 3,
                 "/nonexistent-duroxide-dir/x.db");
  // A directory, and a file that is not a database.
  expect_failure(run_cli(scratch(), {"--store", "sqlite:" + scratch().string(), "metrics"}), 3, "cannot open store");
  const auto garbage = scratch() / "garbage.db";
  std::ofstream(garbage) << std::string(8192, 'x');
  const auto run = run_cli(scratch(), {"--store", "sqlite:" + garbage.string(), "instances", "list"});
  expect_failure(run, 3, "garbage.db");
}

TEST_F(CliStoreErrors, PasswordsAreNotPrinted) {
  // Nothing listens on port 1: the store cannot be opened, and the message hides the password.
  const auto run = run_cli(scratch(), {"--store", "postgres://app:s3cret@127.0.0.1:1/db?connect_timeout=1", "metrics"});
  expect_failure(run, 3, "cannot open store 'postgres://app:***@127.0.0.1:1/db?connect_timeout=1'");
  EXPECT_EQ(run.err.find("s3cret"), std::string::npos) << run.err;
}

using CliNotFound = CliFixture;

TEST_F(CliNotFound, UnknownInstanceExits1OnEveryInstanceCommand) {
  const std::vector<std::vector<std::string>> commands{{"instances", "show", "nope"},
                                                       {"instances", "show", "nope", "--json"},
                                                       {"history", "nope"},
                                                       {"history", "nope", "--json"},
                                                       {"tree", "nope"},
                                                       {"raise", "nope", "E", "d"},
                                                       {"enqueue", "nope", "Q", "d"},
                                                       {"cancel", "nope"},
                                                       {"delete", "nope"},
                                                       {"delete", "nope", "--force"},
                                                       {"prune", "nope", "--keep-last", "1"},
                                                       {"wait", "nope", "--timeout", "0"}};
  for (const auto& command : commands) {
    std::vector<std::string> args{"--store", url()};
    args.insert(args.end(), command.begin(), command.end());
    const auto run = run_cli(scratch(), args);
    std::string name;
    for (const auto& word : command) name += word + " ";
    SCOPED_TRACE(name);
    expect_failure(run, 1, "instance 'nope' not found");
  }
}

TEST_F(CliNotFound, ControlCharactersInAnIdAreEscapedInTheMessage) {
  const auto run = cli({"instances", "show", "evil\nid\x1b[2J"});
  expect_failure(run, 1, "instance 'evil\\nid\\x1b[2J' not found");
}

}  // namespace
}  // namespace duroxide::cli_test
