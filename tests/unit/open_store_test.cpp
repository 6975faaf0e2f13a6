// open_store (docs/storage.md, "Store URLs"): the URL's scheme picks the store.
#include <gtest/gtest.h>

#include <filesystem>

#include <duroxide/open_store.hpp>

namespace duroxide {
namespace {

TEST(UnitOpenStore, SqliteUrlsOpenTheSqliteStore) {
  auto memory = open_store("sqlite::memory:");
  ASSERT_TRUE(memory.has_value()) << memory.error().to_string();
  EXPECT_EQ((*memory)->name(), "sqlite");

  const auto path = std::filesystem::temp_directory_path() / "duroxide-open-store-test.db";
  std::filesystem::remove(path);
  auto file = open_store("sqlite:" + path.string());
  ASSERT_TRUE(file.has_value()) << file.error().to_string();
  EXPECT_EQ((*file)->name(), "sqlite");
  EXPECT_TRUE(std::filesystem::exists(path));
  file->reset();
  std::filesystem::remove(path);
}

TEST(UnitOpenStore, PostgresUrlsGoToThePostgresStore) {
  // Nothing listens on port 1: the PostgreSQL store's own error, naming the server, proves the
  // URL reached it (no server is needed for this).
  for (const char* url : {"postgres://nobody@127.0.0.1:1/db", "postgresql://nobody@127.0.0.1:1/db"}) {
    auto store = open_store(url);
    ASSERT_FALSE(store.has_value()) << url;
    EXPECT_NE(store.error().to_string().find("127.0.0.1"), std::string::npos) << store.error().to_string();
  }
}

TEST(UnitOpenStore, AnUnknownUrlIsAPermanentErrorListingTheForms) {
  for (const char* url : {"", "mysql://x", "sqlite", "file:/tmp/x.db"}) {
    auto store = open_store(url);
    ASSERT_FALSE(store.has_value()) << url;
    EXPECT_FALSE(store.error().is_retryable());
    const auto text = store.error().to_string();
    EXPECT_NE(text.find("unknown store URL"), std::string::npos) << text;
    EXPECT_NE(text.find("sqlite:PATH"), std::string::npos) << text;
    EXPECT_NE(text.find("postgres://"), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace duroxide
