// Runs the provider validation suite against the SQLite store, on a file and in memory.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <stdexcept>

#include <fmt/format.h>

#include <duroxide/sqlite_provider.hpp>

#include "provider/validation/validation_suites.hpp"
#include "providers/sqlite/sqlite_store.hpp"

namespace duroxide::validation {
namespace {

class SqliteFactory : public ProviderFactory {
 public:
  explicit SqliteFactory(bool file_backed) : file_backed_(file_backed) {}
  ~SqliteFactory() override {
    std::error_code ignored;
    if (file_backed_) std::filesystem::remove_all(directory(), ignored);
  }

  std::string label() const override { return file_backed_ ? "file" : "memory"; }

  std::shared_ptr<Provider> create_provider() override {
    if (!file_backed_) return value_or_throw(SqliteProvider::open_in_memory());
    static std::atomic<int> counter{0};
    const auto dir = directory();
    std::filesystem::create_directories(dir);
    const auto path = dir / fmt::format("store-{}.db", counter++);
    std::filesystem::remove(path);
    return value_or_throw(SqliteProvider::open("sqlite:" + path.string()));
  }

  // One second keeps the lock-expiry checks short; the suite waits it out.
  std::chrono::milliseconds lock_timeout() const override { return std::chrono::seconds(1); }
  bool is_long_poll() const override { return true; }
  bool supports_corruption_hooks() const override { return true; }

  void corrupt_instance_history(Provider& provider, const std::string& instance) override {
    auto& store = dynamic_cast<SqliteProvider&>(provider).store();
    auto done =
        store.run_for_tests("UPDATE history SET event_data = 'NOT_VALID_JSON{{{' WHERE instance_id = ?1", instance);
    if (!done) throw std::runtime_error(done.error().to_string());
  }

  void insert_raw_worker_row(Provider& provider, const std::optional<std::string>& instance,
                             std::optional<std::uint64_t> execution_id, std::optional<std::uint64_t> activity_id,
                             const std::string& raw_text) override {
    auto& store = dynamic_cast<SqliteProvider&>(provider).store();
    // Absent columns are bound as NULL through NULLIF on an empty text.
    auto done = store.run_for_tests(
        "INSERT INTO worker_queue (work_item, visible_at, attempt_count, instance_id, execution_id, activity_id, "
        "created_at) VALUES (?1, 0, 0, NULLIF(?2, ''), CAST(NULLIF(?3, '') AS INTEGER), "
        "CAST(NULLIF(?4, '') AS INTEGER), 0)",
        {raw_text, instance.value_or(""), execution_id ? std::to_string(*execution_id) : "",
         activity_id ? std::to_string(*activity_id) : ""});
    if (!done) throw std::runtime_error(done.error().to_string());
  }

  void insert_raw_orchestrator_row(Provider& provider, const std::string& instance,
                                   const std::string& raw_text) override {
    auto& store = dynamic_cast<SqliteProvider&>(provider).store();
    auto done = store.run_for_tests(
        "INSERT INTO orchestrator_queue (instance_id, work_item, visible_at, attempt_count, created_at) VALUES (?1, "
        "?2, 0, 0, 0)",
        {instance, raw_text});
    if (!done) throw std::runtime_error(done.error().to_string());
  }

  void set_current_execution_id(Provider& provider, const std::string& instance, std::uint64_t execution_id) override {
    auto& store = dynamic_cast<SqliteProvider&>(provider).store();
    auto done = store.run_for_tests(
        "UPDATE instances SET current_execution_id = CAST(?2 AS INTEGER) WHERE "
        "instance_id = ?1",
        {instance, std::to_string(execution_id)});
    if (!done) throw std::runtime_error(done.error().to_string());
  }

  std::uint32_t get_max_attempt_count(Provider& provider, const std::string& instance) override {
    auto& store = dynamic_cast<SqliteProvider&>(provider).store();
    auto value = store.query_int_for_tests(
        "SELECT COALESCE(MAX(attempt_count), 0) FROM orchestrator_queue WHERE instance_id = ?1", instance);
    if (!value) throw std::runtime_error(value.error().to_string());
    return static_cast<std::uint32_t>(*value);
  }

 private:
  static std::filesystem::path directory() {
    return std::filesystem::temp_directory_path() / fmt::format("duroxide-validation-{}", ::getpid());
  }
  static std::shared_ptr<Provider> value_or_throw(ProviderResult<std::shared_ptr<SqliteProvider>> opened) {
    if (!opened) throw std::runtime_error(opened.error().to_string());
    return *opened;
  }
  bool file_backed_;
};

}  // namespace

std::vector<FactoryParam> registered_factories() {
  return {std::make_shared<SqliteFactory>(true), std::make_shared<SqliteFactory>(false)};
}

}  // namespace duroxide::validation
