#pragma once
// Helpers of the PostgreSQL tests that steer the server while a store works: a schema dropped with
// the test, a store whose connections carry a unique application_name (so a test finds its own
// backends in pg_stat_activity and never touches a neighbour's), a connection of the test's
// own that can hold a transaction open, and one that listens as another process would.

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include <duroxide/postgres_provider.hpp>

#include "provider/postgres_test_support.hpp"
#include "providers/postgres/pg_store.hpp"

namespace duroxide::pg_test {

struct SchemaGuard {
  explicit SchemaGuard(std::string name) : schema(std::move(name)) {}
  ~SchemaGuard() { drop_schema(schema); }
  std::string schema;
};

/// Polls `condition` every 10 ms until it holds or a generous deadline passes.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::seconds deadline = std::chrono::seconds(60)) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

inline bool contains_ignoring_case(std::string haystack, std::string needle) {
  auto lower = [](std::string& s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  };
  lower(haystack);
  lower(needle);
  return haystack.find(needle) != std::string::npos;
}

/// A connection of the test's own, outside the store, that can keep a transaction open.
class SqlSession {
 public:
  explicit SqlSession(const std::string& schema) : conn_(PQconnectdb(base_url().c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK)
      throw std::runtime_error(std::string("test session: ") + PQerrorMessage(conn_));
    char* quoted = PQescapeIdentifier(conn_, schema.c_str(), schema.size());
    quoted_schema_ = quoted;
    PQfreemem(quoted);
    exec("SET search_path = " + quoted_schema_);
  }
  ~SqlSession() { PQfinish(conn_); }
  SqlSession(const SqlSession&) = delete;
  SqlSession& operator=(const SqlSession&) = delete;

  void exec(const std::string& sql) {
    PGresult* res = PQexec(conn_, sql.c_str());
    const auto status = PQresultStatus(res);
    std::string error = PQresultErrorMessage(res);
    PQclear(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) throw std::runtime_error("test session: " + error);
  }
  /// Takes `table` of the store's schema in ACCESS EXCLUSIVE mode inside an open transaction:
  /// every statement of the store that touches it waits until release().
  void lock_table(const std::string& table) {
    exec("BEGIN");
    exec(fmt::format("LOCK TABLE {}.{} IN ACCESS EXCLUSIVE MODE", quoted_schema_, table));
  }
  void release() { exec("ROLLBACK"); }

 private:
  PGconn* conn_;
  std::string quoted_schema_;
};

/// A connection that LISTENs on one channel, as another process's listener would.
class ChannelListener {
 public:
  explicit ChannelListener(const std::string& channel) : conn_(PQconnectdb(base_url().c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) throw std::runtime_error(std::string("listener: ") + PQerrorMessage(conn_));
    char* quoted = PQescapeIdentifier(conn_, channel.c_str(), channel.size());
    PQclear(PQexec(conn_, (std::string("LISTEN ") + quoted).c_str()));
    PQfreemem(quoted);
  }
  ~ChannelListener() { PQfinish(conn_); }
  ChannelListener(const ChannelListener&) = delete;
  ChannelListener& operator=(const ChannelListener&) = delete;

  /// Registers this connection in `schema`'s listener registry under a node of its own, as a
  /// provider's listener does (docs/storage.md, "Wake-ups: who is told"), so stores notify it.
  void register_in(const std::string& schema) {
    run_sql(schema, "INSERT INTO listeners (node, backend_pid) VALUES ($1, $2)",
            {random_schema("test-listener"), std::to_string(PQbackendPID(conn_))});
  }

  /// The payloads of the notifications that arrive before one carrying `marker`.
  std::vector<std::string> payloads_before(const std::string& marker) {
    std::vector<std::string> seen;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd fd{PQsocket(conn_), POLLIN, 0};
      (void)::poll(&fd, 1, 100);
      if (PQconsumeInput(conn_) == 0) throw std::runtime_error(std::string("listener: ") + PQerrorMessage(conn_));
      while (PGnotify* note = PQnotifies(conn_)) {
        std::string payload = note->extra;
        PQfreemem(note);
        if (payload == marker) return seen;
        seen.push_back(payload);
      }
    }
    throw std::runtime_error("the marker notification never arrived");
  }

 private:
  PGconn* conn_;
};

/// A store on a fresh schema whose connections carry a unique application_name.
struct StoreUnderTest {
  explicit StoreUnderTest(const std::string& schema, const std::string& extra = "", PostgresOptions options = {})
      : application_name(random_schema("dxapp")) {
    auto opened = PostgresProvider::open(url_with_schema(schema) + "&application_name=" + application_name + extra,
                                         std::move(options));
    if (!opened) throw std::runtime_error(opened.error().to_string());
    provider = std::move(*opened);
  }
  std::string application_name;
  std::shared_ptr<PostgresProvider> provider;
};

/// A store that never re-polls on its own (the fallback interval applies only while its LISTEN
/// connection is down), returned once that connection is up: only a wake-up ends a fetch's wait
/// from then on (the listener's first-connect wake-up comes before it counts as up).
/// `extra` is appended to the URL.
inline std::unique_ptr<StoreUnderTest> open_listening_store(const std::string& schema, const std::string& extra = "") {
  PostgresOptions options;
  options.fallback_poll_interval = std::chrono::hours(1);
  auto store = std::make_unique<StoreUnderTest>(schema, extra, options);
  const bool listening = eventually([&] { return store->provider->store().listener_up.load(); });
  if (!listening) throw std::runtime_error("the store's LISTEN connection never came up");
  return store;
}

/// The pid of a backend of the store that waits for a lock, once there is one.
inline std::string wait_for_backend_waiting_on_lock(const std::string& application_name) {
  std::string pid;
  const bool found = eventually([&] {
    pid = run_sql("",
                  "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = "
                  "'Lock' LIMIT 1",
                  {application_name});
    return !pid.empty();
  });
  if (!found) throw std::runtime_error("no backend of " + application_name + " ever waited for a lock");
  return pid;
}

}  // namespace duroxide::pg_test
