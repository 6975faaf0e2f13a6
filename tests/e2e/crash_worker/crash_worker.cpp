// The process the crash-recovery test kills: a runtime over the given SQLite file, running until
// it is killed (SIGKILL at a random moment) or its stdin closes.
//   crash_worker sqlite:PATH
#include <cstdio>
#include <iostream>
#include <string>

#include "mixed_workflow.hpp"

int main(int argc, char** argv) {
  using namespace duroxide;
  if (argc != 2) {
    std::fprintf(stderr, "usage: crash_worker sqlite:PATH\n");
    return 2;
  }
  auto store = SqliteProvider::open(argv[1]);
  if (!store) {
    std::fprintf(stderr, "crash_worker: %s\n", store.error().to_string().c_str());
    return 1;
  }
  RuntimeOptions options;
  options.dispatcher_min_poll_interval = std::chrono::milliseconds(10);
  // Short locks: work held by a killed process is picked up again quickly.
  options.orchestrator_lock_timeout = std::chrono::seconds(1);
  options.worker_lock_timeout = std::chrono::seconds(2);
  options.worker_lock_renewal_buffer = std::chrono::seconds(1);
  options.session_idle_timeout = std::chrono::seconds(5);
  options.orchestration_concurrency = 4;
  options.worker_concurrency = 4;
  auto runtime = Runtime::start(*store, testing::crash::activities(), testing::crash::orchestrations(), options);
  // Runs until killed; a closed stdin is the polite way to stop it.
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  runtime->shutdown(std::chrono::seconds(5));
  return 0;
}
