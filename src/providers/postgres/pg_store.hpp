#pragma once
// The private state of PostgresProvider: the connection pool, the LISTEN thread and the wake-up
// state of the long polls, and helpers the store's translation units share.

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <duroxide/postgres_provider.hpp>

#include "providers/instance_changes.hpp"
#include "providers/postgres/pg_connection.hpp"
#include "providers/postgres/pg_wake_signal.hpp"
#include "providers/work_handoff.hpp"

#define DUROXIDE_PG_TRY(expr)                                         \
  do {                                                                \
    if (auto duroxide_try_result = (expr); !duroxide_try_result)      \
      return std::unexpected(std::move(duroxide_try_result.error())); \
  } while (0)
#define DUROXIDE_PG_TRY_ASSIGN(name, expr)                                      \
  auto name##_result = (expr);                                                  \
  if (!name##_result) return std::unexpected(std::move(name##_result.error())); \
  auto& name = *name##_result

namespace duroxide {

enum class PgWakeQueue { Orchestrator, Worker };

struct PostgresProvider::Store {
  Store(std::string conninfo_, std::string schema_, std::size_t pool_size_, PostgresOptions options_);
  ~Store();

  const std::string conninfo;
  const std::string schema;
  const std::size_t pool_size;
  const PostgresOptions options;
  std::string quoted_schema;  ///< set by open()

  /// A pooled connection, returned on destruction (dropped when broken, so the next user reconnects).
  class Lease {
   public:
    Lease(Store& store, std::unique_ptr<pg::Connection> conn) : store_(&store), conn_(std::move(conn)) {}
    Lease(Lease&&) noexcept = default;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    pg::Connection& operator*() { return *conn_; }
    pg::Connection* operator->() { return conn_.get(); }

   private:
    Store* store_;
    std::unique_ptr<pg::Connection> conn_;
  };
  ProviderResult<Lease> acquire(std::string_view operation);

  /// One statement on a pooled connection.
  ProviderResult<pg::Result> exec(std::string_view operation, const std::string& sql,
                                  const std::vector<pg::Param>& params = {}, pg::DbError* db_error = nullptr);

  /// A globally unique lock token.
  std::string new_lock_token();

  // ---- wake-ups ----
  std::mutex mutex;
  pg::WakeSignal orchestrator_signal;
  pg::WakeSignal worker_signal;
  std::uint64_t wake_epoch = 0;
  InstanceChanges changes;  // Provider::change_epoch: bumped by every committed turn of an instance
  pg::WakeSignal& signal_of(PgWakeQueue queue) {
    return queue == PgWakeQueue::Orchestrator ? orchestrator_signal : worker_signal;
  }
  /// This process made `count` items of `queue` claimable: wakes up to that many waiting fetches.
  void wake(PgWakeQueue queue, std::size_t count = 1);
  /// Someone else changed `queue` (a notification of another process): wakes every waiting fetch.
  void wake_all(PgWakeQueue queue);
  void changed(const std::string& instance);
  /// Activities this process's acks locked for its idle worker fetches (guarded by `mutex`).
  providers::WorkHandOff work_handoff;
  /// Gives held items back to the queue (stale, or at shutdown); best effort, errors logged.
  void release_held(const std::vector<std::string>& tokens);
  /// Gives back held items past their window (the LISTEN thread calls it every round).
  void release_stale_held();

  // ---- LISTEN thread ----
  std::atomic<bool> listener_up{false};
  std::atomic<bool> stopping{false};
  std::thread listener;
  void start_listener();
  void listen_loop();
  /// This provider's random name: in the schema's listener registry (docs/storage.md, "Wake-ups:
  /// who is told"), as `duroxide.node` on every pooled connection so its calls do not notify for
  /// it alone, and as the prefix of its lock tokens.
  std::string node;
  /// Connects, registers the node and LISTENs; null on failure.
  std::unique_ptr<pg::Connection> open_listener();
  /// Removes the registrations of listeners whose server backend is gone.
  void forget_dead_listeners(pg::Connection& conn);
  static constexpr std::chrono::seconds kListenerCleanupInterval{30};

  /// What one query of a long poll learned besides its item.
  struct PollHint {
    /// Nothing was claimable: ms until the earliest future item or lock expiry (nothing: none).
    std::optional<std::int64_t> due_in;
    /// An item was claimed and nothing else was claimable for this fetcher then: its next poll
    /// need not query before a signal or `idle_due_in` ms (docs/storage.md, "Wake-ups").
    bool idle_after_claim = false;
    std::optional<std::int64_t> idle_due_in;
  };

  /// Items a long poll may find in this process instead of the store (the worker hand-off):
  /// `take` is asked before every query, `idle(true)` and `idle(false)` bracket every wait; both
  /// are called with `mutex` held.
  template <class T>
  struct LocalItems {
    std::function<std::optional<T>()> take;
    std::function<void(bool)> idle;
  };

  /// A long poll: runs `try_once` until it yields an item or an error, waiting for wake-ups (or
  /// the due time it reports, in ms from now) in between, until `poll_timeout` or wake_waiters().
  /// `fetcher` names what the fetch can claim (its filters): a poll that claimed an item and saw
  /// nothing else claimable leaves an idle record, and the next poll of the same fetcher waits
  /// instead of querying while no signal has come since and no due time has passed. Polls without
  /// a wait (timeout 0) and polls while the LISTEN connection is down always query.
  template <class T>
  ProviderResult<std::optional<T>> long_poll(PgWakeQueue queue, std::chrono::milliseconds poll_timeout,
                                             const std::string& fetcher,
                                             const std::function<ProviderResult<std::optional<T>>(PollHint&)>& try_once,
                                             const LocalItems<T>* local = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + poll_timeout;
    std::uint64_t epoch = 0;
    auto& signal = signal_of(queue);
    auto& idle = idle_of(queue);
    bool skip_query = false;
    std::uint64_t generation = 0;
    std::chrono::steady_clock::time_point idle_until;
    {
      std::lock_guard lock(mutex);
      epoch = wake_epoch;
      if (poll_timeout.count() > 0 && idle.valid && idle.fetcher == fetcher && idle.generation == signal.generation() &&
          listener_up.load() && std::chrono::steady_clock::now() < idle.until) {
        skip_query = true;
        generation = idle.generation;
        idle_until = idle.until;
      }
    }
    bool chosen = false;  // woken by a counted signal for an item this fetch may not be able to claim
    for (;;) {
      if (local) {
        std::lock_guard lock(mutex);
        if (auto held = local->take()) return std::optional<T>(std::move(*held));
      }
      PollHint hint;
      ProviderResult<std::optional<T>> result = std::optional<T>();
      if (skip_query) {
        skip_query = false;  // the next round queries
      } else {
        {
          std::lock_guard lock(mutex);
          generation = signal.generation();
        }
        idle_until = std::chrono::steady_clock::time_point::max();
        result = try_once(hint);
        if (result && result->has_value()) {
          std::lock_guard lock(mutex);
          idle = IdleRecord{};
          if (hint.idle_after_claim) {
            idle = IdleRecord{true, generation, fetcher,
                              hint.idle_due_in
                                  ? std::chrono::steady_clock::now() +
                                        std::chrono::milliseconds(std::max<std::int64_t>(0, *hint.idle_due_in))
                                  : std::chrono::steady_clock::time_point::max()};
          }
          return result;
        }
      }
      std::unique_lock lock(mutex);
      // The item it was woken for is for someone else (a session's owner, another filter), or
      // was already taken: let every waiter look (pg_wake_signal.hpp).
      if (chosen) signal.signal_all();
      if (!result) return result;
      if (wake_epoch != epoch || std::chrono::steady_clock::now() >= deadline) return result;
      auto until = std::min(deadline, idle_until);
      if (hint.due_in && *hint.due_in >= 0)
        until = std::min(until, std::chrono::steady_clock::now() + std::chrono::milliseconds(*hint.due_in + 1));
      // Without the LISTEN connection nobody tells us about other processes' writes: re-poll.
      if (!listener_up.load())
        until = std::min(until, std::chrono::steady_clock::now() + options.fallback_poll_interval);
      if (local) local->idle(true);
      const auto woken = signal.wait(lock, generation, until, [&] { return wake_epoch != epoch; });
      if (local) local->idle(false);
      if (woken == pg::WakeSignal::Woken::Stopped) return result;
      chosen = woken == pg::WakeSignal::Woken::Permit;
    }
  }

 private:
  /// A poll that claimed the last claimable item of `fetcher` at signal generation `generation`
  /// (guarded by `mutex`; see long_poll).
  struct IdleRecord {
    bool valid = false;
    std::uint64_t generation = 0;
    std::string fetcher;
    std::chrono::steady_clock::time_point until;
  };
  IdleRecord orchestrator_idle_;
  IdleRecord worker_idle_;
  IdleRecord& idle_of(PgWakeQueue queue) {
    return queue == PgWakeQueue::Orchestrator ? orchestrator_idle_ : worker_idle_;
  }

  std::mutex pool_mutex_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<pg::Connection>> idle_;
  std::size_t open_ = 0;
  /// Server process ids of our pooled connections: their change notifications were already
  /// signalled locally when the ack returned, so the listener does not signal them a second time.
  std::set<int> own_backends_;
  std::atomic<std::uint64_t> token_counter_{0};
  std::string channel_orch_;
  std::string channel_work_;
  std::string channel_change_;
  friend class Lease;
};

}  // namespace duroxide
