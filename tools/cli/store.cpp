#include "store.hpp"

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include <duroxide/open_store.hpp>

#include "cli_error.hpp"
#include "text.hpp"

namespace duroxide::cli {

namespace {

constexpr std::string_view kSqliteScheme = "sqlite:";
constexpr std::string_view kSqliteMemory = "sqlite::memory:";

bool is_postgres_url(std::string_view url) {
  return url.starts_with("postgres://") || url.starts_with("postgresql://");
}

/// The file an sqlite: URL names, read as duroxide's SqliteProvider reads it ("sqlite:PATH" or
/// "sqlite://PATH").
std::string sqlite_path(std::string_view url) {
  std::string_view path = url.substr(kSqliteScheme.size());
  if (path.starts_with("//")) path.remove_prefix(2);
  return std::string(path);
}

}  // namespace

std::string redact_url(std::string_view url) {
  std::string out(url);
  if (const auto scheme_end = out.find("://"); scheme_end != std::string::npos) {
    const auto authority = scheme_end + 3;
    const auto authority_end = out.find_first_of("/?#", authority);
    const auto at = out.rfind('@', authority_end == std::string::npos ? std::string::npos : authority_end);
    if (at != std::string::npos && at >= authority) {
      const auto colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // libpq also takes the password as a parameter.
  for (auto key = out.find("password="); key != std::string::npos; key = out.find("password=", key + 1)) {
    if (key != 0 && out[key - 1] != '?' && out[key - 1] != '&') continue;
    const auto value = key + 9;
    const auto end = out.find('&', value);
    out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
  }
  return out;
}

std::shared_ptr<Provider> open_cli_store(const std::string& url) {
  if (url.empty()) {
    throw CliError(ExitCode::Usage, fmt::format("no store: pass --store URL or set {} (sqlite:PATH or "
                                                "postgres://user@host:port/db)",
                                                kStoreEnvironmentVariable));
  }
  const std::string shown = escape(redact_url(url));
  const bool sqlite = url.starts_with(kSqliteScheme);
  if (!sqlite && !is_postgres_url(url)) {
    throw CliError(
        ExitCode::Usage,
        fmt::format("unsupported store URL '{}': expected sqlite:PATH or postgres://user@host:port/db", shown));
  }
  if (sqlite && url != kSqliteMemory) {
    const auto path = sqlite_path(url);
    if (path.empty()) throw CliError(ExitCode::Usage, fmt::format("store URL '{}' names no file", shown));
    std::error_code error;
    if (!std::filesystem::exists(path, error)) {
      throw CliError(ExitCode::StoreError,
                     fmt::format("cannot open store '{}': {}", shown,
                                 error ? error.message() : "the file does not exist (the tool never creates a store)"));
    }
  }
  auto store = duroxide::open_store(url);
  if (!store) {
    throw CliError(ExitCode::StoreError,
                   fmt::format("cannot open store '{}': {}", shown, one_line(store.error().to_string())));
  }
  return std::move(*store);
}

}  // namespace duroxide::cli
