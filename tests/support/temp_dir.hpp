#pragma once
// A temporary directory for a test's store files, removed with the object.

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <system_error>

#include <fmt/format.h>

namespace duroxide::testing {

class TempDir {
 public:
  /// `prefix` names the suite in the directory's name (duroxide-<prefix>-<pid>-<n>).
  explicit TempDir(const std::string& prefix = "test") {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() / fmt::format("duroxide-{}-{}-{}", prefix, ::getpid(), counter++);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  /// An SQLite store URL for the file `name` in the directory.
  std::string url(const std::string& name = "store.db") const { return "sqlite:" + (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace duroxide::testing
