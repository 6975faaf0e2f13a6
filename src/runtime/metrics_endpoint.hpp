#pragma once
// The runtime's HTTP endpoint (docs/runtime-features.md, "The /metrics endpoint"): GET /metrics
// serves the Prometheus text of the runtime's metrics, GET /healthz whether every runtime thread
// still runs. cpp-httplib serves it; only metrics_endpoint.cpp includes it, so neither the public
// headers nor the rest of the runtime depend on it.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include <duroxide/runtime_health.hpp>

#include "runtime/listen_address.hpp"

namespace duroxide::runtime {

/// What the endpoint serves, read at each request (from the server's threads).
struct EndpointContent {
  std::function<std::string()> prometheus_text;
  std::function<RuntimeHealth()> health;
};

/// /healthz's answer: 200 and {"status":"ok",...} when every thread runs, else 503 and
/// {"status":"unavailable",...,"stopped_threads":[names]}.
std::pair<int, std::string> health_response(const RuntimeHealth& health);

class MetricsEndpoint {
 public:
  /// Binds `address` at once, so that a bad address fails before the runtime starts anything;
  /// connections wait in the socket's backlog until serve(). Every request must carry `token` as
  /// a bearer token when there is one. Throws std::runtime_error naming the address and the
  /// reason when it cannot be bound (in use, not an address of this machine, unresolvable).
  MetricsEndpoint(const ListenAddress& address, std::optional<std::string> token, EndpointContent content);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  /// Starts answering requests on a thread of its own.
  void serve();
  /// Stops listening, finishes the requests in progress and joins the server's threads.
  /// Idempotent.
  void stop();

  /// "host:port" actually bound (the port chosen when the address gave 0).
  const std::string& address() const { return address_; }

  class Server;  ///< httplib::Server with the parts of its state stop() needs (metrics_endpoint.cpp)

 private:
  std::unique_ptr<Server> server_;
  std::string address_;
  std::thread thread_;
  bool served_ = false;  ///< serve() was called (else the destructor closes the bound socket itself)
  std::atomic<bool> listen_returned_{false};
};

}  // namespace duroxide::runtime
