// Runs the provider validation suite against the PostgreSQL store: every provider gets a fresh
// random schema on the server named by DUROXIDE_TEST_PG_URL, dropped when the factory goes.
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>
#include <libpq-fe.h>

#include <duroxide/postgres_provider.hpp>

#include "provider/postgres_test_support.hpp"
#include "provider/validation/validation_suites.hpp"

namespace duroxide::validation {
namespace {

class PostgresFactory : public ProviderFactory {
 public:
  ~PostgresFactory() override {
    for (const auto& schema : schemas_) pg_test::drop_schema(schema);
  }

  std::string label() const override { return "postgres"; }

  std::shared_ptr<Provider> create_provider() override {
    const auto schema = pg_test::random_schema("dxv");
    {
      std::lock_guard lock(mutex_);
      schemas_.push_back(schema);
    }
    auto opened = PostgresProvider::open(pg_test::url_with_schema(schema));
    if (!opened) throw std::runtime_error(opened.error().to_string());
    std::lock_guard lock(mutex_);
    provider_schema_[opened->get()] = schema;
    return *opened;
  }

  std::chrono::milliseconds lock_timeout() const override { return std::chrono::seconds(1); }
  // A network round trip per call: "immediately" gets more room than an embedded store.
  std::chrono::milliseconds short_poll_threshold() const override { return std::chrono::milliseconds(300); }
  bool is_long_poll() const override { return true; }
  bool supports_corruption_hooks() const override { return true; }

  void corrupt_instance_history(Provider& provider, const std::string& instance) override {
    run(provider, "UPDATE history SET event_data = 'NOT_VALID_JSON{{{' WHERE instance_id = $1", {instance});
  }

  void insert_raw_worker_row(Provider& provider, const std::optional<std::string>& instance,
                             std::optional<std::uint64_t> execution_id, std::optional<std::uint64_t> activity_id,
                             const std::string& raw_text) override {
    run(provider,
        "INSERT INTO worker_queue (work_item, visible_at, instance_id, execution_id, activity_id) VALUES ($1, 0, $2, "
        "$3::bigint, $4::bigint)",
        {raw_text, instance, execution_id ? std::optional<std::string>(std::to_string(*execution_id)) : std::nullopt,
         activity_id ? std::optional<std::string>(std::to_string(*activity_id)) : std::nullopt});
  }

  void insert_raw_orchestrator_row(Provider& provider, const std::string& instance,
                                   const std::string& raw_text) override {
    run(provider, "INSERT INTO orchestrator_queue (instance_id, work_item, visible_at) VALUES ($1, $2, 0)",
        {instance, raw_text});
  }

  void set_current_execution_id(Provider& provider, const std::string& instance, std::uint64_t execution_id) override {
    run(provider, "UPDATE instances SET current_execution_id = $2::bigint WHERE instance_id = $1",
        {instance, std::to_string(execution_id)});
  }

  std::uint32_t get_max_attempt_count(Provider& provider, const std::string& instance) override {
    auto value = run(provider, "SELECT COALESCE(MAX(attempt_count), 0) FROM orchestrator_queue WHERE instance_id = $1",
                     {instance});
    return static_cast<std::uint32_t>(std::stoul(value));
  }

 private:
  std::string run(Provider& provider, const std::string& sql, const std::vector<std::optional<std::string>>& params) {
    std::string schema;
    {
      std::lock_guard lock(mutex_);
      schema = provider_schema_.at(&provider);
    }
    return pg_test::run_sql(schema, sql, params);
  }

  std::mutex mutex_;
  std::vector<std::string> schemas_;
  std::map<const Provider*, std::string> provider_schema_;
};

}  // namespace

std::vector<FactoryParam> registered_factories() { return {std::make_shared<PostgresFactory>()}; }

}  // namespace duroxide::validation
