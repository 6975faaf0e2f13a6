// Where the dashboard listens (listen_address.hpp, dashboard_server.hpp): parsing --listen, the
// rule that an address other than loopback needs a token, port 0, and starting and stopping.
#include <thread>

#include "dashboard_test_support.hpp"
#include "listen_address.hpp"

namespace duroxide::dashboard_test {
namespace {

using dashboard::DashboardOptions;
using dashboard::DashboardServer;
using dashboard::ListenAddress;

std::shared_ptr<Provider> empty_store(const TempDir& dir) {
  auto store = open_store(dir.url());
  if (!store) throw std::runtime_error(store.error().to_string());
  return *store;
}

TEST(DashboardListen, ParsesHostAndPort) {
  const auto v4 = dashboard::parse_listen_address("127.0.0.1:8080");
  ASSERT_TRUE(v4) << v4.error();
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8080);
  const auto v6 = dashboard::parse_listen_address("[::1]:0");
  ASSERT_TRUE(v6) << v6.error();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
  EXPECT_EQ(v6->to_string(), "[::1]:0");
  const auto named = dashboard::parse_listen_address("localhost:65535");
  ASSERT_TRUE(named) << named.error();
  EXPECT_EQ(named->host, "localhost");
  EXPECT_EQ(named->port, 65535);
}

TEST(DashboardListen, RefusesMalformedAddressesSayingWhy) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"127.0.0.1", "no ':PORT'"},
      {":8080", "no host"},
      {"127.0.0.1:", "the port must be a number"},
      {"127.0.0.1:http", "the port must be a number"},
      {"127.0.0.1:65536", "the port must be a number from 0 to 65535"},
      {"127.0.0.1:-1", "the port must be a number"},
      {"::1:8080", "an IPv6 host must be in brackets"},
      {"[::1:8080", "without its closing ']'"},
      {"[::1]8080", "no ':PORT' after the IPv6 host"},
  };
  for (const auto& [text, problem] : cases) {
    const auto parsed = dashboard::parse_listen_address(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_NE(parsed.error().find(problem), std::string::npos) << text << ": " << parsed.error();
    EXPECT_NE(parsed.error().find("'" + text + "'"), std::string::npos) << parsed.error();
  }
}

TEST(DashboardListen, KnowsTheLoopbackHosts) {
  for (const char* host : {"localhost", "127.0.0.1", "127.3.2.1", "::1"}) {
    EXPECT_TRUE(dashboard::is_loopback_host(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "128.0.0.1", "example.com", ""}) {
    EXPECT_FALSE(dashboard::is_loopback_host(host)) << host;
  }
}

TEST(DashboardListen, AnotherAddressThanLoopbackNeedsAToken) {
  EXPECT_FALSE(dashboard::listen_policy_problem({"127.0.0.1", 8080}, ""));
  EXPECT_FALSE(dashboard::listen_policy_problem({"::1", 8080}, ""));
  EXPECT_FALSE(dashboard::listen_policy_problem({"0.0.0.0", 8080}, "secret"));
  const auto problem = dashboard::listen_policy_problem({"0.0.0.0", 8080}, "");
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("refusing to listen on 0.0.0.0:8080 without a token"), std::string::npos) << *problem;
  EXPECT_NE(problem->find("--token"), std::string::npos) << *problem;
  EXPECT_NE(problem->find("DUROXIDE_DASHBOARD_TOKEN"), std::string::npos) << *problem;
}

TEST(DashboardListen, BindRefusesAnotherAddressWithoutAToken) {
  TempDir dir("dashboard");
  DashboardOptions options;
  options.listen = {"0.0.0.0", 0};
  const auto server = DashboardServer::bind(Client(empty_store(dir)), options);
  ASSERT_FALSE(server);
  EXPECT_NE(server.error().find("without a token"), std::string::npos) << server.error();
}

TEST(DashboardListen, PortZeroPicksAFreePortAndTheUrlNamesIt) {
  TempDir dir("dashboard");
  DashboardOptions options;
  options.listen = {"127.0.0.1", 0};
  auto server = DashboardServer::bind(Client(empty_store(dir)), options);
  ASSERT_TRUE(server) << server.error();
  const auto port = (*server)->address().port;
  EXPECT_NE(port, 0);
  EXPECT_EQ((*server)->url(), fmt::format("http://127.0.0.1:{}/", port));
}

TEST(DashboardListen, APortInUseIsAClearError) {
  TempDir dir("dashboard");
  const auto store = empty_store(dir);
  DashboardOptions options;
  options.listen = {"127.0.0.1", 0};
  auto first = DashboardServer::bind(Client(store), options);
  ASSERT_TRUE(first) << first.error();
  options.listen.port = (*first)->address().port;
  const auto second = DashboardServer::bind(Client(store), options);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(), fmt::format("cannot listen on 127.0.0.1:{}: Address already in use", options.listen.port));
}

TEST(DashboardListen, StopBeforeRunMakesRunReturn) {
  TempDir dir("dashboard");
  DashboardOptions options;
  options.listen = {"127.0.0.1", 0};
  auto server = DashboardServer::bind(Client(empty_store(dir)), options);
  ASSERT_TRUE(server) << server.error();
  (*server)->stop();
  EXPECT_TRUE((*server)->run());  // returns at once: the stop is not lost
}

TEST(DashboardListen, StopEndsARunningServerAndFreesThePort) {
  TempDir dir("dashboard");
  const auto store = empty_store(dir);
  DashboardOptions options;
  options.listen = {"127.0.0.1", 0};
  auto server = DashboardServer::bind(Client(store), options);
  ASSERT_TRUE(server) << server.error();
  const auto port = (*server)->address().port;
  std::thread serving([&] { (*server)->run(); });
  httplib::Client http("127.0.0.1", port);
  const auto answer = http.Get("/api/config");  // served: the server is running
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  (*server)->stop();
  serving.join();
  options.listen.port = port;
  EXPECT_TRUE(DashboardServer::bind(Client(store), options)) << "the port is free again";
}

}  // namespace
}  // namespace duroxide::dashboard_test
