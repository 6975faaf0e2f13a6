#include "runtime/activity_thread.hpp"

namespace duroxide::runtime {

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
    thread_ = std::thread([shared = shared_] { loop(shared); });
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
