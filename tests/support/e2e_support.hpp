// Shared set-up of the end-to-end suites: a store, a runtime and a client in one object, fast
// runtime options, and bounded waits on conditions (never sleeps as synchronisation).
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <duroxide/duroxide.hpp>
#include <duroxide/postgres_provider.hpp>

#include "provider/postgres_test_support.hpp"
#include "support/temp_dir.hpp"

namespace duroxide::testing {

using namespace std::chrono_literals;

/// Whether this run keeps the instance cache off: CMake registers the SQLite suites a second time
/// (CacheOff.*) with DUROXIDE_E2E_INSTANCE_CACHE=off, so every scenario also runs replaying each
/// turn from its history (docs/testing.md, "Cache on and off").
inline bool e2e_cache_off() {
  const char* cache = std::getenv("DUROXIDE_E2E_INSTANCE_CACHE");
  return cache != nullptr && std::string_view(cache) == "off";
}

/// Options for tests: 10 ms idle polling so nothing waits on default intervals; the instance cache
/// as this run asks (above).
inline RuntimeOptions fast_options() {
  RuntimeOptions options;
  options.dispatcher_min_poll_interval = std::chrono::milliseconds(10);
  if (e2e_cache_off()) options.instance_cache_max_sessions = 0;
  return options;
}

inline std::shared_ptr<SqliteProvider> memory_store() {
  auto store = SqliteProvider::open_in_memory();
  if (!store) throw std::runtime_error(store.error().to_string());
  return *store;
}

inline std::shared_ptr<SqliteProvider> disk_store(const std::string& url) {
  auto store = SqliteProvider::open(url);
  if (!store) throw std::runtime_error(store.error().to_string());
  return *store;
}

/// The store fixture. The suites that are not about SQLite run on both stores: CMake registers
/// them a second time with DUROXIDE_E2E_STORE=postgres (docs/testing.md); otherwise SQLite.
inline bool e2e_on_postgres() {
  const char* kind = std::getenv("DUROXIDE_E2E_STORE");
  return kind != nullptr && std::string_view(kind) == "postgres";
}

namespace detail {
/// Opens the PostgreSQL store on `schema` of the test server (fails the test when there is none).
inline std::shared_ptr<PostgresProvider> open_postgres(const std::string& schema, PostgresOptions options = {}) {
  auto store = PostgresProvider::open(pg_test::url_with_schema(schema), options);
  if (!store) throw std::runtime_error(store.error().to_string());
  return *store;
}

/// A PostgreSQL store and its schema: the schema is dropped once the store is closed, so every
/// test leaves the server as it found it.
struct OwnedPostgresStore {
  std::string schema;
  std::shared_ptr<PostgresProvider> provider;
  ~OwnedPostgresStore() {
    provider.reset();
    pg_test::drop_schema(schema);
  }
};
}  // namespace detail

/// The store of a test that is not about SQLite: in-memory SQLite, or PostgreSQL on a fresh schema
/// dropped with the last reference to the store. `max_payload_bytes` lowers the store's size limit.
inline std::shared_ptr<Provider> test_store(std::optional<std::size_t> max_payload_bytes = std::nullopt) {
  if (!e2e_on_postgres()) {
    if (!max_payload_bytes) return memory_store();
    SqliteOptions options;
    options.max_payload_bytes = *max_payload_bytes;
    auto store = SqliteProvider::open_in_memory(options);
    if (!store) throw std::runtime_error(store.error().to_string());
    return *store;
  }
  PostgresOptions options;
  if (max_payload_bytes) options.max_payload_bytes = *max_payload_bytes;
  auto owned = std::make_shared<detail::OwnedPostgresStore>();
  owned->schema = pg_test::random_schema("e2e");
  owned->provider = detail::open_postgres(owned->schema, options);
  // Aliasing: callers see the Provider, the control block keeps the schema owner alive.
  return std::shared_ptr<Provider>(owned, owned->provider.get());
}

/// A durable store a test opens more than once (a restart, a second runtime): a SQLite file in a
/// temporary directory, or a PostgreSQL schema; removed with the object, so declare it before
/// everything that holds one of its stores.
class DurableStore {
 public:
  DurableStore() {
    if (e2e_on_postgres()) schema_ = pg_test::random_schema("e2e");
  }
  ~DurableStore() {
    if (!schema_.empty()) pg_test::drop_schema(schema_);
  }
  DurableStore(const DurableStore&) = delete;
  DurableStore& operator=(const DurableStore&) = delete;

  /// A new store object over the same data.
  std::shared_ptr<Provider> open() const {
    if (!schema_.empty()) return detail::open_postgres(schema_);
    return disk_store(dir_.url());
  }

 private:
  TempDir dir_;  // unused on PostgreSQL; an empty directory is cheap
  std::string schema_;
};

/// Polls `condition` every few milliseconds until it holds or `timeout` passes; returns whether it held.
inline bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

/// Blocks an activity until the runtime asks it to stop (cancellation or shutdown), or until
/// `limit` passes when one is given; returns whether it was asked to stop.
inline bool wait_for_stop(const ActivityContext& ctx, std::optional<std::chrono::milliseconds> limit = std::nullopt) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  auto stop = ctx.stop_token();
  if (!limit) {
    cv.wait(lock, stop, [] { return false; });
  } else {
    (void)cv.wait_for(lock, stop, *limit, [] { return false; });
  }
  return stop.stop_requested();
}

/// Waits until the instance's latest history has an event satisfying `predicate`.
inline bool wait_for_history_event(Provider& store, const std::string& instance,
                                   const std::function<bool(const Event&)>& predicate,
                                   std::chrono::milliseconds timeout = 10s) {
  return wait_until(
      [&] {
        auto history = store.read(instance);
        if (!history) return false;
        for (const auto& event : *history) {
          if (predicate(event)) return true;
        }
        return false;
      },
      timeout);
}

template <class Kind>
bool wait_for_event_kind(Provider& store, const std::string& instance, std::chrono::milliseconds timeout = 10s) {
  return wait_for_history_event(
      store, instance, [](const Event& e) { return e.is<Kind>(); }, timeout);
}

/// A store, a runtime over it and a client: the usual shape of an end-to-end test.
struct E2eEnv {
  std::shared_ptr<Provider> store;
  std::shared_ptr<Runtime> runtime;
  Client client;

  E2eEnv(std::shared_ptr<Provider> s, ActivityRegistry activities, OrchestrationRegistry orchestrations,
         RuntimeOptions options = fast_options())
      : store(std::move(s)),
        runtime(Runtime::start(store, std::move(activities), std::move(orchestrations), std::move(options))),
        client(store) {}
  E2eEnv(ActivityRegistry activities, OrchestrationRegistry orchestrations, RuntimeOptions options = fast_options())
      : E2eEnv(test_store(), std::move(activities), std::move(orchestrations), std::move(options)) {}
  ~E2eEnv() {
    if (runtime) runtime->shutdown(5s);
  }

  /// Waits for a terminal status; fails the test on timeout or error.
  OrchestrationStatus wait(const std::string& instance, std::chrono::milliseconds timeout = 10s) {
    auto status = client.wait_for_orchestration(instance, timeout);
    if (!status) {
      ADD_FAILURE() << "wait_for_orchestration(" << instance << "): " << status.error().to_string();
      return OrchestrationStatus{status::NotFound{}};
    }
    return *status;
  }
  /// The output of a Completed instance ("" and a test failure otherwise).
  std::string output_of(const std::string& instance, std::chrono::milliseconds timeout = 10s) {
    auto status = wait(instance, timeout);
    if (const auto* completed = status.get_if<status::Completed>()) return completed->output;
    // Built with append: GCC 12 at -O3 reports a false -Wrestrict for `" " + std::string`.
    std::string outcome(status.name());
    if (const auto* failed = status.get_if<status::Failed>())
      outcome.append(" ").append(failed->details.display_message());
    ADD_FAILURE() << instance << " did not complete: " << outcome;
    return "";
  }
  std::vector<Event> history(const std::string& instance) {
    auto events = store->read(instance);
    if (!events) ADD_FAILURE() << "read(" << instance << "): " << events.error().to_string();
    return events ? *events : std::vector<Event>{};
  }
};

}  // namespace duroxide::testing
