// The process the crash-recovery and multi-process tests start (and kill): a runtime over the
// given store, running until it is killed (SIGKILL at a random moment) or its stdin closes.
//   crash_worker [--session-log FILE] [--max-sessions N] URL
//                                          runs the runtime; exits 0 after a clean shutdown. URL is
//                                          sqlite:PATH or postgres://...?schema=NAME; with
//                                          --session-log, session activity runs are recorded in FILE;
//                                          --max-sessions caps the sessions this process owns
//   crash_worker --open-only URL           waits for stdin to close (a start line shared by many
//                                          processes), opens the store once and exits: 0 when the
//                                          open succeeded, 1 (error on stderr) when it failed
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <duroxide/postgres_provider.hpp>

#include "mixed_workflow.hpp"

namespace {

/// Blocks until stdin is closed: the polite stop signal, and the start line of --open-only.
void wait_for_stdin_to_close() {
  std::string line;
  while (std::getline(std::cin, line)) {
  }
}

int usage() {
  std::fprintf(stderr, "usage: crash_worker [--open-only | --session-log FILE --max-sessions N] URL\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace duroxide;
  bool open_only = false;
  std::shared_ptr<testing::crash::SessionLog> session_log;
  std::optional<std::size_t> max_sessions;
  int arg = 1;
  for (; arg < argc - 1; ++arg) {
    if (std::strcmp(argv[arg], "--open-only") == 0) {
      open_only = true;
    } else if (std::strcmp(argv[arg], "--session-log") == 0 && arg + 1 < argc - 1) {
      session_log = std::make_shared<testing::crash::SessionLog>(argv[++arg]);
    } else if (std::strcmp(argv[arg], "--max-sessions") == 0 && arg + 1 < argc - 1) {
      max_sessions = std::stoul(argv[++arg]);
    } else {
      return usage();
    }
  }
  if (arg != argc - 1) return usage();
  const std::string url = argv[arg];
  if (open_only) wait_for_stdin_to_close();
  // Either store (duroxide::open_store): one worker serves the single-machine and multi-node tests.
  auto store = duroxide::open_store(url);
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
  // A killed owner's sessions pass to another process after 4 s. Renewed every 2 s, so a process
  // starved of CPU on a busy machine still keeps its sessions.
  options.session_lock_timeout = std::chrono::seconds(4);
  options.session_lock_renewal_buffer = std::chrono::seconds(2);
  options.session_idle_timeout = std::chrono::seconds(5);
  if (max_sessions) options.max_sessions_per_runtime = *max_sessions;
  options.orchestration_concurrency = 4;
  options.worker_concurrency = 4;
  auto runtime =
      Runtime::start(*store, testing::crash::activities(session_log), testing::crash::orchestrations(), options);
  // Runs until killed; a closed stdin is the polite way to stop it.
  wait_for_stdin_to_close();
  runtime->shutdown(std::chrono::seconds(5));
  return 0;
}
