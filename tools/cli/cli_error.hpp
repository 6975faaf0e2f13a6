// Exit codes and the error a command stops with (docs/cli.md, "Exit codes").
#pragma once

#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include <duroxide/client.hpp>

namespace duroxide::cli {

/// What the process's exit status means. Stable: scripts rely on these numbers.
enum class ExitCode : int {
  Ok = 0,
  NotFound = 1,      ///< the instance (or execution) named does not exist
  Usage = 2,         ///< the command line is wrong: parse errors, bad values, no store URL
  StoreError = 3,    ///< the store cannot be opened or failed
  Failed = 4,        ///< wait: the instance finished Failed (cancelled included) or Terminated
  Timeout = 5,       ///< wait: --timeout passed before the instance finished
  Refused = 6,       ///< the instance's state forbids the command (e.g. delete a running instance)
  CannotListen = 7,  ///< serve: the dashboard's address cannot be bound (e.g. the port is in use)
};

/// Stops a command: main prints "duroxide: <message>" on stderr and exits with `code`.
class CliError : public std::runtime_error {
 public:
  CliError(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

/// The CliError for a failed client call: not found → NotFound, bad input → Usage, a refused
/// delete → Refused, the store failing (or having no management view) → StoreError. `what` says
/// what was being done, e.g. "reading instance 'x'".
CliError client_failure(const ClientError& error, const std::string& what);

/// The value of a client call, or the CliError client_failure() gives.
template <class T>
T require(ClientResult<T> result, const std::string& what) {
  if (!result) throw client_failure(result.error(), what);
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

/// "instance 'x' not found" (the id escaped).
CliError instance_not_found(const std::string& instance);

}  // namespace duroxide::cli
