#include "dashboard_server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <set>

#include <fmt/format.h>
#include <httplib.h>

#include "access_policy.hpp"
#include "api.hpp"
#include "request_input.hpp"
#include "web_assets.hpp"

namespace duroxide::dashboard {

namespace {

/// httplib's server with a stop that also works before run() has started listening (its own
/// stop() does nothing until then, so a stop racing a start would be lost).
class StoppableServer : public httplib::Server {
 public:
  void close_listener() {
    const auto socket = svr_sock_.exchange(INVALID_SOCKET);
    if (socket == INVALID_SOCKET) return;
    ::shutdown(socket, SHUT_RDWR);  // wakes an accept() in progress
    ::close(socket);
  }
};

/// SO_REUSEADDR only: a restarted dashboard can bind while the old connections linger, but a second
/// one cannot share a port that is in use (httplib's default, SO_REUSEPORT, would let it).
void exclusive_port_socket_options(socket_t socket) {
  int yes = 1;
  ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

using ApiHandler = std::function<ApiReply(const ApiContext&, const httplib::Request&)>;

/// The API's paths and their method, for telling an unknown path (404) from a wrong method (405).
const std::map<std::string, std::string>& api_methods() {
  static const std::map<std::string, std::string> methods{
      {"/", "GET"},
      {"/api/config", "GET"},
      {"/api/instances", "GET"},
      {"/api/instance", "GET"},
      {"/api/history", "GET"},
      {"/api/metrics", "GET"},
      {"/api/raise-event", "POST"},
      {"/api/cancel", "POST"},
      {"/api/terminate", "POST"},
      {"/api/suspend", "POST"},
      {"/api/resume", "POST"},
      {"/api/rewind", "POST"},
      {"/api/schedules", "GET"},
      {"/api/schedule/create", "POST"},
      {"/api/schedule/pause", "POST"},
      {"/api/schedule/resume", "POST"},
      {"/api/schedule/delete", "POST"},
  };
  return methods;
}

}  // namespace

struct DashboardServer::State {
  State(ApiContext api_context, ListenAddress listen) : api(std::move(api_context)), address(std::move(listen)) {}

  ApiContext api;
  AccessPolicy policy;  ///< set once the port is known
  ListenAddress address;
  StoppableServer http;

  /// False (with the refusal answered) when the request may not go on.
  bool admit(const httplib::Request& request, httplib::Response& response, RequestKind kind) const {
    const auto refusal = check_access(policy, request, kind);
    if (!refusal) return true;
    if (refusal->status == 401) response.set_header("WWW-Authenticate", "Bearer");
    if (kind == RequestKind::Page) {
      response.status = refusal->status;
      response.set_content(refusal->message + "\n", "text/plain; charset=utf-8");
    } else {
      send_error(response, refusal->status, refusal->message);
    }
    return false;
  }

  void api_route(const httplib::Request& request, httplib::Response& response, RequestKind kind,
                 const ApiHandler& handler) const {
    if (!admit(request, response, kind)) return;
    try {
      const auto reply = handler(api, request);
      send_json(response, reply.status, reply.body);
    } catch (const HttpError& error) {
      send_error(response, error.status(), error.what());
    } catch (const std::exception& error) {
      send_error(response, 500, fmt::format("internal error: {}", error.what()));
    }
  }

  void page_route(const httplib::Request& request, httplib::Response& response) const {
    if (!admit(request, response, RequestKind::Page)) return;
    const auto nonce = new_nonce();
    response.set_header("Content-Security-Policy", page_security_policy(nonce));
    response.set_content(render_page(nonce), "text/html; charset=utf-8");
  }

  /// Any other path or method: 404 or 405, once the request has shown its token.
  void unknown_route(const httplib::Request& request, httplib::Response& response) const {
    if (!admit(request, response, RequestKind::Read)) return;
    const auto known = api_methods().find(request.path);
    if (known == api_methods().end()) {
      send_error(response, 404, fmt::format("no such page or endpoint: {}", request.path));
      return;
    }
    response.set_header("Allow", known->second);
    send_error(response, 405, fmt::format("{} takes {}, not {}", request.path, known->second, request.method));
  }

  void add_routes() {
    using httplib::Request;
    using httplib::Response;
    http.Get("/", [this](const Request& request, Response& response) { page_route(request, response); });
    const auto read = [this](const char* path, ApiHandler handler) {
      http.Get(path, [this, handler = std::move(handler)](const Request& request, Response& response) {
        api_route(request, response, RequestKind::Read, handler);
      });
    };
    const auto write = [this](const char* path, ApiHandler handler) {
      http.Post(path, [this, handler = std::move(handler)](const Request& request, Response& response) {
        api_route(request, response, RequestKind::Write, handler);
      });
    };
    read("/api/config", get_config);
    read("/api/instances", list_instances);
    read("/api/instance", get_instance);
    read("/api/history", get_history);
    read("/api/metrics", get_metrics);
    write("/api/raise-event", raise_event);
    write("/api/cancel", cancel_instance);
    write("/api/terminate", terminate_instance);
    write("/api/suspend", suspend_instance);
    write("/api/resume", resume_instance);
    write("/api/rewind", rewind_instance);
    read("/api/schedules", list_schedules);
    write("/api/schedule/create", create_schedule);
    write("/api/schedule/pause", pause_schedule);
    write("/api/schedule/resume", resume_schedule);
    write("/api/schedule/delete", delete_schedule);
    const auto unknown = [this](const Request& request, Response& response) { unknown_route(request, response); };
    http.Get(".*", unknown);
    http.Post(".*", unknown);
    http.Put(".*", unknown);
    http.Patch(".*", unknown);
    http.Delete(".*", unknown);
    http.Options(".*", unknown);

    // Errors httplib answers by itself (a body over the limit, a request it cannot parse) get a
    // JSON body too.
    http.set_error_handler(httplib::Server::HandlerWithResponse([](const Request&, Response& response) {
      if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      send_error(response, response.status,
                 response.status == 413 ? fmt::format("the request body is too large: at most {} bytes", kMaxBodyBytes)
                                        : fmt::format("the request could not be served (HTTP {})", response.status));
      return httplib::Server::HandlerResponse::Handled;
    }));
    http.set_exception_handler(
        [](const Request&, Response& response, std::exception_ptr) { send_error(response, 500, "internal error"); });
    http.set_default_headers({{"Cache-Control", "no-store"},
                              {"X-Content-Type-Options", "nosniff"},
                              {"Referrer-Policy", "no-referrer"},
                              {"X-Frame-Options", "DENY"}});
    http.set_payload_max_length(kMaxBodyBytes);
    // Idle keep-alive connections hold a worker until this passes, and stop() waits for them.
    http.set_keep_alive_timeout(2);
  }
};

std::expected<std::unique_ptr<DashboardServer>, std::string> DashboardServer::bind(Client client,
                                                                                   DashboardOptions options) {
  if (auto problem = listen_policy_problem(options.listen, options.token)) return std::unexpected(*problem);
  auto state =
      std::make_unique<State>(ApiContext{std::move(client), options.store_label, options.allow_writes}, options.listen);
  state->http.set_socket_options(exclusive_port_socket_options);
  errno = 0;
  const int port =
      options.listen.port == 0
          ? state->http.bind_to_any_port(options.listen.host)
          : (state->http.bind_to_port(options.listen.host, options.listen.port) ? options.listen.port : -1);
  if (port < 0) {
    const int error = errno;
    return std::unexpected(fmt::format("cannot listen on {}: {}", options.listen.to_string(),
                                       error != 0 ? std::strerror(error) : "the address cannot be bound"));
  }
  state->address.port = static_cast<std::uint16_t>(port);
  state->policy = make_access_policy(state->address, options.token, options.allow_writes);
  state->add_routes();
  return std::unique_ptr<DashboardServer>(new DashboardServer(std::move(state)));
}

DashboardServer::DashboardServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

DashboardServer::~DashboardServer() { stop(); }

const ListenAddress& DashboardServer::address() const { return state_->address; }

std::string DashboardServer::url() const { return fmt::format("http://{}/", state_->address.to_string()); }

bool DashboardServer::run() { return state_->http.listen_after_bind(); }

void DashboardServer::stop() { state_->http.close_listener(); }

}  // namespace duroxide::dashboard
