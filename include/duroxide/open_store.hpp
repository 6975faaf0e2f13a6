// open_store: a store from its URL, so a program (an example, a tool) can take the store on its
// command line and run on SQLite or PostgreSQL alike (docs/storage.md, "Store URLs").
#pragma once

#include <memory>
#include <string>

#include <duroxide/provider.hpp>

namespace duroxide {

/// Opens the store a URL names, with default options:
///   "sqlite:PATH"            an SQLite file (created if missing), see SqliteProvider::open;
///   "sqlite::memory:"        a private in-memory SQLite store;
///   "postgres://…" or "postgresql://…"  a PostgreSQL schema, see PostgresProvider::open.
/// Any other form is a permanent error that lists these.
ProviderResult<std::shared_ptr<Provider>> open_store(const std::string& url);

}  // namespace duroxide
