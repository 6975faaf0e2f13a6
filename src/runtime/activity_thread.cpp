#include "runtime/activity_thread.hpp"

namespace duroxide::runtime {

void LiveThreadCount::add() {
  std::lock_guard lock(mutex_);
  ++count_;
}

void LiveThreadCount::remove() {
  std::lock_guard lock(mutex_);
  --count_;
  cv_.notify_all();
}

bool LiveThreadCount::wait_until_zero(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  if (deadline == std::chrono::steady_clock::time_point::max()) {
    cv_.wait(lock, [&] { return count_ == 0; });
    return true;
  }
  return cv_.wait_until(lock, deadline, [&] { return count_ == 0; });
}

void ActivityThread::loop(const std::shared_ptr<Shared>& shared) {
  std::unique_lock lock(shared->mutex);
  for (;;) {
    shared->cv.wait(lock, [&] { return shared->job || shared->exit; });
    if (!shared->job) return;
    auto job = std::move(shared->job);
    shared->job = nullptr;
    lock.unlock();
    job();
    job = nullptr;  // release what the job captured before waiting for the next one
    lock.lock();
  }
}

void ActivityThread::run(std::function<void()> job) {
  if (!thread_.joinable()) {
    shared_ = std::make_shared<Shared>();
    if (live_) live_->add();
    thread_ = std::thread([shared = shared_, live = live_]() mutable {
      loop(shared);
      shared.reset();
      // Last: once the count drops, nothing the job captured is touched on this thread.
      if (live) live->remove();
    });
  }
  {
    std::lock_guard lock(shared_->mutex);
    shared_->job = std::move(job);
  }
  shared_->cv.notify_one();
}

void ActivityThread::release() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(shared_->mutex);
    shared_->exit = true;
  }
  shared_->cv.notify_one();
  thread_.detach();
  shared_.reset();
}

ActivityThread::~ActivityThread() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(shared_->mutex);
    shared_->exit = true;
  }
  shared_->cv.notify_one();
  thread_.join();
}

}  // namespace duroxide::runtime
