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
  token_prefix_ = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
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
  auto conn = pg::Connection::connect(conninfo, quoted_schema, operation);
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

std::string PostgresProvider::Store::new_lock_token() {
  return fmt::format("{:016x}-{:x}", token_prefix_, ++token_counter_);
}

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
    (void)exec("release_held_work", "SELECT pg_notify(dx_channel('work'), '')");
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

void PostgresProvider::Store::listen_loop() {
  std::unique_ptr<pg::Connection> conn;
  bool warned = false;
  bool ever_connected = false;
  auto wake_everybody = [&] {
    {
      std::lock_guard lock(mutex);
      orchestrator_signal.signal_all();
      worker_signal.signal_all();
    }
    changes.changed_all();
  };
  auto pause = [&](std::chrono::milliseconds length) {
    const auto until = std::chrono::steady_clock::now() + length;
    while (!stopping && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  };
  while (!stopping) {
    // Every round (at most 100 ms apart): held items nobody took go back to the queue.
    release_stale_held();
    if (!conn) {
      auto opened = pg::Connection::connect(conninfo, quoted_schema, "listen");
      if (opened) {
        auto names = (*opened)->exec("listen", "SELECT dx_channel('orch'), dx_channel('work'), dx_channel('change')");
        if (names) {
          channel_orch_ = names->text(0, 0);
          channel_work_ = names->text(0, 1);
          channel_change_ = names->text(0, 2);
          auto listening = (*opened)->exec_script(
              "listen",
              fmt::format("LISTEN {}; LISTEN {}; LISTEN {}", (*opened)->quote_identifier(channel_orch_),
                          (*opened)->quote_identifier(channel_work_), (*opened)->quote_identifier(channel_change_)));
          if (listening) conn = std::move(*opened);
        }
      }
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
      listener_up = true;
      // After a reconnect anything may have happened while we were not listening; the first
      // connect missed nothing (fetches before it re-polled on their own).
      if (ever_connected) wake_everybody();
      ever_connected = true;
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
