// What configures the /metrics endpoint (docs/runtime-features.md, "The /metrics endpoint"): the
// metrics_listen address and whether it is loopback, the token (option, environment, allowed
// characters) and the bearer check, RuntimeOptions::validate, and the /healthz body.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <duroxide/runtime_options.hpp>

#include "runtime/listen_address.hpp"
#include "runtime/metrics_endpoint.hpp"
#include "runtime/metrics_token.hpp"

using namespace duroxide;
using namespace duroxide::runtime;

namespace {

ListenAddress parsed(std::string_view text) {
  auto address = parse_listen_address(text);
  if (!address) ADD_FAILURE() << "'" << text << "': " << address.error();
  return address.value_or(ListenAddress{});
}

}  // namespace

TEST(UnitMetricsEndpoint, APortAloneListensOnLoopback) {
  const auto address = parsed("9464");
  EXPECT_EQ(address.host, "127.0.0.1");
  EXPECT_EQ(address.port, 9464);
  EXPECT_TRUE(address.is_loopback());
  EXPECT_EQ(address.to_string(), "127.0.0.1:9464");
  EXPECT_EQ(parsed("0").port, 0);
}

TEST(UnitMetricsEndpoint, HostAndPort) {
  EXPECT_EQ(parsed("0.0.0.0:80").host, "0.0.0.0");
  EXPECT_EQ(parsed("0.0.0.0:80").port, 80);
  EXPECT_EQ(parsed("metrics.internal:9464").host, "metrics.internal");
  const auto v6 = parsed("[::1]:9464");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 9464);
  EXPECT_EQ(v6.to_string(), "[::1]:9464");
  EXPECT_EQ(parsed("[::]:65535").port, 65535);
}

TEST(UnitMetricsEndpoint, MalformedAddressesAreErrorsThatShowTheForm) {
  for (const std::string_view text :
       {"", ":9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:94x", "::1:9464",
        "[::1]9464", "[::1:9464", "[nothost]:1", "two words:1", "99999999999999999999"}) {
    auto address = parse_listen_address(text);
    ASSERT_FALSE(address.has_value()) << "'" << text << "' parsed as " << address->to_string();
    EXPECT_NE(address.error().find(std::string("'") + std::string(text) + "'"), std::string::npos) << address.error();
  }
  EXPECT_NE(parse_listen_address(":9464").error().find("0.0.0.0"), std::string::npos)
      << "an empty host names both choices";
  EXPECT_NE(parse_listen_address("127.0.0.1").error().find("HOST:PORT"), std::string::npos);
}

TEST(UnitMetricsEndpoint, OnlyLoopbackAddressesCountAsLoopback) {
  EXPECT_TRUE(parsed("127.0.0.1:1").is_loopback());
  EXPECT_TRUE(parsed("127.8.9.10:1").is_loopback());
  EXPECT_TRUE(parsed("localhost:1").is_loopback());
  EXPECT_TRUE(parsed("[::1]:1").is_loopback());
  EXPECT_FALSE(parsed("0.0.0.0:1").is_loopback());
  EXPECT_FALSE(parsed("[::]:1").is_loopback());
  EXPECT_FALSE(parsed("10.1.2.3:1").is_loopback());
  EXPECT_FALSE(parsed("128.0.0.1:1").is_loopback());
  EXPECT_FALSE(parsed("metrics.internal:1").is_loopback()) << "a name is not trusted to resolve to loopback";
  EXPECT_FALSE(parsed("localhost.evil.example:1").is_loopback());
}

TEST(UnitMetricsEndpoint, TheOptionWinsOverTheEnvironment) {
  EXPECT_EQ(resolve_metrics_token(std::string("from-option"), "from-env").value(), "from-option");
  EXPECT_EQ(resolve_metrics_token(std::nullopt, "from-env").value(), "from-env");
  EXPECT_FALSE(resolve_metrics_token(std::nullopt, nullptr).value().has_value());
  EXPECT_FALSE(resolve_metrics_token(std::nullopt, "").value().has_value()) << "an empty variable is unset";
}

TEST(UnitMetricsEndpoint, BadTokensAreErrorsNamingWhereTheyCameFrom) {
  auto empty = resolve_metrics_token(std::string(""), nullptr);
  ASSERT_FALSE(empty.has_value());
  EXPECT_NE(empty.error().find("RuntimeOptions::metrics_token is empty"), std::string::npos) << empty.error();
  auto spaced = resolve_metrics_token(std::nullopt, "two words");
  ASSERT_FALSE(spaced.has_value());
  EXPECT_NE(spaced.error().find("DUROXIDE_METRICS_TOKEN must be printable ASCII"), std::string::npos) << spaced.error();
  EXPECT_FALSE(check_metrics_token("line\nbreak", "t").has_value());
  EXPECT_FALSE(check_metrics_token("caf\xc3\xa9", "t").has_value());
  EXPECT_TRUE(check_metrics_token("abc-DEF_123.~+/=", "t").has_value());
}

TEST(UnitMetricsEndpoint, BearerCheck) {
  EXPECT_TRUE(bearer_token_matches("Bearer s3cret", "s3cret"));
  EXPECT_TRUE(bearer_token_matches("bearer s3cret", "s3cret")) << "the scheme is case-insensitive";
  EXPECT_FALSE(bearer_token_matches("Bearer S3CRET", "s3cret")) << "the token is not";
  EXPECT_FALSE(bearer_token_matches("Bearer s3cre", "s3cret"));
  EXPECT_FALSE(bearer_token_matches("Bearer s3crett", "s3cret"));
  EXPECT_FALSE(bearer_token_matches("Bearer ", "s3cret"));
  EXPECT_FALSE(bearer_token_matches("", "s3cret"));
  EXPECT_FALSE(bearer_token_matches("Basic s3cret", "s3cret"));
  EXPECT_FALSE(bearer_token_matches("Bearers3cret", "s3cret"));
}

TEST(UnitMetricsEndpoint, ValidateChecksTheAddressAndTheToken) {
  RuntimeOptions options;
  options.metrics_listen = "127.0.0.1:9464";
  options.metrics_token = "ok-token";
  EXPECT_TRUE(options.validate().has_value());
  options.metrics_listen = "localhost";
  ASSERT_FALSE(options.validate().has_value());
  EXPECT_NE(options.validate().error().find("metrics_listen 'localhost'"), std::string::npos)
      << options.validate().error();
  options.metrics_listen = "9464";
  options.metrics_token = "";
  ASSERT_FALSE(options.validate().has_value());
  EXPECT_NE(options.validate().error().find("metrics_token is empty"), std::string::npos) << options.validate().error();
  options.metrics_token.reset();
  options.observability.gauge_poll_interval = std::chrono::milliseconds(0);
  ASSERT_FALSE(options.validate().has_value()) << "the endpoint's gauges need a positive refresh interval";
  EXPECT_NE(options.validate().error().find("gauge_poll_interval"), std::string::npos);
}

TEST(UnitMetricsEndpoint, HealthBodySaysWhichThreadsStopped) {
  RuntimeHealth healthy;
  healthy.threads_started = 3;
  healthy.threads_alive = 3;
  healthy.all_threads_alive = true;
  const auto [ok_status, ok_body] = health_response(healthy);
  EXPECT_EQ(ok_status, 200);
  EXPECT_EQ(nlohmann::json::parse(ok_body),
            nlohmann::json::parse(
                R"({"status":"ok","threads_started":3,"threads_alive":3,"stopped_threads":[],"errors_caught":0})"));

  RuntimeHealth broken = healthy;
  broken.threads_alive = 2;
  broken.all_threads_alive = false;
  broken.stopped_threads = {"worker slot 1"};
  broken.errors_caught = 4;
  const auto [down_status, down_body] = health_response(broken);
  EXPECT_EQ(down_status, 503);
  EXPECT_EQ(nlohmann::json::parse(down_body),
            nlohmann::json::parse(R"({"status":"unavailable","threads_started":3,"threads_alive":2,)"
                                  R"("stopped_threads":["worker slot 1"],"errors_caught":4})"));
}
