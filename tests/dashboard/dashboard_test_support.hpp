// The Dashboard suite's set-up: a SQLite store with known instances written by a runtime, the
// dashboard server started in-process on a free port over it, and an HTTP client for it. Waits
// are on conditions (instance states), never sleeps; the long timeouts only stop a hung test.
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <duroxide/duroxide.hpp>

#include "dashboard_server.hpp"
#include "support/sample_orchestrations.hpp"
#include "support/temp_dir.hpp"

namespace duroxide::dashboard_test {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::TempDir;

/// Stops a hung test; not a performance bound.
inline constexpr std::chrono::milliseconds kHangGuard = 120s;

// ---- the orchestrations of the prepared store ----

using testing::samples::approval;
using testing::samples::failing;
using testing::samples::hello;

inline Task<Result<std::string>> child(OrchestrationContext, std::string input) { co_return "child " + input; }

inline Task<Result<std::string>> parent(OrchestrationContext ctx, std::string input) {
  auto result = co_await ctx.schedule_sub_orchestration_with_id("Child", "parent-1-child", input);
  if (!result) co_return Err(result.error());
  co_return "parent saw " + *result;
}

inline std::shared_ptr<Runtime> start_runtime(const std::shared_ptr<Provider>& store) {
  auto activities =
      ActivityRegistry::builder()
          .add("Greet",
               [](ActivityContext&, std::string name) -> Result<std::string> { return "Hello, " + name + "!"; })
          .add("Reserve", [](ActivityContext&, std::string) -> Result<std::string> { return Err("out of stock"); })
          .build();
  auto orchestrations = OrchestrationRegistry::builder()
                            .add("Hello", hello)
                            .add("Failing", failing)
                            .add("Approval", approval)
                            .add("Parent", parent)
                            .add("Child", child)
                            .build();
  RuntimeOptions options;
  options.dispatcher_min_poll_interval = std::chrono::milliseconds(10);
  return Runtime::start(store, activities, orchestrations, options);
}

/// The instances prepare_store writes, newest last.
inline const std::vector<std::string>& prepared_ids() {
  static const std::vector<std::string> ids{"hello-1",  "hello-2",        "hello-3",  "failed-1",
                                            "parent-1", "parent-1-child", "waiting-1"};
  return ids;
}

/// Writes, in this order:
///   hello-1, hello-2, hello-3  Hello, Completed ("Hello, <n>!")
///   failed-1                   Failing, Failed (its activity returned "out of stock")
///   parent-1                   Parent, Completed, with the sub-orchestration parent-1-child (Child)
///   waiting-1                  Approval, Running: input "order 7", custom status, KV "stage"; waits for "Approve"
inline void prepare_store(const Client& client) {
  const auto start = [&](const std::string& id, const char* name, const std::string& input) {
    if (auto started = client.start_orchestration(id, name, input); !started) {
      throw std::runtime_error(started.error().to_string());
    }
  };
  const auto finished = [&](const std::string& id) {
    auto status = client.wait_for_orchestration(id, kHangGuard);
    if (!status || !status->is_terminal()) throw std::runtime_error("prepare_store: " + id + " did not finish");
  };
  for (const char* id : {"hello-1", "hello-2", "hello-3"}) {
    start(id, "Hello", std::string(id).substr(6));
    finished(id);
  }
  start("failed-1", "Failing", "widget");
  finished("failed-1");
  start("parent-1", "Parent", "p");
  finished("parent-1");
  start("waiting-1", "Approval", "order 7");
  auto status = client.wait_for_status_change("waiting-1", 0, 10ms, kHangGuard);
  if (!status || !status->is_running()) throw std::runtime_error("prepare_store: waiting-1 is not waiting");
}

/// `text` percent-encoded for a query string (every byte but unreserved ones).
inline std::string url_encode(const std::string& text) {
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

/// One answer of the server.
struct Reply {
  int status = 0;
  std::string body;
  httplib::Headers headers;

  /// The body as JSON (a test failure and null when it is not JSON).
  json document() const {
    try {
      return json::parse(body);
    } catch (const std::exception& error) {
      ADD_FAILURE() << "not JSON (" << error.what() << "): " << body;
      return nullptr;
    }
  }
  /// The "error" of a JSON error body ("" when there is none).
  std::string error() const {
    const auto doc = document();
    return doc.is_object() && doc.contains("error") && doc["error"].is_string() ? doc["error"].get<std::string>() : "";
  }
  std::string header(const std::string& name) const {
    const auto found = headers.find(name);
    return found == headers.end() ? "" : found->second;
  }
};

/// A prepared store served by the dashboard, in-process, on a free port of 127.0.0.1. With
/// `keep_runtime`, the runtime that wrote the store keeps running (raised events get processed).
class ServedStore {
 public:
  ServedStore(dashboard::DashboardOptions options, bool keep_runtime) {
    auto store = open_store(dir_.url());
    if (!store) throw std::runtime_error(store.error().to_string());
    store_ = *store;
    runtime_ = start_runtime(store_);
    prepare_store(Client(store_));
    if (!keep_runtime) {
      runtime_->shutdown(5s);
      runtime_.reset();
    }
    options.listen = {"127.0.0.1", 0};
    auto server = dashboard::DashboardServer::bind(Client(store_), options);
    if (!server) throw std::runtime_error(server.error());
    server_ = std::move(*server);
    serving_ = std::thread([this] { server_->run(); });
  }
  ~ServedStore() {
    server_->stop();
    serving_.join();
    if (runtime_) runtime_->shutdown(5s);
  }
  ServedStore(const ServedStore&) = delete;
  ServedStore& operator=(const ServedStore&) = delete;

  Client client() const { return Client(store_); }
  int port() const { return server_->address().port; }

  /// A request; `headers` are added to it (a Host given there replaces the client's).
  Reply request(const std::string& method, const std::string& path, const httplib::Headers& headers = {},
                const std::string& body = "", const std::string& content_type = "application/json") const {
    httplib::Client http("127.0.0.1", port());
    http.set_url_encode(false);
    http.set_read_timeout(std::chrono::duration_cast<std::chrono::seconds>(kHangGuard).count());
    httplib::Result result = method == "GET"    ? http.Get(path, headers)
                             : method == "POST" ? http.Post(path, headers, body, content_type)
                             : method == "PUT"  ? http.Put(path, headers, body, content_type)
                                                : http.Delete(path, headers);
    if (!result) {
      ADD_FAILURE() << method << " " << path << ": " << httplib::to_string(result.error());
      return {};
    }
    return {result->status, result->body, result->headers};
  }
  Reply get(const std::string& path, const httplib::Headers& headers = {}) const {
    return request("GET", path, headers);
  }
  Reply post(const std::string& path, const json& body, const httplib::Headers& headers = {}) const {
    return request("POST", path, headers, body.dump());
  }

 private:
  TempDir dir_{"dashboard"};
  std::shared_ptr<Provider> store_;
  std::shared_ptr<Runtime> runtime_;
  std::unique_ptr<dashboard::DashboardServer> server_;
  std::thread serving_;
};

}  // namespace duroxide::dashboard_test
