#pragma once
// The change counters behind Provider::change_epoch and wait_for_change, shared by the stores
// (docs/storage.md, "Wake-ups, not sleeps").
//
// A client waiting for one instance re-reads its status every time the counter it watches moves,
// and each read is a query. Instances share counters by hash, so a waiter also wakes for the turns
// of every instance in its bucket. With many clients waiting at once (a server holding a request
// open per running instance, say), 64 buckets meant each commit woke about 1/64 of all waiters for
// nothing; 4,096 buckets make a collision rare (500 running instances fill about 12% of them), for
// 4,096 counters and condition variables, about 230 KiB per store.

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace duroxide {

class InstanceChanges {
 public:
  static constexpr std::size_t kBuckets = 4096;

  static std::size_t bucket_of(const std::string& instance) { return std::hash<std::string>{}(instance) % kBuckets; }

  /// The counter `instance` shares with the others of its bucket.
  std::uint64_t epoch(const std::string& instance) const {
    std::lock_guard lock(mutex_);
    return (*buckets_)[bucket_of(instance)].epoch;
  }

  /// Returns once epoch(instance) differs from `seen`, or after `timeout`.
  void wait(const std::string& instance, std::uint64_t seen, std::chrono::milliseconds timeout) {
    auto& bucket = (*buckets_)[bucket_of(instance)];
    std::unique_lock lock(mutex_);
    bucket.changed.wait_for(lock, timeout, [&] { return bucket.epoch != seen; });
  }

  /// A turn of `instance` committed.
  void changed(const std::string& instance) {
    auto& bucket = (*buckets_)[bucket_of(instance)];
    {
      std::lock_guard lock(mutex_);
      ++bucket.epoch;
    }
    bucket.changed.notify_all();
  }

  /// Anything may have changed (a lost notification connection): every waiter looks again.
  void changed_all() {
    {
      std::lock_guard lock(mutex_);
      for (auto& bucket : *buckets_) ++bucket.epoch;
    }
    for (auto& bucket : *buckets_) bucket.changed.notify_all();
  }

 private:
  struct Bucket {
    std::uint64_t epoch = 0;
    std::condition_variable changed;
  };
  mutable std::mutex mutex_;
  // On the heap: 230 KiB is too much for a stack or an object that may live on one.
  std::unique_ptr<std::array<Bucket, kBuckets>> buckets_ = std::make_unique<std::array<Bucket, kBuckets>>();
};

}  // namespace duroxide
