// What every example needs besides its workflow: open the store named on the command line (or a
// private in-memory one) and stop with a message when something fails.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <duroxide/duroxide.hpp>

namespace example {

/// The store argv[1] names ("sqlite:PATH", "postgres://…"; duroxide::open_store), else a private
/// in-memory one.
inline std::shared_ptr<duroxide::Provider> open_store(int argc, char** argv) {
  auto store = duroxide::open_store(argc > 1 ? argv[1] : "sqlite::memory:");
  if (!store) {
    std::fprintf(stderr, "cannot open the store: %s\n", store.error().to_string().c_str());
    std::exit(1);
  }
  return *store;
}

/// The value of a client call, or exit with its error.
template <class T>
T check(duroxide::ClientResult<T> result, const char* what) {
  if (!result) {
    std::fprintf(stderr, "%s failed: %s\n", what, result.error().to_string().c_str());
    std::exit(1);
  }
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

/// Waits for the instance and returns its output (or its failure message).
inline std::string outcome(const duroxide::Client& client, const std::string& instance) {
  auto status = check(client.wait_for_orchestration(instance, std::chrono::seconds(30)), "wait_for_orchestration");
  if (const auto* done = status.get_if<duroxide::status::Completed>()) return done->output;
  return "failed: " + status.get_if<duroxide::status::Failed>()->details.display_message();
}

}  // namespace example
