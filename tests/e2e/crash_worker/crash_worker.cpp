// The process the crash-recovery and multi-process tests start (and kill): a runtime over the
// given SQLite file, running until it is killed (SIGKILL at a random moment) or its stdin closes.
//   crash_worker sqlite:PATH              runs the runtime; exits 0 after a clean shutdown
//   crash_worker --open-only sqlite:PATH  waits for stdin to close (a start line shared by many
//                                         processes), opens the store once and exits: 0 when the
//                                         open succeeded, 1 (error on stderr) when it failed
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "mixed_workflow.hpp"

namespace {

/// Blocks until stdin is closed: the polite stop signal, and the start line of --open-only.
void wait_for_stdin_to_close() {
  std::string line;
  while (std::getline(std::cin, line)) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace duroxide;
  const bool open_only = argc == 3 && std::strcmp(argv[1], "--open-only") == 0;
  if (argc != 2 && !open_only) {
    std::fprintf(stderr, "usage: crash_worker [--open-only] sqlite:PATH\n");
    return 2;
  }
  const char* url = argv[argc - 1];
  if (open_only) wait_for_stdin_to_close();
  auto store = SqliteProvider::open(url);
  if (!store) {
    std::fprintf(stderr, "crash_worker: %s\n", store.error().to_string().c_str());
    return 1;
  }
  if (open_only) return 0;
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
  wait_for_stdin_to_close();
  runtime->shutdown(std::chrono::seconds(5));
  return 0;
}
