// `duroxide serve` (docs/cli.md, "serve"): the address and token rules as usage errors checked
// before the store is opened, a port in use (exit 7), and a served dashboard that prints where it
// is and stops cleanly on SIGTERM. The dashboard itself has its own suites (Dashboard*, BrowserDashboard.*).
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <regex>

#include "cli_test_support.hpp"

namespace duroxide::cli_test {
namespace {

void expect_usage_error(const CliRun& run, int code, const std::string& message) {
  EXPECT_EQ(run.exit_code, code) << describe(run);
  EXPECT_EQ(run.out, "") << describe(run);
  EXPECT_TRUE(run.err.starts_with("duroxide: ")) << describe(run);
  EXPECT_NE(run.err.find(message), std::string::npos) << "expected '" << message << "' in stderr\n" << describe(run);
}

/// A listening TCP socket on a free port of 127.0.0.1, for the scope of the object.
class OccupiedPort {
 public:
  OccupiedPort() : socket_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (socket_ < 0 || ::bind(socket_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(socket_, 1) != 0 || ::getsockname(socket_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot occupy a port");
    }
    port_ = ntohs(address.sin_port);
  }
  ~OccupiedPort() { ::close(socket_); }
  OccupiedPort(const OccupiedPort&) = delete;
  OccupiedPort& operator=(const OccupiedPort&) = delete;
  int port() const { return port_; }

 private:
  int socket_;
  int port_ = 0;
};

/// `duroxide serve` running with its stdout on a pipe; killed if the test ends before it stops.
class ServeProcess {
 public:
  ServeProcess(const std::vector<std::string>& args, const std::vector<std::string>& extra_env) {
    if (::pipe(out_) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::string> argv_text{DUROXIDE_CLI_BINARY};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : argv_text) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_text;
    for (char** entry = environ; *entry != nullptr; ++entry) {
      const std::string_view text(*entry);
      if (text.starts_with("DUROXIDE_STORE=") || text.starts_with("DUROXIDE_DASHBOARD_TOKEN=")) continue;
      env_text.emplace_back(text);
    }
    env_text.insert(env_text.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> envp;
    for (auto& entry : env_text) envp.push_back(entry.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out_[0]);
    const int spawned = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(out_[1]);
    if (spawned != 0) throw std::runtime_error("cannot run duroxide");
  }
  ~ServeProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(out_[0]);
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  /// The first line of stdout ("" when stdout closes first or the hang guard passes).
  std::string first_line() {
    std::string line;
    char c = 0;
    pollfd readable{out_[0], POLLIN, 0};
    while (::poll(&readable, 1, static_cast<int>(kHangGuard.count())) == 1 && ::read(out_[0], &c, 1) == 1) {
      if (c == '\n') return line;
      line += c;
    }
    ADD_FAILURE() << "no line from duroxide serve; got '" << line << "'";
    return line;
  }

  /// Sends `signal` and returns the exit code (-1 when it ended by a signal).
  int stop(int signal) {
    ::kill(pid_, signal);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  int out_[2] = {-1, -1};
  pid_t pid_ = 0;
};

using CliServe = CliFixture;

TEST_F(CliServe, AnotherAddressWithoutATokenIsRefusedBeforeTheStoreIsOpened) {
  // The store does not exist: were it opened first, the error would be a store error (3).
  const auto missing = "sqlite:" + (scratch() / "missing.db").string();
  expect_usage_error(run_cli(scratch(), {"--store", missing, "serve", "--listen", "0.0.0.0:8080"}), 2,
                     "refusing to listen on 0.0.0.0:8080 without a token");
  // A token from the environment satisfies the rule: then the store is opened, and fails.
  const auto with_env_token = [&] {
    ServeProcess serve({"--store", missing, "serve", "--listen", "0.0.0.0:0"}, {"DUROXIDE_DASHBOARD_TOKEN=t"});
    return serve.stop(0);  // signal 0 only waits for the exit
  }();
  EXPECT_EQ(with_env_token, 3);
}

TEST_F(CliServe, ABadListenAddressIsAUsageError) {
  expect_usage_error(cli({"serve", "--listen", "localhost"}), 2, "bad listen address 'localhost': no ':PORT'");
  expect_usage_error(cli({"serve", "--listen", "127.0.0.1:99999"}), 2, "the port must be a number from 0 to 65535");
}

TEST_F(CliServe, APortInUseExits7) {
  OccupiedPort occupied;
  const auto run = cli({"serve", "--listen", fmt::format("127.0.0.1:{}", occupied.port())});
  expect_usage_error(run, 7, fmt::format("cannot listen on 127.0.0.1:{}: Address already in use", occupied.port()));
}

TEST_F(CliServe, PrintsWhereItServesAndStopsCleanlyOnSigterm) {
  ServeProcess serve({"--store", url(), "serve", "--listen", "127.0.0.1:0", "--allow-writes"}, {});
  const auto line = serve.first_line();
  std::smatch port;
  EXPECT_TRUE(std::regex_match(line, port,
                               std::regex("dashboard of sqlite:.*store\\.db on http://127\\.0\\.0\\.1:([0-9]+)/ "
                                          "\\(writes allowed\\); Ctrl-C stops it")))
      << line;
  EXPECT_NE(port[1], "0") << "the port the system picked, not 0";
  EXPECT_EQ(serve.stop(SIGTERM), 0);
}

TEST_F(CliServe, WithATokenSaysHowToOpenItWithoutPrintingIt) {
  ServeProcess serve({"--store", url(), "serve", "--listen", "127.0.0.1:0"}, {"DUROXIDE_DASHBOARD_TOKEN=hush-42"});
  const auto line = serve.first_line();
  EXPECT_NE(line.find("(read-only; open it with ?token=TOKEN)"), std::string::npos) << line;
  EXPECT_EQ(line.find("hush-42"), std::string::npos) << line;
  EXPECT_EQ(serve.stop(SIGINT), 0);
}

TEST_F(CliServe, HelpNamesItsOptions) {
  const auto run = run_cli(scratch(), {"serve", "--help"});
  EXPECT_EQ(run.exit_code, 0) << describe(run);
  for (const char* word : {"--listen", "127.0.0.1:8080", "--token", "DUROXIDE_DASHBOARD_TOKEN", "--allow-writes"}) {
    EXPECT_NE(run.out.find(word), std::string::npos) << word << "\n" << run.out;
  }
  EXPECT_NE(run_cli(scratch(), {"--help"}).out.find("serve"), std::string::npos);
}

}  // namespace
}  // namespace duroxide::cli_test
