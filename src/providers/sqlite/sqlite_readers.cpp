#include "providers/sqlite/sqlite_readers.hpp"

namespace duroxide::sqlite {

ProviderResult<std::unique_ptr<Database>> ReaderPool::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto db = std::move(idle_.back());
      idle_.pop_back();
      return db;
    }
  }
  return Database::open_reader(path_);
}

void ReaderPool::release(std::unique_ptr<Database> db) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(db));
}

}  // namespace duroxide::sqlite
