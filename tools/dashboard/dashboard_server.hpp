// The web dashboard's server (docs/dashboard.md): the page and the JSON API over one store, on one
// address. `duroxide serve` runs it; tests start it in-process on port 0.
//
//   auto server = DashboardServer::bind(Client(store), options);   // checks, binds, or says why not
//   std::thread serving([&] { server.value()->run(); });
//   ... server.value()->stop(); serving.join();
#pragma once

#include <expected>
#include <memory>
#include <string>

#include <duroxide/client.hpp>

#include "listen_address.hpp"

namespace duroxide::dashboard {

struct DashboardOptions {
  ListenAddress listen;  ///< 127.0.0.1:8080 by default
  /// Required by every request when not empty; must not be empty on an address other than loopback.
  std::string token;
  /// Raise and cancel; refused with 403 otherwise.
  bool allow_writes = false;
  /// Shown on the page: the store's URL without its password.
  std::string store_label;
};

class DashboardServer {
 public:
  /// Checks the options (listen_policy_problem), sets up the routes and binds the address. The
  /// error says what is wrong (a refused address, a port in use).
  static std::expected<std::unique_ptr<DashboardServer>, std::string> bind(Client client, DashboardOptions options);

  ~DashboardServer();
  DashboardServer(const DashboardServer&) = delete;
  DashboardServer& operator=(const DashboardServer&) = delete;

  /// The address bound: with port 0 asked, the port the system picked.
  const ListenAddress& address() const;
  /// "http://HOST:PORT/".
  std::string url() const;

  /// Serves until stop() (from any thread, before or during run). False when listening failed.
  bool run();
  /// Stops accepting; run() returns once the requests in progress have been answered.
  void stop();

 private:
  struct State;
  explicit DashboardServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace duroxide::dashboard
