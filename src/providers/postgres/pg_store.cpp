// PostgresProvider: opening, the connection pool, the LISTEN thread and the wake-up state.
#include "providers/postgres/pg_store.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <random>

#include <fmt/format.h>

#include <duroxide/constants.hpp>

#include "logging/loggers.hpp"
#include "providers/postgres/pg_schema.hpp"
#include "providers/postgres/pg_url.hpp"

namespace duroxide {

PostgresProvider::Store::Store(std::string conninfo_, std::string schema_, std::size_t pool_size_,
                               PostgresOptions options_)
    : conninfo(std::move(conninfo_)), schema(std::move(schema_)), pool_size(pool_size_), options(options_) {
  std::random_device rd;
  node = fmt::format("{:016x}", (static_cast<std::uint64_t>(rd()) << 32) ^ rd());
}

PostgresProvider::Store::~Store() {
  stopping = true;
  if (listener.joinable()) listener.join();
}

PostgresProvider::Store::Lease::~Lease() {
  if (!conn_) return;
  std::lock_guard lock(store_->pool_mutex_);
  if (conn_->healthy()) {
    store_->idle_.push_back(std::move(conn_));
  } else {
    --store_->open_;  // broken: the next acquire opens a fresh one
    store_->own_backends_.erase(PQbackendPID(conn_->handle()));
  }
  store_->pool_cv_.notify_one();
}

ProviderResult<PostgresProvider::Store::Lease> PostgresProvider::Store::acquire(std::string_view operation) {
  {
    std::unique_lock lock(pool_mutex_);
    pool_cv_.wait(lock, [&] { return !idle_.empty() || open_ < pool_size; });
    while (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      if (!conn->closed_while_idle()) return Lease(*this, std::move(conn));
      // Closed by the server while it sat here: drop it rather than fail the caller's statement.
      --open_;
      own_backends_.erase(PQbackendPID(conn->handle()));
    }
    ++open_;
  }
  auto conn = pg::Connection::connect(conninfo, quoted_schema, operation, node);
  if (!conn) {
    std::lock_guard lock(pool_mutex_);
    --open_;
    pool_cv_.notify_one();
    return std::unexpected(conn.error());
  }
  {
    std::lock_guard lock(pool_mutex_);
    own_backends_.insert(PQbackendPID((*conn)->handle()));
  }
  return Lease(*this, std::move(*conn));
}

ProviderResult<pg::Result> PostgresProvider::Store::exec(std::string_view operation, const std::string& sql,
                                                         const std::vector<pg::Param>& params, pg::DbError* db_error) {
  DUROXIDE_PG_TRY_ASSIGN(conn, acquire(operation));
  return conn->exec(operation, sql, params, db_error);
}

std::string PostgresProvider::Store::new_lock_token() { return fmt::format("{}-{:x}", node, ++token_counter_); }

void PostgresProvider::Store::wake(PgWakeQueue queue, std::size_t count) {
  std::lock_guard lock(mutex);
  signal_of(queue).signal(count);
}

void PostgresProvider::Store::wake_all(PgWakeQueue queue) {
  std::lock_guard lock(mutex);
  signal_of(queue).signal_all();
}

void PostgresProvider::Store::changed(const std::string& instance) { changes.changed(instance); }

void PostgresProvider::Store::release_held(const std::vector<std::string>& tokens) {
  if (tokens.empty()) return;
  // Like an abandon that does not count the attempt: the item is queued again as it was.
  auto released = exec("release_held_work",
                       "UPDATE worker_queue SET lock_token = NULL, locked_until = NULL, "
                       "attempt_count = GREATEST(0, attempt_count - 1) WHERE lock_token = ANY ($1::text[])",
                       {pg::text_array(tokens)});
  if (!released) {
    logging::provider().warn(
        "postgres: giving {} held activities back to the queue failed (their leases lapse "
        "instead): {}",
        tokens.size(), released.error().to_string());
    return;
  }
  if (released->affected() > 0) {
    (void)exec("release_held_work", "SELECT dx_notify('work', '')");
    wake(PgWakeQueue::Worker, static_cast<std::size_t>(released->affected()));
  }
}

void PostgresProvider::Store::release_stale_held() {
  std::vector<std::string> stale;
  {
    std::lock_guard lock(mutex);
    if (work_handoff.held() == 0) return;
    work_handoff.sweep(std::chrono::steady_clock::now(), stale);
  }
  release_held(stale);
}

void PostgresProvider::Store::start_listener() {
  listener = std::thread([this] { listen_loop(); });
}

std::unique_ptr<pg::Connection> PostgresProvider::Store::open_listener() {
  auto opened = pg::Connection::connect(conninfo, quoted_schema, "listen", node);
  if (!opened) return nullptr;
  auto& conn = **opened;
  // Registered before it listens (so that the connection's last statement stays its LISTEN, which
  // is how tests and operators find it): notifications sent in between are not lost, because
  // their work was committed before we wake everybody once we listen.
  auto registered = conn.exec("listen",
                              "INSERT INTO listeners (node, backend_pid) VALUES ($1, pg_backend_pid()) "
                              "ON CONFLICT (node) DO UPDATE SET backend_pid = excluded.backend_pid, "
                              "registered_at = now()",
                              {node});
  if (!registered) return nullptr;
  // Calls that checked the registry before our row was committed did not notify us. Each holds
  // the table's ACCESS SHARE lock until it ends; waiting for ACCESS EXCLUSIVE waits them out.
  auto waited = conn.exec_script(
      "listen", "BEGIN; SET LOCAL lock_timeout = '10s'; LOCK TABLE listeners IN ACCESS EXCLUSIVE MODE; COMMIT");
  if (!waited) {
    (void)conn.exec_script("listen", "ROLLBACK");
    // Not fatal: a call that missed us is then found by the fetches' next re-poll (their poll
    // timeout), as a lost notification would be.
    logging::provider().warn(
        "postgres: could not wait for calls in flight while registering the LISTEN connection of schema "
        "'{}' ({}); work they wrote may be picked up late",
        schema, waited.error().to_string());
  }
  forget_dead_listeners(conn);
  auto names = conn.exec("listen", "SELECT dx_channel('orch'), dx_channel('work'), dx_channel('change')");
  if (!names) return nullptr;
  channel_orch_ = names->text(0, 0);
  channel_work_ = names->text(0, 1);
  channel_change_ = names->text(0, 2);
  auto listening = conn.exec_script(
      "listen", fmt::format("LISTEN {}; LISTEN {}; LISTEN {}", conn.quote_identifier(channel_orch_),
                            conn.quote_identifier(channel_work_), conn.quote_identifier(channel_change_)));
  if (!listening) return nullptr;
  return std::move(*opened);
}

void PostgresProvider::Store::forget_dead_listeners(pg::Connection& conn) {
  // A process that died without unregistering leaves its row; its server backend is gone.
  auto forgotten =
      conn.exec("listen", "DELETE FROM listeners WHERE backend_pid NOT IN (SELECT pid FROM pg_stat_activity)");
  if (!forgotten) {
    logging::provider().debug("postgres: clearing dead listeners of schema '{}' failed: {}", schema,
                              forgotten.error().to_string());
  }
}

void PostgresProvider::Store::listen_loop() {
  std::unique_ptr<pg::Connection> conn;
  bool warned = false;
  auto next_cleanup = std::chrono::steady_clock::time_point::max();
  auto wake_fetchers = [&] {
    std::lock_guard lock(mutex);
    orchestrator_signal.signal_all();
    worker_signal.signal_all();
  };
  auto wake_everybody = [&] {
    wake_fetchers();
    changes.changed_all();
  };
  bool ever_connected = false;
  auto pause = [&](std::chrono::milliseconds length) {
    const auto until = std::chrono::steady_clock::now() + length;
    while (!stopping && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  };
  while (!stopping) {
    // Every round (at most 100 ms apart): held items nobody took go back to the queue.
    release_stale_held();
    if (!conn) {
      conn = open_listener();
      if (!conn) {
        listener_up = false;
        if (!warned) {
          logging::provider().warn(
              "postgres: LISTEN connection for schema '{}' is down; fetches re-poll every {} ms until it is "
              "back",
              schema, options.fallback_poll_interval.count());
          warned = true;
        }
        pause(std::chrono::milliseconds(500));
        continue;
      }
      if (warned) logging::provider().info("postgres: LISTEN connection for schema '{}' is back", schema);
      warned = false;
      // After a reconnect anything may have happened while we were not listening. After the
      // first connect, calls that ended before our registration did not notify us, and our
      // fetches' last re-poll may have come before they committed: they look again. (Waiters for
      // an instance's change re-read on their own poll cap, as before any listener.) Woken before
      // `listener_up` is set, so a fetch that waits once it is set is never woken by this.
      wake_fetchers();
      if (ever_connected) changes.changed_all();
      ever_connected = true;
      listener_up = true;
      next_cleanup = std::chrono::steady_clock::now() + kListenerCleanupInterval;
    }
    if (std::chrono::steady_clock::now() >= next_cleanup) {
      // On a pooled connection: the listener's last statement stays its LISTEN.
      if (auto pooled = acquire("listen")) forget_dead_listeners(**pooled);
      next_cleanup = std::chrono::steady_clock::now() + kListenerCleanupInterval;
    }
    pollfd fd{PQsocket(conn->handle()), POLLIN, 0};
    const int ready = ::poll(&fd, 1, 100);
    if (ready < 0) continue;
    if (PQconsumeInput(conn->handle()) == 0 || !conn->healthy()) {
      const std::string why = pg::first_line(PQerrorMessage(conn->handle()));
      logging::provider().warn(
          "postgres: LISTEN connection for schema '{}' lost ({}); fetches re-poll every {} ms while it "
          "reconnects",
          schema, why, options.fallback_poll_interval.count());
      warned = true;  // so its return is logged too
      conn.reset();
      listener_up = false;
      wake_everybody();
      continue;
    }
    while (PGnotify* note = PQnotifies(conn->handle())) {
      const std::string channel = note->relname;
      const std::string payload = note->extra != nullptr ? note->extra : "";
      bool own = false;
      {
        std::lock_guard lock(pool_mutex_);
        own = own_backends_.contains(note->be_pid);
      }
      PQfreemem(note);
      // Our own pooled connections' writes were signalled locally when their call returned;
      // signalling them again would only wake every waiting fetch a second time for nothing.
      if (own) continue;
      if (channel == channel_orch_) {
        wake_all(PgWakeQueue::Orchestrator);
      } else if (channel == channel_work_) {
        wake_all(PgWakeQueue::Worker);
      } else if (channel == channel_change_) {
        changed(payload);
      }
    }
  }
  // Other processes stop notifying us (a crash leaves the row to forget_dead_listeners).
  if (conn) (void)conn->exec("listen", "DELETE FROM listeners WHERE node = $1", {node});
}

PostgresProvider::PostgresProvider(std::unique_ptr<Store> store) : store_(std::move(store)) {}

PostgresProvider::~PostgresProvider() {
  std::vector<std::string> held;
  {
    std::lock_guard lock(store_->mutex);
    held = store_->work_handoff.drain();
  }
  store_->release_held(held);
}

ProviderResult<std::shared_ptr<PostgresProvider>> PostgresProvider::open(const std::string& url,
                                                                         PostgresOptions options) {
  DUROXIDE_PG_TRY_ASSIGN(parsed, pg::parse_url(url));
  DUROXIDE_PG_TRY(pg::migrate(parsed.conninfo, parsed.schema));
  auto store = std::make_unique<Store>(parsed.conninfo, parsed.schema, parsed.pool_size, options);
  {
    // One connection now: proves the pool can connect and gives us the identifier quoting.
    auto first = pg::Connection::connect(parsed.conninfo, "", "open");
    if (!first) return std::unexpected(first.error());
    store->quoted_schema = (*first)->quote_identifier(parsed.schema);
  }
  store->start_listener();
  return std::shared_ptr<PostgresProvider>(new PostgresProvider(std::move(store)));
}

std::string PostgresProvider::version() const { return DUROXIDE_VERSION_STRING; }

void PostgresProvider::wake_waiters() {
  std::vector<std::string> held;
  {
    std::lock_guard lock(store_->mutex);
    ++store_->wake_epoch;
    store_->orchestrator_signal.notify_stop();
    store_->worker_signal.notify_stop();
    // A runtime stops: the fetches it would have handed these to are leaving.
    held = store_->work_handoff.drain();
  }
  store_->release_held(held);
}

std::uint64_t PostgresProvider::change_epoch(const std::string& instance) { return store_->changes.epoch(instance); }

void PostgresProvider::wait_for_change(const std::string& instance, std::uint64_t seen, Millis timeout) {
  store_->changes.wait(instance, seen, timeout);
}

}  // namespace duroxide
