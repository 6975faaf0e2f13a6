// The runtime's HTTP endpoint (issue #15 item 5; docs/runtime-features.md, "The /metrics
// endpoint"): RuntimeOptions::metrics_listen serves GET /metrics (Prometheus text) and GET
// /healthz (every runtime thread alive: 200, else 503 naming the stopped ones); loopback by
// default, a bearer token required off loopback and checked on every request when set; a busy
// port is a start error; off by default; shutdown stops it.
#include <gtest/gtest.h>

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "support/e2e_support.hpp"
#include "support/forwarding_provider.hpp"
#include "support/http_client.hpp"

namespace duroxide::testing {
namespace {

using namespace std::chrono_literals;

Task<Result<std::string>> greet(OrchestrationContext ctx, std::string input) {
  co_return co_await ctx.schedule_activity("Echo", input);
}

ActivityRegistry echo_activities() {
  return ActivityRegistry::builder()
      .add("Echo", [](ActivityContext&, std::string input) -> Result<std::string> { return input; })
      .build();
}

OrchestrationRegistry greet_orchestration() { return OrchestrationRegistry::builder().add("Greet", greet).build(); }

/// fast_options() serving the endpoint on `listen`.
RuntimeOptions listening_on(std::string listen, std::optional<std::string> token = std::nullopt) {
  auto options = fast_options();
  options.metrics_listen = std::move(listen);
  options.metrics_token = std::move(token);
  return options;
}

/// GET that must reach the server; fails the test (and returns an empty response) otherwise.
HttpResponse get(const std::string& address, const std::string& path,
                 const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  auto response = http_get(address, path, headers);
  if (!response) {
    ADD_FAILURE() << "GET " << path << " from " << address << ": " << response.error();
    return {};
  }
  return *response;
}

/// The line of `text` that starts with `metric` + "{" and contains every one of `parts`; "" if none.
std::string series_line(const std::string& text, const std::string& metric, const std::vector<std::string>& parts) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(metric + "{", 0) != 0) continue;
    if (std::all_of(parts.begin(), parts.end(), [&](const auto& part) { return line.find(part) != std::string::npos; }))
      return line;
  }
  return "";
}

/// The completion series of a successful "Greet" in the Prometheus text at `address`, once it is
/// there (a turn's series are reported just after its commit); "" when it never comes.
std::string wait_for_greet_completion(const std::string& address,
                                      const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  std::string line;
  wait_until([&] {
    auto response = http_get(address, "/metrics", headers);
    if (response && response->status == 200) {
      line = series_line(response->body, "duroxide_orchestration_completions_total",
                         {"orchestration_name=\"Greet\"", "status=\"success\""});
    }
    return !line.empty();
  });
  return line;
}

// ---- /metrics ----------------------------------------------------------------------------------

TEST(E2eMetricsEndpoint, scrape_shows_the_series_of_a_finished_orchestration) {
  E2eEnv env(echo_activities(), greet_orchestration(), listening_on("0"));
  const auto address = env.runtime->metrics_endpoint();
  ASSERT_TRUE(address.has_value());
  EXPECT_EQ(address->rfind("127.0.0.1:", 0), 0u) << "a port alone binds loopback: " << *address;
  EXPECT_NE(*address, "127.0.0.1:0") << "port 0 must report the port chosen";

  ASSERT_TRUE(env.client.start_orchestration("scraped-1", "Greet", "hi"));
  EXPECT_EQ(env.output_of("scraped-1"), "hi");
  const auto completion = wait_for_greet_completion(*address);
  ASSERT_FALSE(completion.empty()) << get(*address, "/metrics").body;
  EXPECT_TRUE(completion.ends_with(" 1")) << completion;

  const auto scrape = get(*address, "/metrics");
  EXPECT_EQ(scrape.status, 200);
  EXPECT_EQ(scrape.header("content-type").rfind("text/plain; version=0.0.4", 0), 0u) << scrape.header("content-type");
  EXPECT_NE(scrape.body.find("# TYPE duroxide_orchestration_completions_total counter"), std::string::npos);
  EXPECT_FALSE(
      series_line(scrape.body, "duroxide_activity_executions_total", {"activity_name=\"Echo\"", "outcome=\"success\""})
          .empty())
      << scrape.body;
}

TEST(E2eMetricsEndpoint, an_application_registry_is_served_with_its_own_series) {
  auto registry = std::make_shared<MetricsRegistry>();
  registry->add_counter("app_requests_total", {{"route", "/orders"}}, 3);
  auto options = listening_on("127.0.0.1:0");
  options.observability.metrics_sink = registry;
  E2eEnv env(echo_activities(), greet_orchestration(), options);
  ASSERT_TRUE(env.client.start_orchestration("scraped-2", "Greet", "x"));
  EXPECT_EQ(env.output_of("scraped-2"), "x");
  const auto address = env.runtime->metrics_endpoint().value();
  EXPECT_FALSE(wait_for_greet_completion(address).empty());
  EXPECT_NE(get(address, "/metrics").body.find("app_requests_total{route=\"/orders\"} 3"), std::string::npos);
  EXPECT_EQ(registry->counter_sum("duroxide_orchestration_completions_total", {{"orchestration_name", "Greet"}}), 1);
}

/// A MetricsSink of the application's that is not a MetricsRegistry: counts what it receives.
class CountingSink final : public MetricsSink {
 public:
  void add_counter(std::string_view name, const MetricLabels&, double) override { record(name); }
  void observe_histogram(std::string_view name, const MetricLabels&, double) override { record(name); }
  void set_gauge(std::string_view name, const MetricLabels&, double) override { record(name); }
  void add_gauge(std::string_view name, const MetricLabels&, double) override { record(name); }
  bool received(const std::string& name) const {
    std::lock_guard lock(mutex_);
    return names_.contains(name);
  }

 private:
  void record(std::string_view name) {
    std::lock_guard lock(mutex_);
    names_.emplace(name);
  }
  mutable std::mutex mutex_;
  std::set<std::string> names_;
};

TEST(E2eMetricsEndpoint, an_application_sink_still_receives_what_the_endpoint_serves) {
  auto sink = std::make_shared<CountingSink>();
  auto options = listening_on("0");
  options.observability.metrics_sink = sink;
  E2eEnv env(echo_activities(), greet_orchestration(), options);
  ASSERT_TRUE(env.client.start_orchestration("scraped-3", "Greet", "y"));
  EXPECT_EQ(env.output_of("scraped-3"), "y");
  EXPECT_FALSE(wait_for_greet_completion(env.runtime->metrics_endpoint().value()).empty());
  EXPECT_TRUE(wait_until([&] { return sink->received("duroxide_orchestration_completions_total"); }));
}

TEST(E2eMetricsEndpoint, unknown_paths_are_not_found) {
  E2eEnv env(echo_activities(), greet_orchestration(), listening_on("0"));
  EXPECT_EQ(get(env.runtime->metrics_endpoint().value(), "/").status, 404);
  EXPECT_EQ(get(env.runtime->metrics_endpoint().value(), "/metrics/extra").status, 404);
}

// ---- /healthz ----------------------------------------------------------------------------------

TEST(E2eMetricsEndpoint, healthz_is_ok_while_every_thread_runs) {
  E2eEnv env(echo_activities(), greet_orchestration(), listening_on("0"));
  const auto response = get(env.runtime->metrics_endpoint().value(), "/healthz");
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.header("content-type"), "application/json");
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body.at("status"), "ok");
  // One lock renewer, two orchestration slots, two worker slots (fast_options' defaults).
  EXPECT_EQ(body.at("threads_started"), 5);
  EXPECT_EQ(body.at("threads_alive"), 5);
  EXPECT_TRUE(body.at("stopped_threads").empty());
}

/// A store whose fetch_work_item throws: the one worker slot that calls it ends (an exception
/// that escapes a fetch ends its thread, docs/runtime.md), and only that slot.
class ThrowingWorkFetch final : public ForwardingProvider {
 public:
  using ForwardingProvider::ForwardingProvider;
  ProviderResult<std::optional<LockedWorkItem>> fetch_work_item(Millis, Millis,
                                                                const std::optional<SessionFetchConfig>&,
                                                                const TagFilter&) override {
    throw std::runtime_error("injected: fetch_work_item throws");
  }
};

TEST(E2eMetricsEndpoint, healthz_is_unavailable_and_names_the_thread_that_stopped) {
  auto options = listening_on("0");
  options.worker_concurrency = 1;
  E2eEnv env(std::make_shared<ThrowingWorkFetch>(test_store()), echo_activities(), greet_orchestration(), options);
  ASSERT_TRUE(wait_until([&] { return env.runtime->health().threads_alive == 3; }))
      << env.runtime->health().threads_alive << " of " << env.runtime->health().threads_started << " alive";
  const auto response = get(env.runtime->metrics_endpoint().value(), "/healthz");
  EXPECT_EQ(response.status, 503) << response.body;
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body.at("status"), "unavailable");
  EXPECT_EQ(body.at("threads_started"), 4);
  EXPECT_EQ(body.at("threads_alive"), 3);
  EXPECT_EQ(body.at("stopped_threads"), nlohmann::json::array({"worker slot 0"}));
}

// ---- security ----------------------------------------------------------------------------------

TEST(E2eMetricsEndpoint, every_request_needs_the_token_when_one_is_set) {
  E2eEnv env(echo_activities(), greet_orchestration(), listening_on("0", "s3cret-token"));
  const auto address = env.runtime->metrics_endpoint().value();
  for (const std::string path : {"/metrics", "/healthz", "/nowhere"}) {
    const auto without = get(address, path);
    EXPECT_EQ(without.status, 401) << path;
    EXPECT_EQ(without.header("www-authenticate"), "Bearer realm=\"duroxide\"") << path;
    EXPECT_EQ(get(address, path, {{"Authorization", "Bearer wrong-token"}}).status, 401) << path;
    EXPECT_EQ(get(address, path, {{"Authorization", "Bearer s3cret-token-and-more"}}).status, 401) << path;
    EXPECT_EQ(get(address, path, {{"Authorization", "Basic s3cret-token"}}).status, 401) << path;
  }
  const std::vector<std::pair<std::string, std::string>> auth = {{"Authorization", "Bearer s3cret-token"}};
  EXPECT_EQ(get(address, "/healthz", auth).status, 200);
  ASSERT_TRUE(env.client.start_orchestration("scraped-4", "Greet", "z"));
  EXPECT_EQ(env.output_of("scraped-4"), "z");
  EXPECT_FALSE(wait_for_greet_completion(address, auth).empty());
}

TEST(E2eMetricsEndpoint, a_non_loopback_address_without_a_token_is_refused_at_start) {
  if (std::getenv("DUROXIDE_METRICS_TOKEN") != nullptr) GTEST_SKIP() << "DUROXIDE_METRICS_TOKEN is set";
  for (const std::string listen : {"0.0.0.0:0", "[::]:0"}) {
    try {
      auto runtime = Runtime::start(test_store(), echo_activities(), greet_orchestration(), listening_on(listen));
      ADD_FAILURE() << listen << " started without a token on " << runtime->metrics_endpoint().value_or("?");
    } catch (const std::invalid_argument& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("is not a loopback address"), std::string::npos) << message;
      EXPECT_NE(message.find("metrics_token"), std::string::npos) << message;
      EXPECT_NE(message.find("DUROXIDE_METRICS_TOKEN"), std::string::npos) << message;
    }
  }
}

TEST(E2eMetricsEndpoint, a_non_loopback_address_with_a_token_serves) {
  E2eEnv env(echo_activities(), greet_orchestration(), listening_on("0.0.0.0:0", "t0ken"));
  const auto address = env.runtime->metrics_endpoint().value();
  EXPECT_EQ(address.rfind("0.0.0.0:", 0), 0u) << address;
  EXPECT_EQ(get(address, "/healthz").status, 401);
  EXPECT_EQ(get(address, "/healthz", {{"Authorization", "Bearer t0ken"}}).status, 200);
}

TEST(E2eMetricsEndpoint, a_port_in_use_is_a_clear_start_error) {
  E2eEnv first(echo_activities(), greet_orchestration(), listening_on("0"));
  const auto taken = first.runtime->metrics_endpoint().value();
  try {
    auto second = Runtime::start(test_store(), echo_activities(), greet_orchestration(), listening_on(taken));
    ADD_FAILURE() << "a second runtime also listens on " << taken;
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("cannot serve metrics on " + taken), std::string::npos) << message;
    EXPECT_NE(message.find("Address already in use"), std::string::npos) << message;
  }
  EXPECT_EQ(get(taken, "/healthz").status, 200) << "the first runtime's endpoint must be unaffected";
}

TEST(E2eMetricsEndpoint, a_malformed_address_is_an_invalid_option) {
  for (const std::string listen : {"", ":9464", "127.0.0.1", "127.0.0.1:70000", "[::1:9464", "host name:1"}) {
    EXPECT_THROW((void)Runtime::start(test_store(), echo_activities(), greet_orchestration(), listening_on(listen)),
                 std::invalid_argument)
        << "'" << listen << "'";
  }
}

// ---- off by default, and shutdown ---------------------------------------------------------------

/// Inodes of the TCP sockets listening on this machine (network namespace).
std::set<std::string> listening_socket_inodes() {
  std::set<std::string> inodes;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::vector<std::string> field;
      for (std::string f; fields >> f;) field.push_back(f);
      if (field.size() > 9 && field[3] == "0A") inodes.insert(field[9]);  // 0A: LISTEN
    }
  }
  return inodes;
}

/// Listening TCP sockets among this process's file descriptors.
std::size_t listening_sockets_of_this_process() {
  const auto listening = listening_socket_inodes();
  std::size_t count = 0;
  DIR* fds = opendir("/proc/self/fd");
  if (fds == nullptr) throw std::runtime_error("cannot read /proc/self/fd");
  while (const dirent* entry = readdir(fds)) {
    char target[256] = {};
    const std::string path = std::string("/proc/self/fd/") + entry->d_name;
    const ssize_t length = readlink(path.c_str(), target, sizeof target - 1);
    if (length <= 0) continue;
    const std::string link(target, static_cast<std::size_t>(length));
    if (link.rfind("socket:[", 0) == 0 && listening.contains(link.substr(8, link.size() - 9))) ++count;
  }
  closedir(fds);
  return count;
}

TEST(E2eMetricsEndpoint, off_by_default_nothing_listens) {
  const auto before = listening_sockets_of_this_process();
  {
    E2eEnv env(echo_activities(), greet_orchestration());
    EXPECT_FALSE(env.runtime->metrics_endpoint().has_value());
    EXPECT_EQ(listening_sockets_of_this_process(), before);
  }
  // The count sees a listening runtime, so the equality above means something.
  E2eEnv listening(echo_activities(), greet_orchestration(), listening_on("0"));
  EXPECT_EQ(listening_sockets_of_this_process(), before + 1);
}

TEST(E2eMetricsEndpoint, shutdown_stops_the_endpoint) {
  const auto before = listening_sockets_of_this_process();
  E2eEnv env(echo_activities(), greet_orchestration(), listening_on("0"));
  const auto address = env.runtime->metrics_endpoint().value();
  EXPECT_EQ(get(address, "/healthz").status, 200);
  env.runtime->shutdown(5s);
  EXPECT_EQ(listening_sockets_of_this_process(), before);
  const auto after = http_get(address, "/healthz");
  ASSERT_FALSE(after.has_value()) << "still answering with " << after->status;
  EXPECT_NE(after.error().find("Connection refused"), std::string::npos) << after.error();
}

}  // namespace
}  // namespace duroxide::testing
