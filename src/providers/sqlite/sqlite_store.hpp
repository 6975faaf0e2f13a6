#pragma once
// The private state of SqliteProvider: one connection guarded by one mutex (SQLite has a single
// writer anyway), the wake-up machinery of the long polls, and the helpers the store's translation
// units share (transactions, clock, lock tokens).

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <duroxide/sqlite_provider.hpp>

#include "providers/instance_changes.hpp"
#include "providers/sqlite/sqlite_database.hpp"
#include "providers/sqlite/sqlite_readers.hpp"
#include "providers/sqlite/sqlite_statement.hpp"
#include "providers/work_handoff.hpp"

// Early return of a failed ProviderResult inside a function returning ProviderResult<...>.
#define DUROXIDE_TRY(expr)                                            \
  do {                                                                \
    if (auto duroxide_try_result = (expr); !duroxide_try_result)      \
      return std::unexpected(std::move(duroxide_try_result.error())); \
  } while (0)
// Declares `name` bound to the value of a successful ProviderResult, else returns its error.
#define DUROXIDE_TRY_ASSIGN(name, expr)                                         \
  auto name##_result = (expr);                                                  \
  if (!name##_result) return std::unexpected(std::move(name##_result.error())); \
  auto& name = *name##_result

namespace duroxide {

/// The connection one read runs on (docs/storage.md, "Reads do not wait for the writer"): a
/// read-only connection of the pool for a file store, returned when the lease ends; for an
/// in-memory store, which has only the one connection, that connection with the store's mutex held.
class ReadLease {
 public:
  ReadLease(sqlite::ReaderPool& pool, std::unique_ptr<sqlite::Database> db) : pool_(&pool), own_(std::move(db)) {}
  ReadLease(std::mutex& mutex, sqlite::Database& db) : lock_(mutex), shared_(&db) {}
  ReadLease(ReadLease&&) noexcept = default;
  ReadLease(const ReadLease&) = delete;
  ReadLease& operator=(const ReadLease&) = delete;
  ReadLease& operator=(ReadLease&&) = delete;
  ~ReadLease() {
    if (own_) pool_->release(std::move(own_));
  }

  sqlite::Database& db() { return own_ ? *own_ : *shared_; }
  ProviderResult<sqlite::Statement> statement(std::string_view operation, const std::string& sql) {
    return sqlite::Statement::prepare(db(), operation, sql);
  }

 private:
  sqlite::ReaderPool* pool_ = nullptr;
  std::unique_ptr<sqlite::Database> own_;
  std::unique_lock<std::mutex> lock_;
  sqlite::Database* shared_ = nullptr;
};

/// Whether a long poll's attempt found something (one item, or a non-empty batch).
template <class T>
bool found_work(const std::optional<T>& item) {
  return item.has_value();
}
template <class T>
bool found_work(const std::vector<T>& items) {
  return !items.empty();
}

/// Which long-poll waiters a change concerns.
enum class WakeQueue { Orchestrator, Worker };

struct SqliteProvider::Store {
  Store(std::unique_ptr<sqlite::Database> database, SqliteOptions opts, bool file_backed);

  std::unique_ptr<sqlite::Database> db;
  SqliteOptions options;
  bool file_backed;
  /// Read-only connections of a file store; null in memory.
  std::unique_ptr<sqlite::ReaderPool> readers;

  /// A connection for a read that needs neither the writer's mutex nor the history cache. Takes
  /// the mutex itself for an in-memory store: the caller must not hold it.
  ProviderResult<ReadLease> read_connection() {
    if (!readers) return ReadLease(mutex, *db);
    auto reader = readers->acquire();
    if (!reader) return std::unexpected(reader.error());
    return ReadLease(*readers, std::move(*reader));
  }

  std::mutex mutex;  ///< guards db and the wake-up state below
  std::condition_variable orchestrator_cv;
  std::condition_variable worker_cv;
  std::uint64_t orchestrator_generation = 0;  ///< bumped by every change that may make work visible
  std::uint64_t worker_generation = 0;
  std::uint64_t wake_epoch = 0;  ///< bumped by wake_waiters(): waits that began earlier end
  // Provider::change_epoch: bumped by every committed turn of an instance.
  InstanceChanges changes;

  /// Activities an activity's ack claimed for its slot's next fetch, and what each fetch asked
  /// for (docs/storage.md, "Hand-off to idle workers"), guarded by `mutex`.
  providers::WorkHandOff work_handoff;
  /// Puts held items back in the queue, their attempt not counted (mutex held); failures are
  /// logged, and the item's lease then lapses instead.
  void release_held(const std::vector<std::string>& tokens);

  /// Milliseconds since the Unix epoch: the clock of every stored timestamp.
  static std::int64_t now_ms();
  /// A globally unique lock token.
  std::string new_lock_token();

  /// Records that work may have become visible and wakes the waiters (mutex held).
  void wake(WakeQueue queue);

  /// Statement on the connection (mutex held).
  ProviderResult<sqlite::Statement> statement(std::string_view operation, const std::string& sql) {
    return sqlite::Statement::prepare(*db, operation, sql);
  }

  // Test hooks (used by the validation suite's corruption checks): take the mutex themselves.
  ProviderResult<std::int64_t> run_for_tests(const std::string& sql, const std::string& text_param);
  /// The same with several text parameters, bound as ?1, ?2, ...
  ProviderResult<std::int64_t> run_for_tests(const std::string& sql, const std::vector<std::string>& text_params);
  ProviderResult<std::int64_t> query_int_for_tests(const std::string& sql, const std::string& text_param);
  /// Test hook (disk-full tests): lets the connection's database grow by `extra_pages` more pages
  /// only (PRAGMA max_page_count), so that writes needing more fail with SQLITE_FULL as on a full
  /// disk. Returns the cap in force.
  ProviderResult<std::int64_t> cap_growth_for_tests(std::int64_t extra_pages);

  /// Waits (mutex held by `lock`) until `queue` may have new work, `due_ms` (epoch ms) passes, the
  /// cross-process re-check interval elapses or `deadline` is reached.
  void wait_for_work(std::unique_lock<std::mutex>& lock, WakeQueue queue, std::optional<std::int64_t> due_ms,
                     std::chrono::steady_clock::time_point deadline);

  /// The single value `due_sql` (with ?1 bound to now) returns: the earliest future moment work may
  /// become fetchable, or nothing (mutex held).
  std::optional<std::int64_t> earliest_due(std::string_view operation, const std::string& due_sql);

  /// A long poll (docs/storage.md): runs `try_once` (a transaction, mutex held) until it yields an item
  /// or an error, waiting for wake-ups in between, until `poll_timeout` passes or wake_waiters()
  /// is called. `due_sql` finds when waiting work comes due.
  template <class TryOnce>
  auto long_poll(WakeQueue queue, std::chrono::milliseconds poll_timeout, std::string_view operation,
                 const std::string& due_sql, TryOnce try_once) -> decltype(try_once()) {
    const auto deadline = std::chrono::steady_clock::now() + poll_timeout;
    std::unique_lock lock(mutex);
    const auto epoch = wake_epoch;
    for (;;) {
      auto result = try_once();
      if (!result || found_work(*result)) return result;
      if (wake_epoch != epoch || std::chrono::steady_clock::now() >= deadline) return result;
      wait_for_work(lock, queue, earliest_due(operation, due_sql), deadline);
    }
  }

 private:
  std::uint64_t token_prefix_;
  std::uint64_t token_counter_ = 0;
};

/// BEGIN IMMEDIATE ... COMMIT, rolled back on destruction unless committed (mutex held).
class Transaction {
 public:
  static ProviderResult<Transaction> begin(sqlite::Database& db, std::string_view operation);
  Transaction(Transaction&& other) noexcept : db_(other.db_), operation_(other.operation_) { other.db_ = nullptr; }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  ProviderResult<void> commit();
  /// Forgets a transaction SQLite already rolled back itself (nothing to roll back on destruction).
  void abandon() { db_ = nullptr; }

 private:
  Transaction(sqlite::Database& db, std::string_view operation) : db_(&db), operation_(operation) {}
  sqlite::Database* db_;
  std::string_view operation_;
};

}  // namespace duroxide
