// The CLI suite's set-up: a SQLite store file with known instances, written through the public
// API by a runtime that is then shut down, and a runner for the built `duroxide` binary that
// captures its stdout, stderr and exit code. Waits are on conditions (instance states, the
// child's exit), never sleeps; the long timeouts only stop a hung test.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <duroxide/duroxide.hpp>

#include "support/sample_orchestrations.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

namespace duroxide::cli_test {

using namespace std::chrono_literals;
using testing::TempDir;

/// Stops a hung test; not a performance bound.
inline constexpr std::chrono::milliseconds kHangGuard = 120s;

/// The values the prepared store's kv-1 instance holds: control characters, a backslash, and
/// UTF-8 beyond ASCII, which the human output must escape (the controls) or keep (the rest).
inline const std::string kTrickyOutput = "line1\nline2 \u2713 \u65e5\u672c\t\x1b[31mred\\end";
inline const std::string kTrickyKv = "caf\u00e9 \u00e0 la carte\r\n\x07";
inline const std::string kTrickyCustomStatus = "step 2 of 3\nnext: ship";
/// Instance ids that a table must not let break its lines or its columns.
inline const std::string kWideId = "\u6ce8\u6587-1";  // two East Asian wide characters: 6 columns, 8 bytes
inline const std::string kOddId = "odd\tid\n1";

// ---- the orchestrations of the prepared store ----

using testing::samples::approval;
using testing::samples::failing;
using testing::samples::hello;

inline Task<Result<std::string>> inbox(OrchestrationContext ctx, std::string) {
  ctx.set_custom_status("listening");
  auto message = co_await ctx.dequeue_event("inbox");
  co_return "got: " + message;
}

inline Task<Result<std::string>> child(OrchestrationContext, std::string input) { co_return "child " + input; }

inline Task<Result<std::string>> parent(OrchestrationContext ctx, std::string input) {
  auto result = co_await ctx.schedule_sub_orchestration_with_id("Child", "parent-1-child", input);
  if (!result) co_return Err(result.error());
  co_return "parent saw " + *result;
}

inline Task<Result<std::string>> profile(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("tricky", kTrickyKv);
  ctx.set_kv_value("plain", "42");
  ctx.set_custom_status(kTrickyCustomStatus);
  co_return kTrickyOutput;
}

inline Task<Result<std::string>> counter(OrchestrationContext ctx, std::string input) {
  const int n = std::stoi(input);
  if (n < 2) co_await ctx.continue_as_new(std::to_string(n + 1));
  co_return "counted to " + input;
}

inline ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Greet", [](ActivityContext&, std::string name) -> Result<std::string> { return "Hello, " + name + "!"; })
      .add("Reserve", [](ActivityContext&, std::string) -> Result<std::string> { return Err("out of stock"); })
      .build();
}

inline OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add("Hello", hello)
      .add("Failing", failing)
      .add("Approval", approval)
      .add("Inbox", inbox)
      .add("Parent", parent)
      .add("Child", child)
      .add("Profile", profile)
      .add("Counter", counter)
      .build();
}

inline RuntimeOptions fast_options() {
  RuntimeOptions options;
  options.dispatcher_min_poll_interval = std::chrono::milliseconds(10);
  return options;
}

inline std::shared_ptr<Provider> open_file_store(const std::string& url) {
  auto store = open_store(url);
  if (!store) throw std::runtime_error(store.error().to_string());
  return *store;
}

/// A runtime over the store at `url` for the scope of the object (the CLI runs beside it).
class RunningRuntime {
 public:
  explicit RunningRuntime(const std::string& url)
      : store_(open_file_store(url)),
        runtime_(Runtime::start(store_, activities(), orchestrations(), fast_options())) {}
  ~RunningRuntime() { runtime_->shutdown(5s); }
  RunningRuntime(const RunningRuntime&) = delete;
  RunningRuntime& operator=(const RunningRuntime&) = delete;

  /// The instance's final status (a test failure on an error or a hang).
  OrchestrationStatus wait_finished(const std::string& instance) {
    auto status = Client(store_).wait_for_orchestration(instance, kHangGuard);
    if (!status) {
      ADD_FAILURE() << "waiting for " << instance << ": " << status.error().to_string();
      return OrchestrationStatus{status::NotFound{}};
    }
    return *status;
  }
  /// Waits until the instance's status is called `name` (a test failure after kHangGuard).
  void wait_status(const std::string& instance, std::string_view name) {
    const auto deadline = std::chrono::steady_clock::now() + kHangGuard;
    for (;;) {
      auto status = Client(store_).get_orchestration_status(instance);
      if (status && status->name() == name) return;
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << instance << " never became " << name;
        return;
      }
      std::this_thread::sleep_for(5ms);
    }
  }
  Client client() const { return Client(store_); }

 private:
  std::shared_ptr<Provider> store_;
  std::shared_ptr<Runtime> runtime_;
};

/// Writes the known instances into a new SQLite file and closes it:
///   done-1         Hello, Completed with "Hello, World!"
///   failed-1       Failing, Failed (its activity returned "out of stock")
///   waiting-1      Approval, Running: waits for the event "Approve"; custom status, KV "stage"
///   inbox-1        Inbox, Running: waits for a message on queue "inbox"
///   parent-1       Parent, Completed, with the sub-orchestration parent-1-child (Child)
///   kv-1           Profile, Completed: output, KV and custom status with control characters
///   counter-1      Counter, Completed after two continue-as-new: executions 1, 2, 3
///   kWideId        Hello, Completed (an id of wide characters)
///   kOddId         Hello, Completed (an id with a tab and a newline)
inline void prepare_store(const std::string& url) {
  RunningRuntime runtime(url);
  auto client = runtime.client();
  const auto start = [&](const std::string& id, const char* name, const char* input) {
    auto started = client.start_orchestration(id, name, input);
    if (!started) throw std::runtime_error(started.error().to_string());
  };
  const auto expect_final = [&](const std::string& id, bool completed) {
    const auto status = runtime.wait_finished(id);
    if (completed ? !status.is_completed() : !status.is_failed()) {
      throw std::runtime_error(fmt::format("prepare_store: {} ended {}", id, status.name()));
    }
  };
  // Running instances are ready once their first turn committed: it sets the custom status in the
  // same commit as the subscription.
  const auto expect_waiting = [&](const char* id) {
    auto status = client.wait_for_status_change(id, 0, 10ms, kHangGuard);
    if (!status || !status->is_running()) throw std::runtime_error(fmt::format("prepare_store: {} is not waiting", id));
  };
  start("done-1", "Hello", "World");
  expect_final("done-1", true);
  start("failed-1", "Failing", "widget");
  expect_final("failed-1", false);
  start("waiting-1", "Approval", "order 7");
  expect_waiting("waiting-1");
  start("inbox-1", "Inbox", "");
  expect_waiting("inbox-1");
  start("parent-1", "Parent", "p");
  expect_final("parent-1", true);
  start("kv-1", "Profile", "");
  expect_final("kv-1", true);
  start("counter-1", "Counter", "0");
  expect_final("counter-1", true);
  start(kWideId, "Hello", "Welt");
  expect_final(kWideId, true);
  start(kOddId, "Hello", "odd");
  expect_final(kOddId, true);
}

/// What one run of the tool gave.
struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Runs the built `duroxide` with `args`. DUROXIDE_STORE is removed from its environment, then set
/// to `store_env` when given. stdout and stderr go to files in `scratch` (no pipe to drain).
inline CliRun run_cli(const std::filesystem::path& scratch, const std::vector<std::string>& args,
                      const std::optional<std::string>& store_env = std::nullopt) {
  static std::atomic<int> counter{0};
  const int n = counter++;
  const auto out_path = scratch / fmt::format("cli-{}.out", n);
  const auto err_path = scratch / fmt::format("cli-{}.err", n);

  std::vector<std::string> argv_text{DUROXIDE_CLI_BINARY};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_text;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (std::string_view(*entry).starts_with("DUROXIDE_STORE=")) continue;
    env_text.emplace_back(*entry);
  }
  if (store_env) env_text.push_back("DUROXIDE_STORE=" + *store_env);
  std::vector<char*> envp;
  for (auto& entry : env_text) envp.push_back(entry.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) throw std::runtime_error(fmt::format("cannot run {}: error {}", argv[0], spawned));

  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  }
  CliRun run;
  run.out = read_file(out_path);
  run.err = read_file(err_path);
  if (WIFEXITED(wait_status)) {
    run.exit_code = WEXITSTATUS(wait_status);
  } else {
    ADD_FAILURE() << "duroxide ended by signal " << WTERMSIG(wait_status) << "; stderr: " << run.err;
  }
  return run;
}

/// For failure messages: the whole run.
inline std::string describe(const CliRun& run) {
  return fmt::format("exit {}\n--- stdout ---\n{}--- stderr ---\n{}", run.exit_code, run.out, run.err);
}

/// stdout as one JSON document (a test failure and null when it is not one).
inline nlohmann::json parse_json(const CliRun& run) {
  try {
    return nlohmann::json::parse(run.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "stdout is not one JSON document (" << e.what() << "):\n" << describe(run);
    return nullptr;
  }
}

/// The lines of `text`.
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/// A prepared store in a temporary directory, and the tool run against it with --store.
class CliFixture : public ::testing::Test {
 protected:
  void SetUp() override { prepare_store(url()); }

  std::string url() const { return "sqlite:" + (dir_.path() / "store.db").string(); }
  const std::filesystem::path& scratch() const { return dir_.path(); }

  /// `duroxide --store URL args...`
  CliRun cli(const std::vector<std::string>& args) const {
    std::vector<std::string> all{"--store", url()};
    all.insert(all.end(), args.begin(), args.end());
    return run_cli(scratch(), all);
  }
  CliRun cli(std::initializer_list<std::string> args) const { return cli(std::vector<std::string>(args)); }

  /// Runs a command that must succeed with nothing on stderr; returns the run.
  CliRun ok(std::initializer_list<std::string> args) const { return ok(std::vector<std::string>(args)); }
  CliRun ok(const std::vector<std::string>& args) const {
    auto run = cli(args);
    EXPECT_EQ(run.exit_code, 0) << describe(run);
    EXPECT_EQ(run.err, "") << describe(run);
    return run;
  }

  /// Runs a command that must fail with `code` and one line on stderr containing `message`.
  CliRun fails(int code, const std::string& message, std::initializer_list<std::string> args) const {
    auto run = cli(args);
    EXPECT_EQ(run.exit_code, code) << describe(run);
    EXPECT_EQ(run.out, "") << describe(run);
    EXPECT_EQ(lines_of(run.err).size(), 1u) << describe(run);
    EXPECT_TRUE(run.err.starts_with("duroxide: ")) << describe(run);
    EXPECT_NE(run.err.find(message), std::string::npos) << "expected '" << message << "' in stderr\n" << describe(run);
    return run;
  }

 private:
  TempDir dir_;
};

}  // namespace duroxide::cli_test
