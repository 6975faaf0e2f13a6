#pragma once
// Read-only connections to a file store (docs/storage.md, "Reads do not wait for the writer"):
// status, KV and management reads run on one of these instead of the writer's connection, so they
// neither wait for the store's mutex nor hold it. WAL lets them read the last committed state while
// the writer writes.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "providers/sqlite/sqlite_database.hpp"

namespace duroxide::sqlite {

class ReaderPool {
 public:
  explicit ReaderPool(std::string path) : path_(std::move(path)) {}

  /// An idle connection, or a newly opened one when all are in use (reads never wait for each other).
  ProviderResult<std::unique_ptr<Database>> acquire();
  /// Returns a connection; beyond kMaxIdle idle ones it is closed.
  void release(std::unique_ptr<Database> db);

  /// Idle connections kept open between reads.
  static constexpr std::size_t kMaxIdle = 4;

 private:
  std::string path_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Database>> idle_;
};

}  // namespace duroxide::sqlite
