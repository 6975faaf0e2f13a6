// The store a command works on: from --store or DUROXIDE_STORE, opened with duroxide::open_store
// (docs/cli.md, "Choosing the store").
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <duroxide/provider.hpp>

namespace duroxide::cli {

/// The environment variable read when --store is absent.
inline constexpr const char* kStoreEnvironmentVariable = "DUROXIDE_STORE";

/// Opens the store `url` names. Throws CliError: Usage when `url` is empty or of no known form,
/// StoreError when the store cannot be opened (an SQLite file that does not exist included: the
/// tool never creates a store).
std::shared_ptr<Provider> open_cli_store(const std::string& url);

/// `url` with any password replaced by "***", for messages.
std::string redact_url(std::string_view url);

}  // namespace duroxide::cli
