// open_store (docs/storage.md, "Store URLs").
#include <duroxide/open_store.hpp>
#include <duroxide/postgres_provider.hpp>
#include <duroxide/sqlite_provider.hpp>

namespace duroxide {

namespace {

bool starts_with(const std::string& text, std::string_view prefix) { return text.rfind(prefix, 0) == 0; }

template <class T>
ProviderResult<std::shared_ptr<Provider>> as_provider(ProviderResult<std::shared_ptr<T>> opened) {
  if (!opened) return std::unexpected(std::move(opened.error()));
  return std::shared_ptr<Provider>(std::move(*opened));
}

}  // namespace

ProviderResult<std::shared_ptr<Provider>> open_store(const std::string& url) {
  if (url == "sqlite::memory:") return as_provider(SqliteProvider::open_in_memory());
  if (starts_with(url, "sqlite:")) return as_provider(SqliteProvider::open(url));
  if (starts_with(url, "postgres://") || starts_with(url, "postgresql://")) {
    return as_provider(PostgresProvider::open(url));
  }
  return std::unexpected(ProviderError::permanent(
      "open_store", "unknown store URL '" + url +
                        "': expected sqlite:PATH, sqlite::memory: or postgres://user@host:port/db?schema=NAME"));
}

}  // namespace duroxide
