// cpp-httplib (Debian: libcpp-httplib-dev) serves the endpoint: small, in Debian, and the server
// the dashboard of #15 uses too (docs/runtime-features.md, "The /metrics endpoint", says why).
#include "runtime/metrics_endpoint.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "logging/loggers.hpp"
#include "runtime/metrics_token.hpp"

namespace duroxide::runtime {

namespace {

/// The content type Prometheus expects of the text exposition format 0.0.4.
constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

/// Connections are closed after a second without a request and reads and writes time out after
/// two: stop() waits for the server's threads, so a scraper that stalls delays shutdown by that much
/// at most. Two threads answer: a scrape is cheap and rare.
constexpr time_t kKeepAliveSeconds = 1;
constexpr time_t kReadWriteTimeoutSeconds = 2;
constexpr std::size_t kServerThreads = 2;
constexpr std::size_t kMaxRequestBody = 4096;

}  // namespace

class MetricsEndpoint::Server final : public httplib::Server {
 public:
  /// Closes a socket that was bound but never served (httplib closes it only when listening stops).
  void close_unserved_socket() {
    const socket_t socket = svr_sock_.exchange(INVALID_SOCKET);
    if (socket != INVALID_SOCKET) ::close(socket);
  }
};

std::pair<int, std::string> health_response(const RuntimeHealth& health) {
  const nlohmann::ordered_json body = {
      // members in this order: status first, for people reading it
      {"status", health.all_threads_alive ? "ok" : "unavailable"},
      {"threads_started", health.threads_started},
      {"threads_alive", health.threads_alive},
      {"stopped_threads", health.stopped_threads},
      {"errors_caught", health.errors_caught},
  };
  return {health.all_threads_alive ? 200 : 503, body.dump() + "\n"};
}

MetricsEndpoint::MetricsEndpoint(const ListenAddress& address, std::optional<std::string> token,
                                 EndpointContent content)
    : server_(std::make_unique<Server>()) {
  auto& server = *server_;
  // Without SO_REUSEPORT (httplib's default sets it): a second runtime on the same port must fail
  // to bind instead of silently sharing the connections of the first.
  server.set_socket_options([](socket_t socket) {
    const int yes = 1;
    (void)::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server.new_task_queue = [] { return new httplib::ThreadPool(kServerThreads); };
  server.set_keep_alive_timeout(kKeepAliveSeconds);
  server.set_read_timeout(kReadWriteTimeoutSeconds);
  server.set_write_timeout(kReadWriteTimeoutSeconds);
  server.set_payload_max_length(kMaxRequestBody);

  if (token) {
    server.set_pre_routing_handler(
        [token = std::move(*token)](const httplib::Request& request, httplib::Response& response) {
          if (bearer_token_matches(request.get_header_value("Authorization"), token)) {
            return httplib::Server::HandlerResponse::Unhandled;
          }
          response.status = 401;
          response.set_header("WWW-Authenticate", "Bearer realm=\"duroxide\"");
          response.set_content("401 unauthorized: send Authorization: Bearer <token>\n", "text/plain; charset=utf-8");
          return httplib::Server::HandlerResponse::Handled;
        });
  }
  server.Get("/metrics", [render = content.prometheus_text](const httplib::Request&, httplib::Response& response) {
    response.set_content(render(), kPrometheusContentType);
  });
  server.Get("/healthz", [health = content.health](const httplib::Request&, httplib::Response& response) {
    auto [status, body] = health_response(health());
    response.status = status;
    response.set_content(body, "application/json");
  });

  errno = 0;
  int port = -1;
  if (address.port == 0) {
    port = server.bind_to_any_port(address.host);
  } else if (server.bind_to_port(address.host, address.port)) {
    port = address.port;
  }
  if (port < 0) {
    const int error = errno;  // what bind() or getaddrinfo() left; httplib reports only failure
    throw std::runtime_error(fmt::format(
        "Runtime::start: cannot serve metrics on {} (RuntimeOptions::metrics_listen): {}", address.to_string(),
        error != 0 ? std::strerror(error) : "the host does not resolve or the address cannot be bound"));
  }
  address_ = ListenAddress{address.host, static_cast<std::uint16_t>(port)}.to_string();
}

MetricsEndpoint::~MetricsEndpoint() {
  if (served_) {
    stop();
  } else {
    server_->close_unserved_socket();
  }
}

void MetricsEndpoint::serve() {
  if (served_) return;
  served_ = true;
  thread_ = std::thread([this] {
    if (!server_->listen_after_bind()) logging::runtime().error("metrics endpoint {} stopped listening", address_);
    listen_returned_ = true;
  });
  // httplib's stop() does nothing before listening has begun: wait for it, so that a shutdown
  // right after start cannot leave the thread listening forever. A moment at most.
  while (!server_->is_running() && !listen_returned_) std::this_thread::yield();
  logging::runtime().info("serving /metrics and /healthz on {}", address_);
}

void MetricsEndpoint::stop() {
  if (!thread_.joinable()) return;
  // After a listening loop that ended by itself, httplib's stop() would close its socket again.
  if (!listen_returned_) server_->stop();
  thread_.join();
}

}  // namespace duroxide::runtime
