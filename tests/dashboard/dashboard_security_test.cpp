// The dashboard's security rules (access_policy.hpp, docs/dashboard.md "Security"): the token on
// every request, writes only with --allow-writes, only as JSON and only from its own origin, and
// only this machine's names as Host on a loopback bind.
#include <regex>

#include "dashboard_test_support.hpp"

namespace duroxide::dashboard_test {
namespace {

constexpr const char* kToken = "s3cret-token";

dashboard::DashboardOptions with_token(bool allow_writes) {
  dashboard::DashboardOptions options;
  options.token = kToken;
  options.allow_writes = allow_writes;
  return options;
}

const httplib::Headers& bearer() {
  static const httplib::Headers headers{{"Authorization", std::string("Bearer ") + kToken}};
  return headers;
}

class DashboardToken : public ::testing::Test {
 protected:
  ServedStore served_{with_token(true), false};
};

TEST_F(DashboardToken, EveryRequestWithoutItIsRefusedWith401) {
  for (const char* path : {"/", "/api/config", "/api/instances", "/api/instance?id=hello-1", "/api/history?id=hello-1",
                           "/api/metrics", "/no-such-page"}) {
    const auto reply = served_.get(path);
    EXPECT_EQ(reply.status, 401) << path << ": " << reply.body;
    EXPECT_EQ(reply.header("WWW-Authenticate"), "Bearer") << path;
    EXPECT_NE(reply.body.find("this dashboard needs its token"), std::string::npos) << path << ": " << reply.body;
  }
  for (const char* path :
       {"/api/raise-event", "/api/cancel", "/api/terminate", "/api/suspend", "/api/resume", "/api/rewind",
        "/api/schedule/create", "/api/schedule/pause", "/api/schedule/resume", "/api/schedule/delete"}) {
    const auto reply = served_.post(path, json{{"instance_id", "waiting-1"}, {"name", "Approve"}});
    EXPECT_EQ(reply.status, 401) << path;
    EXPECT_EQ(reply.error(), "this dashboard needs its token: send the header 'Authorization: Bearer TOKEN'");
  }
  const auto status = served_.client().get_orchestration_status("waiting-1");
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->is_running()) << "a refused raise must not reach the store";
}

TEST_F(DashboardToken, AWrongTokenIsRefused) {
  for (const char* header :
       {"Bearer wrong", "Bearer s3cret-toke", "Bearer s3cret-token2", "Basic s3cret-token", "s3cret-token"}) {
    const auto reply = served_.get("/api/instances", {{"Authorization", header}});
    EXPECT_EQ(reply.status, 401) << header;
  }
  EXPECT_EQ(served_.get("/?token=wrong").status, 401);
}

TEST_F(DashboardToken, TheBearerHeaderAdmitsThePageAndTheApi) {
  EXPECT_EQ(served_.get("/", bearer()).status, 200);
  const auto list = served_.get("/api/instances", bearer());
  EXPECT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.document()["instances"].size(), prepared_ids().size());
  EXPECT_EQ(served_.get("/api/instances", {{"Authorization", std::string("bearer ") + kToken}}).status, 200)
      << "the scheme is case-insensitive";
}

TEST_F(DashboardToken, TheQueryTokenAdmitsOnlyThePage) {
  const auto page = served_.get(std::string("/?token=") + kToken);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<!doctype html>"), std::string::npos);
  const auto api = served_.get(std::string("/api/instances?token=") + kToken);
  EXPECT_EQ(api.status, 401) << "the API takes the token only as a header, where a URL cannot leak it";
}

TEST_F(DashboardToken, WithTheTokenWritesWork) {
  const auto reply = served_.post("/api/raise-event",
                                  json{{"instance_id", "waiting-1"}, {"name", "Approve"}, {"data", "ok"}}, bearer());
  EXPECT_EQ(reply.status, 202) << reply.body;
}

class DashboardReadOnly : public ::testing::Test {
 protected:
  ServedStore served_{with_token(false), false};
};

TEST_F(DashboardReadOnly, WritesAreForbiddenAndReachNothing) {
  const auto before = served_.client().get_queue_depths();
  ASSERT_TRUE(before);
  const auto raise = served_.post("/api/raise-event",
                                  json{{"instance_id", "waiting-1"}, {"name", "Approve"}, {"data", "x"}}, bearer());
  EXPECT_EQ(raise.status, 403);
  EXPECT_EQ(raise.error(),
            "this dashboard is read-only: start it with --allow-writes to raise events, cancel, terminate, suspend, "
            "resume and rewind, and to create, pause, resume and delete schedules");
  const auto cancel = served_.post("/api/cancel", json{{"instance_id", "waiting-1"}}, bearer());
  EXPECT_EQ(cancel.status, 403);
  const auto terminate = served_.post("/api/terminate", json{{"instance_id", "waiting-1"}}, bearer());
  EXPECT_EQ(terminate.status, 403);
  const auto rewind = served_.post("/api/rewind", json{{"instance_id", "failed-1"}}, bearer());
  EXPECT_EQ(rewind.status, 403);
  const auto create = served_.post("/api/schedule/create",
                                   json{{"id", "nightly"}, {"spec", "@daily"}, {"orchestration", "Hello"}}, bearer());
  EXPECT_EQ(create.status, 403);
  for (const char* path : {"/api/schedule/pause", "/api/schedule/resume", "/api/schedule/delete"}) {
    EXPECT_EQ(served_.post(path, json{{"id", "nightly"}}, bearer()).status, 403) << path;
  }
  EXPECT_EQ(served_.get("/api/schedules", bearer()).status, 200) << "reading schedules is not a write";
  // No runtime runs on this store: anything enqueued would still be in the queue.
  const auto after = served_.client().get_queue_depths();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->orchestrator_queue, before->orchestrator_queue);
  EXPECT_EQ(served_.get("/api/config", bearer()).document()["allow_writes"], false);
}

class DashboardWrites : public ::testing::Test {
 protected:
  ServedStore served_{dashboard::DashboardOptions{{}, "", true, "sqlite:test"}, false};
};

TEST_F(DashboardWrites, AWriteFromAnotherOriginIsRefused) {
  const auto reply = served_.post("/api/raise-event", json{{"instance_id", "waiting-1"}, {"name", "Approve"}},
                                  {{"Origin", "http://evil.example"}});
  EXPECT_EQ(reply.status, 403);
  EXPECT_EQ(reply.error(), "a write from another origin ('http://evil.example') is refused");
  const auto same = served_.post("/api/raise-event", json{{"instance_id", "waiting-1"}, {"name", "Approve"}},
                                 {{"Origin", fmt::format("http://127.0.0.1:{}", served_.port())}});
  EXPECT_EQ(same.status, 202) << same.body;
}

TEST_F(DashboardWrites, AWriteMustBeJson) {
  // What an HTML form on another site could send without asking the browser first (a
  // multipart/form-data body that is not multipart never gets this far: httplib refuses it).
  for (const char* type : {"text/plain", "application/x-www-form-urlencoded", "text/plain; charset=utf-8",
                           "application/json-seq", "application/jsonp"}) {
    const auto reply = served_.request("POST", "/api/cancel", {}, R"({"instance_id":"waiting-1"})", type);
    EXPECT_EQ(reply.status, 415) << type;
    EXPECT_EQ(reply.error(), "a write must send its body as JSON (Content-Type: application/json)");
  }
  const auto status = served_.client().get_orchestration_status("waiting-1");
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->is_running());
  const auto with_charset =
      served_.request("POST", "/api/cancel", {}, R"({"instance_id":"waiting-1"})", "Application/JSON; charset=utf-8");
  EXPECT_EQ(with_charset.status, 202) << with_charset.body;
}

TEST_F(DashboardWrites, OnlyThisMachinesNamesAreAcceptedAsHost) {
  const auto port = served_.port();
  // DNS rebinding: a page of evil.example whose name now resolves to 127.0.0.1.
  const auto rebound = served_.get("/api/instances", {{"Host", fmt::format("evil.example:{}", port)}});
  EXPECT_EQ(rebound.status, 403);
  EXPECT_EQ(rebound.error(), fmt::format("unexpected Host header 'evil.example:{0}': this dashboard answers only to "
                                         "127.0.0.1:{0}",
                                         port));
  EXPECT_EQ(served_.get("/", {{"Host", "evil.example"}}).status, 403);
  for (const auto& host :
       {fmt::format("127.0.0.1:{}", port), fmt::format("localhost:{}", port), fmt::format("[::1]:{}", port)}) {
    EXPECT_EQ(served_.get("/api/instances", {{"Host", host}}).status, 200) << host;
  }
  EXPECT_EQ(served_.get("/api/instances", {{"Host", "localhost:1"}}).status, 403) << "another port";
}

TEST_F(DashboardWrites, ThePageAllowsOnlyItsOwnScriptsAndStyles) {
  const auto page = served_.get("/");
  ASSERT_EQ(page.status, 200);
  const auto policy = page.header("Content-Security-Policy");
  std::smatch nonce;
  ASSERT_TRUE(std::regex_search(policy, nonce, std::regex("script-src 'nonce-([A-Za-z0-9+/]{24})'"))) << policy;
  EXPECT_NE(policy.find("default-src 'none'"), std::string::npos) << policy;
  EXPECT_NE(policy.find(fmt::format("style-src 'nonce-{}'", nonce[1].str())), std::string::npos) << policy;
  EXPECT_NE(policy.find("connect-src 'self'"), std::string::npos) << policy;
  EXPECT_EQ(policy.find("unsafe"), std::string::npos) << policy;
  // Every script and style of the page carries the nonce, and there is no other.
  const std::string with_nonce = fmt::format("nonce=\"{}\"", nonce[1].str());
  std::size_t scripts = 0;
  for (auto at = page.body.find("<script"); at != std::string::npos; at = page.body.find("<script", at + 1)) {
    ++scripts;
    EXPECT_EQ(page.body.compare(at, 8 + with_nonce.size(), "<script " + with_nonce), 0) << page.body.substr(at, 60);
  }
  EXPECT_EQ(scripts, 8u);
  EXPECT_EQ(page.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(page.header("Cache-Control"), "no-store");
  EXPECT_NE(served_.get("/").header("Content-Security-Policy"), policy) << "a fresh nonce per response";
}

}  // namespace
}  // namespace duroxide::dashboard_test
