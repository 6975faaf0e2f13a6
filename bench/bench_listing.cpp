// bench_listing: paginated instance listing on a big store (docs/storage.md, "Listing instances").
//
//   bench_listing [--instances 1000000] [--store sqlite|postgres://user@host:port/db] [--dir PATH]
//
// Fills a fresh store with N finished and running instances (written by SQL in one transaction:
// the instance and execution rows a runtime would have written; N real orchestrations would take
// many minutes), then times pages through ProviderAdmin::list_instances_page: the first page with
// each kind of filter, a page deep down a cursor chain, and, for contrast, the unpaginated
// list_instances. One JSON line per measurement: median and slowest of the repetitions, in ms.
// Progress goes to stderr.
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <duroxide/postgres_provider.hpp>
#include <duroxide/sqlite_provider.hpp>

namespace {

using namespace duroxide;
using Clock = std::chrono::steady_clock;

// Of every 100 instances: 1 failed (always of orchestration Order7), 5 running, the rest
// completed; 10 orchestration names; the creation times spread over 30 days.
constexpr std::int64_t kSpanMs = 30LL * 24 * 3600 * 1000;

void progress(const std::string& text) { std::cerr << "bench_listing: " << text << std::endl; }

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

/// The rows, as one INSERT ... SELECT per table over a counter `n` from 0 to N-1 (`counter` is the
/// store's way of writing that range).
std::vector<std::string> fill_statements(const std::string& counter, std::int64_t base_ms, std::int64_t instances) {
  const auto created = fmt::format("({} + n * {} / {})", base_ms, kSpanMs, instances);
  const auto status = "CASE WHEN n % 100 = 7 THEN 'Failed' WHEN n % 100 < 5 THEN 'Running' ELSE 'Completed' END";
  return {
      fmt::format("INSERT INTO instances (instance_id, orchestration_name, orchestration_version, "
                  "current_execution_id, created_at, updated_at) SELECT 'inst-' || n, 'Order' || (n % 10), '1.0.0', "
                  "1, {0}, {0} FROM {1}",
                  created, counter),
      fmt::format(
          "INSERT INTO executions (instance_id, execution_id, status, output, started_at, completed_at) "
          "SELECT 'inst-' || n, 1, {0}, CASE WHEN n % 100 >= 5 AND n % 100 <> 7 THEN '\"done\"' END, {1}, {1} FROM {2}",
          status, created, counter),
  };
}

void fill_sqlite(const std::string& path, std::int64_t base_ms, std::int64_t instances) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
    throw std::runtime_error("open " + path);
  std::string script = "BEGIN IMMEDIATE;";
  const auto counter = fmt::format(
      "(WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c WHERE n + 1 < {}) SELECT n FROM c)", instances);
  for (const auto& sql : fill_statements(counter, base_ms, instances)) script += sql + ";";
  script += "COMMIT;";
  char* error = nullptr;
  const int rc = sqlite3_exec(db, script.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close_v2(db);
  if (rc != SQLITE_OK) throw std::runtime_error("fill: " + message);
}

/// `url` without the parameters PostgresProvider reads itself.
std::string libpq_url(const std::string& url) {
  const auto question = url.find('?');
  return question == std::string::npos ? url : url.substr(0, question);
}

void pg_exec(PGconn* conn, const std::string& sql) {
  PGresult* result = PQexec(conn, sql.c_str());
  const auto status = PQresultStatus(result);
  const std::string error = PQresultErrorMessage(result);
  PQclear(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) throw std::runtime_error(sql + ": " + error);
}

void fill_postgres(PGconn* conn, const std::string& schema, std::int64_t base_ms, std::int64_t instances) {
  pg_exec(conn, fmt::format("SET search_path = \"{}\"", schema));
  pg_exec(conn, "BEGIN");
  const auto counter = fmt::format("generate_series(0, {}) AS n", instances - 1);
  for (const auto& sql : fill_statements(counter, base_ms, instances)) pg_exec(conn, sql);
  pg_exec(conn, "COMMIT");
  // What autovacuum does soon after such a load on a live server; done here so that every run
  // measures the same plans. (The SQLite file gets no ANALYZE: the store never runs one.)
  pg_exec(conn, "ANALYZE instances");
  pg_exec(conn, "ANALYZE executions");
}

struct Timing {
  double median_ms = 0;
  double max_ms = 0;
  std::size_t rows = 0;
};

Timing time_page(ProviderAdmin& admin, const InstanceQuery& query, int times) {
  std::vector<double> ms;
  std::size_t rows = 0;
  for (int i = 0; i < times; ++i) {
    const auto start = Clock::now();
    auto page = admin.list_instances_page(query);
    ms.push_back(seconds_since(start) * 1000.0);
    if (!page) throw std::runtime_error("list_instances_page: " + page.error().to_string());
    rows = page->instances.size();
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.back(), rows};
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t instances = 1'000'000;
  std::string store = "sqlite";
  std::string dir = std::filesystem::temp_directory_path().string();
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "usage: bench_listing [--instances N] [--store sqlite|postgres://...] [--dir PATH]\n";
      return 2;
    }
    const std::string value = argv[++i];
    if (flag == "--instances") {
      instances = std::stoll(value);
    } else if (flag == "--store") {
      store = value;
    } else if (flag == "--dir") {
      dir = value;
    } else {
      std::cerr << "bench_listing: unknown flag " << flag << "\n";
      return 2;
    }
  }
  if (instances < 100) {
    std::cerr << "bench_listing: --instances must be at least 100\n";
    return 2;
  }
  try {
    const auto base_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count() -
        kSpanMs;
    const bool postgres = store.starts_with("postgres://") || store.starts_with("postgresql://");
    std::shared_ptr<Provider> provider;
    std::filesystem::path file;
    PGconn* conn = nullptr;
    const std::string schema = fmt::format("bench_listing_{}", ::getpid());
    const auto fill_started = Clock::now();
    progress(fmt::format("filling a {} store with {} instances", postgres ? "PostgreSQL" : "SQLite", instances));
    if (postgres) {
      conn = PQconnectdb(libpq_url(store).c_str());
      if (PQstatus(conn) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(conn));
      pg_exec(conn, "SET client_min_messages = warning");
      const auto url = store + (store.find('?') == std::string::npos ? "?" : "&") + "schema=" + schema;
      auto opened = PostgresProvider::open(url);
      if (!opened) throw std::runtime_error(opened.error().to_string());
      provider = *opened;
      fill_postgres(conn, schema, base_ms, instances);
    } else {
      file = std::filesystem::path(dir) / fmt::format("bench-listing-{}.db", ::getpid());
      std::filesystem::remove(file);
      {
        auto created = SqliteProvider::open("sqlite:" + file.string());  // the schema, then closed
        if (!created) throw std::runtime_error(created.error().to_string());
      }
      fill_sqlite(file.string(), base_ms, instances);
      auto opened = SqliteProvider::open("sqlite:" + file.string());
      if (!opened) throw std::runtime_error(opened.error().to_string());
      provider = *opened;
    }
    progress(fmt::format("filled in {:.1f} s", seconds_since(fill_started)));
    auto& admin = *provider->as_management_capability();

    auto report = [&](const std::string& name, const Timing& t, int times) {
      nlohmann::json line{{"bench", "listing"},     {"store", postgres ? "postgres" : "sqlite"},
                          {"instances", instances}, {"query", name},
                          {"rows", t.rows},         {"median_ms", t.median_ms},
                          {"max_ms", t.max_ms},     {"repetitions", times}};
      std::cout << line.dump() << std::endl;
    };
    constexpr int kTimes = 21;
    InstanceQuery first;
    report("first_page", time_page(admin, first, kTimes), kTimes);
    InstanceQuery failed;
    failed.status = ExecutionStatus::Failed;
    report("status_failed_1pct", time_page(admin, failed, kTimes), kTimes);
    InstanceQuery running;
    running.status = ExecutionStatus::Running;
    report("status_running_5pct", time_page(admin, running, kTimes), kTimes);
    InstanceQuery named;
    named.orchestration_name = "Order3";
    report("name", time_page(admin, named, kTimes), kTimes);
    InstanceQuery named_failed;  // every failed instance is an Order7 (n % 100 == 7)
    named_failed.orchestration_name = "Order7";
    named_failed.status = ExecutionStatus::Failed;
    report("name_and_status_failed", time_page(admin, named_failed, kTimes), kTimes);
    named_failed.orchestration_name = "Order3";  // no such instance: the index range is empty
    report("name_and_status_no_match", time_page(admin, named_failed, kTimes), kTimes);
    InstanceQuery one_day;
    one_day.created_from_ms = static_cast<std::uint64_t>(base_ms + kSpanMs / 2);
    one_day.created_until_ms = *one_day.created_from_ms + 24ULL * 3600 * 1000;
    report("created_one_day_mid_range", time_page(admin, one_day, kTimes), kTimes);

    // 200 pages down the cursor chain, then the page there.
    InstanceQuery deep;
    for (int page = 0; page < 200; ++page) {
      auto result = admin.list_instances_page(deep);
      if (!result || !result->next_cursor) throw std::runtime_error("cursor chain ended early");
      deep.cursor = result->next_cursor;
    }
    report("page_201_by_cursor", time_page(admin, deep, kTimes), kTimes);

    // The unpaginated listing, for contrast.
    constexpr int kFewTimes = 3;
    std::vector<double> all_ms;
    std::size_t all_rows = 0;
    for (int i = 0; i < kFewTimes; ++i) {
      const auto start = Clock::now();
      auto ids = admin.list_instances();
      all_ms.push_back(seconds_since(start) * 1000.0);
      if (!ids) throw std::runtime_error(ids.error().to_string());
      all_rows = ids->size();
    }
    std::sort(all_ms.begin(), all_ms.end());
    report("list_instances_unpaginated", {all_ms[all_ms.size() / 2], all_ms.back(), all_rows}, kFewTimes);

    provider.reset();
    if (conn != nullptr) {
      pg_exec(conn, fmt::format("DROP SCHEMA IF EXISTS \"{}\" CASCADE", schema));
      PQfinish(conn);
    }
    if (!file.empty()) {
      for (const auto* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);
    }
  } catch (const std::exception& e) {
    std::cerr << "bench_listing: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
