// stress: the peer workloads of shared/bench (W1–W4) on a fresh store per run, through the public
// API only (Runtime, Client). Prints one JSON line per (workload, config) with the fields of the
// peer harness; progress goes to stderr.
//
//   stress [--workload all|w1|w2|w3|w4|w5|w6] [--config all|defaults|4x4] [--dir PATH]
//          [--store sqlite|postgres://...] [--w1-instances 500] [--w1-fanout 5] [--w2-instances 100]
//          [--w3-lengths 50,100,200,400,800] [--w4-instances 200] [--w4-timers 5] [--w4-timer-ms 10]
//          [--w5-processes 1,2,3] [--w5-instances 100] [--w5-fanout 10] [--w5-sleep-ms 20]
//          [--durability normal|full] [--w6-sleeping 100000] [--w6-finished 100000]
//          [--instance-cache SESSIONS] (RuntimeOptions::instance_cache_max_sessions; 0: replay every turn)
//          [--prepare-sql SQL] (run on each run's SQLite file before its runtime starts: measure what
//          an index or trigger costs by dropping it, docs/performance.md)
//
// The store is a SQLite file in a fresh temp dir, or with --store postgres://... a fresh schema on
// that database (created per run, dropped after). "all" runs W1–W4; W5 (several runtime processes
// on one store) and W6 (W1 on a big SQLite store) run only when named. W5 runs this program again
// with the hidden first argument --w5-child for each runtime process.
//
// Every instance's output is checked; a wrong or missing output counts as a failure.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <libpq-fe.h>
#include <sqlite3.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <duroxide/duroxide.hpp>
#include <duroxide/postgres_provider.hpp>

namespace {

using namespace duroxide;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Settings {
  std::string workload = "all";
  std::string config = "all";
  std::filesystem::path dir;
  int w1_instances = 500;
  int w1_fanout = 5;
  int w2_instances = 100;
  std::vector<int> w3_lengths{50, 100, 200, 400, 800};
  int w4_instances = 200;
  int w4_timers = 5;
  int w4_timer_ms = 10;
  std::vector<int> w5_processes{1, 2, 3};
  int w5_instances = 100;
  int w5_fanout = 10;
  int w5_sleep_ms = 20;
  int w6_sleeping = 100'000;
  int w6_finished = 100'000;
  SqliteDurability durability = SqliteDurability::Normal;
  /// RuntimeOptions::instance_cache_max_sessions of the runtimes this process starts.
  std::size_t instance_cache_sessions = RuntimeOptions{}.instance_cache_max_sessions;
  std::string prepare_sql;
  /// Empty: SQLite files under `dir`; otherwise a postgres:// URL, a fresh schema per run.
  std::string pg_url;
};

struct Config {
  std::string name;
  std::size_t orchestration_concurrency;
  std::size_t worker_concurrency;
};

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return tv(usage.ru_utime) + tv(usage.ru_stime);
}

double load_average() {
  double load[1] = {0};
  return getloadavg(load, 1) == 1 ? load[0] : -1.0;
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

// --- the workloads' orchestrations -------------------------------------------------------------

Task<Result<std::string>> fan_out(OrchestrationContext ctx, std::string input) {
  const int width = std::stoi(input);
  std::vector<DurableFuture<Result<std::string>>> calls;
  for (int i = 0; i < width; ++i) calls.push_back(ctx.schedule_activity("Noop", std::to_string(i)));
  auto results = co_await OrchestrationContext::join(std::move(calls));
  int ok = 0;
  for (const auto& r : results) ok += r ? 1 : 0;
  co_return std::to_string(ok);
}

// W5: as FanOut, with activities that wait instead of returning at once.
Task<Result<std::string>> sleep_fan_out(OrchestrationContext ctx, std::string input) {
  const int width = std::stoi(input);
  std::vector<DurableFuture<Result<std::string>>> calls;
  for (int i = 0; i < width; ++i) calls.push_back(ctx.schedule_activity("Sleep", std::to_string(i)));
  auto results = co_await OrchestrationContext::join(std::move(calls));
  int ok = 0;
  for (const auto& r : results) ok += r ? 1 : 0;
  co_return std::to_string(ok);
}

Task<Result<std::string>> hello(OrchestrationContext ctx, std::string input) {
  auto greeting = co_await ctx.schedule_activity("Noop", input);
  if (!greeting) co_return Err(greeting.error());
  co_return *greeting;
}

Task<Result<std::string>> chain(OrchestrationContext ctx, std::string input) {
  const int length = std::stoi(input);
  for (int i = 0; i < length; ++i) {
    auto step = co_await ctx.schedule_activity("Noop", std::to_string(i));
    if (!step) co_return Err(step.error());
  }
  co_return std::to_string(length);
}

Task<Result<std::string>> timers(OrchestrationContext ctx, std::string input) {
  const auto comma = input.find(',');
  const int count = std::stoi(input.substr(0, comma));
  const auto delay = std::chrono::milliseconds(std::stoi(input.substr(comma + 1)));
  for (int i = 0; i < count; ++i) co_await ctx.schedule_timer(delay);
  co_return std::to_string(count);
}

// --- stores: a SQLite file or a PostgreSQL schema, fresh for each run ----------------------------

bool is_postgres(const std::string& url) { return url.starts_with("postgres://") || url.starts_with("postgresql://"); }

/// `url` without the parameters PostgresProvider reads itself (libpq rejects unknown ones).
std::string libpq_url(const std::string& url) {
  const auto question = url.find('?');
  if (question == std::string::npos) return url;
  std::string kept;
  std::stringstream params(url.substr(question + 1));
  std::string param;
  while (std::getline(params, param, '&')) {
    if (param.starts_with("schema=") || param.starts_with("pool=") || param.empty()) continue;
    kept += (kept.empty() ? "?" : "&") + param;
  }
  return url.substr(0, question) + kept;
}

/// A plain libpq connection beside the store: creates nothing itself, reads server counters and
/// drops the run's schema.
class PgAdmin {
 public:
  explicit PgAdmin(const std::string& url) : conn_(PQconnectdb(libpq_url(url).c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string message = PQerrorMessage(conn_);
      PQfinish(conn_);
      throw std::runtime_error("cannot connect to " + libpq_url(url) + ": " + message);
    }
    // DROP SCHEMA ... CASCADE would list every dropped object on stderr.
    exec("SET client_min_messages = warning");
  }
  ~PgAdmin() { PQfinish(conn_); }
  PgAdmin(const PgAdmin&) = delete;
  PgAdmin& operator=(const PgAdmin&) = delete;

  /// The first column of the first row of `sql`, as text.
  std::string value(const std::string& sql) {
    PGresult* result = PQexec(conn_, sql.c_str());
    const auto status = PQresultStatus(result);
    std::string text;
    if (status == PGRES_TUPLES_OK && PQntuples(result) > 0) text = PQgetvalue(result, 0, 0);
    const std::string error = PQresultErrorMessage(result);
    PQclear(result);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) throw std::runtime_error(sql + ": " + error);
    return text;
  }
  void exec(const std::string& sql) { value(sql); }

  struct Counters {
    std::int64_t commits = 0;    // pg_stat_database.xact_commit of this database
    std::int64_t wal_syncs = 0;  // pg_stat_wal.wal_sync: WAL fsyncs of the whole server
    /// Calls of each stored function of the run's schema, when the server tracks them
    /// (track_functions = pl): which operations the transactions were.
    nlohmann::json function_calls = nlohmann::json::object();
  };
  /// Server counters once they stopped moving: backends publish their statistics when they go
  /// idle or exit, so a reading right after a run can lag behind.
  Counters settled_counters() {
    Counters last = read_counters();
    for (int i = 0; i < 30; ++i) {
      std::this_thread::sleep_for(100ms);
      const Counters now = read_counters();
      if (now.commits == last.commits && now.wal_syncs == last.wal_syncs) return now;
      last = now;
    }
    return last;
  }

 private:
  Counters read_counters() {
    exec("SELECT pg_stat_clear_snapshot()");
    return {std::stoll(value("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")),
            std::stoll(value("SELECT wal_sync FROM pg_stat_wal"))};
  }
  PGconn* conn_;
};

std::string quote_identifier(const std::string& name) { return "\"" + name + "\""; }

/// The store of one run: a SQLite file in a fresh dir, or a fresh schema of the --store database.
/// Removed (dir) or dropped (schema) on destruction.
class Scratch {
 public:
  Scratch(const Settings& settings, const std::string& label) {
    if (settings.pg_url.empty()) {
      dir_ = settings.dir / fmt::format("{}-{}", label, getpid());
      std::filesystem::remove_all(dir_);
      std::filesystem::create_directories(dir_);
      db_path_ = (dir_ / "stress.db").string();
      url_ = "sqlite:" + db_path_;
      return;
    }
    std::random_device random;
    schema_ = fmt::format("stress_{}_{}_{:08x}", label, getpid(), random());
    std::replace(schema_.begin(), schema_.end(), '-', '_');
    url_ = settings.pg_url + (settings.pg_url.find('?') == std::string::npos ? "?" : "&") + "schema=" + schema_;
    admin_.emplace(settings.pg_url);
  }
  ~Scratch() {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
    if (admin_) {
      try {
        admin_->exec("DROP SCHEMA IF EXISTS " + quote_identifier(schema_) + " CASCADE");
      } catch (const std::exception& e) {
        std::cerr << "stress: cannot drop schema " << schema_ << ": " << e.what() << "\n";
      }
    }
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  /// What a provider opens: "sqlite:PATH" or the postgres URL with `schema=` of this run.
  const std::string& url() const { return url_; }
  const std::string& db_path() const { return db_path_; }
  const std::string& schema() const { return schema_; }
  PgAdmin* admin() { return admin_ ? &*admin_ : nullptr; }

 private:
  std::filesystem::path dir_;
  std::string db_path_;
  std::string schema_;
  std::string url_;
  std::optional<PgAdmin> admin_;
};

struct OpenedStore {
  std::shared_ptr<Provider> provider;
  std::shared_ptr<SqliteProvider> sqlite;  // null on PostgreSQL
};

OpenedStore open_store(const std::string& url, SqliteDurability durability) {
  if (is_postgres(url)) {
    auto opened = PostgresProvider::open(url);
    if (!opened) throw std::runtime_error("cannot open store: " + opened.error().to_string());
    return {*opened, nullptr};
  }
  auto opened = SqliteProvider::open(url, {.durability = durability});
  if (!opened) throw std::runtime_error("cannot open store: " + opened.error().to_string());
  return {*opened, *opened};
}

// --- one run: a fresh store and runtime --------------------------------------------------------

ActivityRegistry make_activities(int sleep_ms) {
  return ActivityRegistry::builder()
      .add("Noop", [](ActivityContext&, std::string input) -> Result<std::string> { return input; })
      // W5's I/O-bound activity: it holds its worker slot for the whole wait, as a blocking call would.
      .add("Sleep",
           [sleep_ms](ActivityContext&, std::string input) -> Result<std::string> {
             std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
             return input;
           })
      .build();
}

OrchestrationRegistry make_orchestrations() {
  return OrchestrationRegistry::builder()
      .add("FanOut", fan_out)
      .add("SleepFanOut", sleep_fan_out)
      .add("Hello", hello)
      .add("Chain", chain)
      .add("Timers", timers)
      .build();
}

/// A SQLite connection of its own to a run's store file, in one write transaction (committed with
/// exec("COMMIT"), rolled back if it is destroyed first): the W6 fill and --prepare-sql. Errors
/// throw, prefixed with `purpose`.
class FileConnection {
 public:
  FileConnection(const std::string& path, std::string purpose) : purpose_(std::move(purpose)) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) fail("open");
    exec("BEGIN IMMEDIATE");
  }
  ~FileConnection() {
    for (auto* stmt : statements_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  FileConnection(const FileConnection&) = delete;
  FileConnection& operator=(const FileConnection&) = delete;

  void exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(sql);
  }
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) fail(sql);
    statements_.push_back(stmt);
    return stmt;
  }
  /// Binds text (std::string) and integer (std::int64_t) values as ?1, ?2, ... and runs `stmt`.
  template <class... Values>
  void run(sqlite3_stmt* stmt, const Values&... values) {
    sqlite3_reset(stmt);
    int index = 0;
    (bind(stmt, ++index, values), ...);
    if (sqlite3_step(stmt) != SQLITE_DONE) fail("insert");
  }

 private:
  static void bind(sqlite3_stmt* stmt, int index, const std::string& text) {
    sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  static void bind(sqlite3_stmt* stmt, int index, std::int64_t value) { sqlite3_bind_int64(stmt, index, value); }
  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(fmt::format("{}: {}: {}", purpose_, what, sqlite3_errmsg(db_)));
  }
  std::string purpose_;
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> statements_;
};

/// Runs `sql` on the SQLite file at `path` through a connection of its own (--prepare-sql).
void run_prepare_sql(const std::string& path, const std::string& sql) {
  if (path.empty()) throw std::runtime_error("--prepare-sql needs a SQLite store");
  FileConnection db(path, "--prepare-sql");
  db.exec(sql.c_str());
  db.exec("COMMIT");
}

class Run {
 public:
  /// `prepare`, when given, fills the store's SQLite file before the runtime starts. Without
  /// `with_runtime` only the client runs here (W5: the runtimes are other processes).
  Run(const Settings& settings, const Config& config, const std::string& label,
      const std::function<void(const std::string& db_path)>& prepare = {}, bool with_runtime = true)
      : scratch_(settings, fmt::format("{}-{}", label, config.name)) {
    auto opened = open_store(scratch_.url(), settings.durability);
    store_ = opened.provider;
    sqlite_ = opened.sqlite;
    if (prepare) prepare(scratch_.db_path());
    if (!settings.prepare_sql.empty()) run_prepare_sql(scratch_.db_path(), settings.prepare_sql);
    if (auto* admin = scratch_.admin()) before_ = admin->settled_counters();
    if (with_runtime) {
      RuntimeOptions options;
      options.orchestration_concurrency = config.orchestration_concurrency;
      options.worker_concurrency = config.worker_concurrency;
      options.instance_cache_max_sessions = settings.instance_cache_sessions;
      runtime_ = Runtime::start(store_, make_activities(settings.w5_sleep_ms), make_orchestrations(), options);
    }
    client_.emplace(store_);
  }
  ~Run() { close(); }
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  Client& client() { return *client_; }
  Provider& store() { return *store_; }
  SqliteProvider& sqlite() { return *sqlite_; }
  const std::string& url() const { return scratch_.url(); }
  /// Stops the runtime, leaving the store open for direct measurements.
  void stop_runtime() {
    if (runtime_) runtime_->shutdown(5s);
    runtime_.reset();
  }
  const Runtime& runtime() const { return *runtime_; }

  /// PostgreSQL only: stops everything and returns the transactions committed and the WAL fsyncs
  /// made on the database since the store was opened (after its migrations); the run's runtime,
  /// client and connections all count.
  std::optional<PgAdmin::Counters> close_and_count() {
    close();
    auto* admin = scratch_.admin();
    if (admin == nullptr) return std::nullopt;
    const auto after = admin->settled_counters();
    PgAdmin::Counters counted{after.commits - before_.commits, after.wal_syncs - before_.wal_syncs};
    const auto calls = admin->value(
        "SELECT coalesce(json_object_agg(funcname, calls), '{}') FROM pg_stat_user_functions WHERE schemaname = '" +
        scratch_.schema() + "'");
    counted.function_calls = nlohmann::json::parse(calls.empty() ? "{}" : calls);
    return counted;
  }

  void start(const std::string& instance, const std::string& name, const std::string& input) {
    if (auto started = client_->start_orchestration(instance, name, input); !started) {
      throw std::runtime_error("start " + instance + ": " + started.error().to_string());
    }
  }

  /// Waits for `instance`; true when it completed with `expected`.
  bool completes_with(const std::string& instance, const std::string& expected, std::chrono::milliseconds timeout) {
    auto status = client_->wait_for_orchestration(instance, timeout);
    if (!status) {
      std::cerr << "stress: " << instance << ": " << status.error().to_string() << "\n";
      return false;
    }
    const auto* done = status->get_if<status::Completed>();
    if (done == nullptr || done->output != expected) {
      std::cerr << "stress: " << instance << " ended " << status->name() << "\n";
      return false;
    }
    return true;
  }

 private:
  void close() {
    stop_runtime();
    client_.reset();
    sqlite_.reset();
    store_.reset();
  }
  Scratch scratch_;  // first in, last out: the store closes before its schema is dropped
  std::shared_ptr<Provider> store_;
  std::shared_ptr<SqliteProvider> sqlite_;
  std::shared_ptr<Runtime> runtime_;
  std::optional<Client> client_;
  PgAdmin::Counters before_;
};

// The store's kind and durability settings, for every result line.
nlohmann::json g_store_fields;

nlohmann::json store_fields(const Settings& s) {
  if (s.pg_url.empty()) {
    return {{"store", "sqlite-file"},
            {"synchronous", s.durability == SqliteDurability::Full ? "FULL" : "NORMAL"},
            {"instance_cache_sessions", s.instance_cache_sessions}};
  }
  PgAdmin admin(s.pg_url);
  return {{"store", "postgres"},
          {"server_version", admin.value("SHOW server_version")},
          {"fsync", admin.value("SHOW fsync")},
          {"synchronous_commit", admin.value("SHOW synchronous_commit")},
          {"wal_sync_method", admin.value("SHOW wal_sync_method")},
          {"instance_cache_sessions", s.instance_cache_sessions}};
}

nlohmann::json result_line(const std::string& workload, const Config& config) {
  nlohmann::json line{{"workload", workload},
                      {"config", config.name},
                      {"orchestration_concurrency", config.orchestration_concurrency},
                      {"worker_concurrency", config.worker_concurrency}};
  line.update(g_store_fields);
  return line;
}

void emit(nlohmann::json line) {
  line["peak_rss_mb"] = peak_rss_mb();
  std::cout << line.dump() << std::endl;
}

void progress(const std::string& what) { std::cerr << "stress: " << what << std::endl; }

struct W1Result {
  double wall_s = 0;
  double cpu_s = 0;
  int failures = 0;
};

/// Starts all W1 instances at once, then waits for every one; wall time first start → all done.
W1Result measure_w1(const Settings& s, Run& run) {
  const double cpu_before = cpu_seconds();
  const auto start = Clock::now();
  for (int i = 0; i < s.w1_instances; ++i) run.start(fmt::format("w1-{}", i), "FanOut", std::to_string(s.w1_fanout));
  int failures = 0;
  for (int i = 0; i < s.w1_instances; ++i) {
    if (!run.completes_with(fmt::format("w1-{}", i), std::to_string(s.w1_fanout), 300s)) ++failures;
  }
  return {seconds_since(start), cpu_seconds() - cpu_before, failures};
}

// W1: fan-out on an empty store.
void run_w1(const Settings& s, const Config& config) {
  progress(fmt::format("W1 fan-out {} x {} ({})", s.w1_instances, s.w1_fanout, config.name));
  Run run(s, config, "w1");
  const auto [wall, cpu, failures] = measure_w1(s, run);
  const auto counted = run.close_and_count();
  auto line = result_line("W1_fanout", config);
  line["instances"] = s.w1_instances;
  line["fanout"] = s.w1_fanout;
  line["wall_s"] = wall;
  line["orch_per_s"] = s.w1_instances / wall;
  line["activities_per_s"] = s.w1_instances * s.w1_fanout / wall;
  if (counted) {
    // Every statement of the run's runtime and client (fetches, acks, status reads, idle polls)
    // is one transaction; the fsyncs show how many of them group commit merged.
    line["xact_commits"] = counted->commits;
    line["xact_per_orch"] = static_cast<double>(counted->commits) / s.w1_instances;
    line["wal_syncs"] = counted->wal_syncs;
    line["wal_syncs_per_orch"] = static_cast<double>(counted->wal_syncs) / s.w1_instances;
    if (!counted->function_calls.empty()) {
      nlohmann::json per_orch = nlohmann::json::object();
      for (const auto& [name, calls] : counted->function_calls.items()) {
        per_orch[name] = calls.get<double>() / s.w1_instances;
      }
      line["function_calls_per_orch"] = per_orch;
    }
  }
  line["loadavg_1m"] = load_average();
  line["cpu_s"] = cpu;
  line["failures"] = failures;
  emit(line);
}

// W2: sequential hello-world instances; client-observed start → completed latency.
void run_w2(const Settings& s, const Config& config) {
  progress(fmt::format("W2 latency {} sequential instances ({})", s.w2_instances, config.name));
  Run run(s, config, "w2");
  std::vector<double> latencies_ms;
  int failures = 0;
  const double cpu_before = cpu_seconds();
  for (int i = 0; i < s.w2_instances; ++i) {
    const auto instance = fmt::format("w2-{}", i);
    const auto start = Clock::now();
    run.start(instance, "Hello", "hi");
    if (!run.completes_with(instance, "hi", 30s)) ++failures;
    latencies_ms.push_back(seconds_since(start) * 1000.0);
  }
  auto line = result_line("W2_latency", config);
  line["instances"] = s.w2_instances;
  line["p50_ms"] = percentile(latencies_ms, 0.50);
  line["p95_ms"] = percentile(latencies_ms, 0.95);
  line["max_ms"] = *std::max_element(latencies_ms.begin(), latencies_ms.end());
  line["mean_ms"] = std::accumulate(latencies_ms.begin(), latencies_ms.end(), 0.0) / latencies_ms.size();
  line["cpu_s"] = cpu_seconds() - cpu_before;
  line["failures"] = failures;
  emit(line);
}

// W3: one orchestration awaiting N activities one after another, for each N.
void run_w3(const Settings& s, const Config& config) {
  for (const int n : s.w3_lengths) {
    progress(fmt::format("W3 chain of {} ({})", n, config.name));
    Run run(s, config, fmt::format("w3-{}", n));
    const double cpu_before = cpu_seconds();
    const auto start = Clock::now();
    run.start("w3", "Chain", std::to_string(n));
    const int failures = run.completes_with("w3", std::to_string(n), 600s) ? 0 : 1;
    const double wall = seconds_since(start);
    const double cpu = cpu_seconds() - cpu_before;
    auto line = result_line("W3_chain", config);
    line["n"] = n;
    line["wall_s"] = wall;
    line["s_per_activity"] = wall / n;
    line["activities_per_s"] = n / wall;
    line["cpu_s"] = cpu;
    line["cpu_s_per_activity"] = cpu / n;
    line["failures"] = failures;
    emit(line);
  }
}

// W4: instances each awaiting sequential timers; lateness = when the fired timer was recorded
// minus when it was due.
void run_w4(const Settings& s, const Config& config) {
  progress(fmt::format("W4 timers {} x {} x {} ms ({})", s.w4_instances, s.w4_timers, s.w4_timer_ms, config.name));
  Run run(s, config, "w4");
  const double cpu_before = cpu_seconds();
  const auto start = Clock::now();
  const auto input = fmt::format("{},{}", s.w4_timers, s.w4_timer_ms);
  for (int i = 0; i < s.w4_instances; ++i) run.start(fmt::format("w4-{}", i), "Timers", input);
  int failures = 0;
  for (int i = 0; i < s.w4_instances; ++i) {
    if (!run.completes_with(fmt::format("w4-{}", i), std::to_string(s.w4_timers), 300s)) ++failures;
  }
  const double wall = seconds_since(start);
  std::vector<double> lateness_ms;
  for (int i = 0; i < s.w4_instances; ++i) {
    auto history = run.store().read(fmt::format("w4-{}", i));
    if (!history) continue;
    for (const auto& event : *history) {
      if (const auto* fired = event.get_if<events::TimerFired>()) {
        lateness_ms.push_back(static_cast<double>(event.timestamp_ms) - static_cast<double>(fired->fire_at_ms));
      }
    }
  }
  auto line = result_line("W4_timers", config);
  line["instances"] = s.w4_instances;
  line["timers_per_instance"] = s.w4_timers;
  line["timer_ms"] = s.w4_timer_ms;
  line["wall_s"] = wall;
  line["orch_per_s"] = s.w4_instances / wall;
  line["timer_late_avg_ms"] =
      lateness_ms.empty() ? 0.0 : std::accumulate(lateness_ms.begin(), lateness_ms.end(), 0.0) / lateness_ms.size();
  line["timer_late_p95_ms"] = percentile(lateness_ms, 0.95);
  line["timer_late_max_ms"] = lateness_ms.empty() ? 0.0 : *std::max_element(lateness_ms.begin(), lateness_ms.end());
  line["cpu_s"] = cpu_seconds() - cpu_before;
  line["failures"] = failures;
  emit(line);
}

// W6: W1 on a big store (docs/storage.md "A big store stays fast"): `w6_sleeping` instances asleep
// on a one-hour timer and `w6_finished` finished ones, written straight into the file in one
// transaction before the runtime starts (the rows a runtime would have written: instance,
// execution, history and the pending timer). Reports W1 there relative to W1 on an empty store of
// the same run, then the cost of the management queries and of single fetches on the big store.

void fill_big_store(const std::string& path, int sleeping, int finished) {
  const auto started = Clock::now();
  FileConnection db(path, "big store fill");
  auto* instance = db.prepare(
      "INSERT INTO instances (instance_id, orchestration_name, orchestration_version, current_execution_id, "
      "created_at, updated_at) VALUES (?1, ?2, '1.0.0', 1, ?3, ?3)");
  auto* execution = db.prepare(
      "INSERT INTO executions (instance_id, execution_id, status, output, started_at, completed_at) VALUES (?1, 1, "
      "?2, NULLIF(?3, ''), ?4, NULLIF(?5, 0))");
  auto* history = db.prepare(
      "INSERT INTO history (instance_id, execution_id, event_id, event_type, event_data, created_at) VALUES (?1, 1, "
      "?2, ?3, ?4, ?5)");
  auto* timer = db.prepare(
      "INSERT INTO orchestrator_queue (instance_id, work_item, visible_at, attempt_count, created_at) VALUES (?1, ?2, "
      "?3, 0, ?4)");
  const auto now = static_cast<std::int64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  const auto in_an_hour = now + 3'600'000;
  const auto add_event = [&](const std::string& id, std::uint64_t event_id, EventKind kind) {
    const Event event = make_event(event_id, std::nullopt, id, 1, std::move(kind));
    db.run(history, id, static_cast<std::int64_t>(event_id), std::string(event.type_name()), serialize_event(event),
           now);
  };
  for (int i = 0; i < sleeping + finished; ++i) {
    const bool asleep = i < sleeping;
    const auto id = asleep ? fmt::format("sleep-{}", i) : fmt::format("done-{}", i - sleeping);
    const std::string name = asleep ? "Sleep" : "Hello";
    db.run(instance, id, name, now);
    add_event(id, 1, events::OrchestrationStarted{name, "1.0.0", "\"input\"", std::nullopt, std::nullopt, {}, {}});
    if (asleep) {
      db.run(execution, id, std::string("Running"), std::string(), now, std::int64_t{0});
      add_event(id, 2, events::TimerCreated{static_cast<std::uint64_t>(in_an_hour)});
      const WorkItem fired = work_items::TimerFired{id, 1, 2, static_cast<std::uint64_t>(in_an_hour)};
      db.run(timer, id, serialize_work_item(fired), in_an_hour, now);
    } else {
      db.run(execution, id, std::string("Completed"), std::string("\"done\""), now, now);
      add_event(id, 2, events::OrchestrationCompleted{"\"done\""});
    }
    if ((i + 1) % 50'000 == 0) progress(fmt::format("W6 fill: {} of {} instances", i + 1, sleeping + finished));
  }
  db.exec("COMMIT");
  progress(fmt::format("W6 fill: done in {:.1f} s", seconds_since(started)));
}

/// Milliseconds each call of `call` takes, `times` times.
template <class Call>
std::vector<double> time_calls(int times, Call call) {
  std::vector<double> ms;
  for (int i = 0; i < times; ++i) {
    const auto start = Clock::now();
    call(i);
    ms.push_back(seconds_since(start) * 1000.0);
  }
  return ms;
}

template <class T>
T must(ProviderResult<T> result, const char* what) {
  if (!result) throw std::runtime_error(fmt::format("W6 {}: {}", what, result.error().to_string()));
  return std::move(*result);
}

void must(ProviderResult<void> result, const char* what) {
  if (!result) throw std::runtime_error(fmt::format("W6 {}: {}", what, result.error().to_string()));
}

void run_w6(const Settings& s, const Config& config) {
  progress(fmt::format("W6 big store: W1 on an empty store first ({})", config.name));
  W1Result empty;
  {
    Run run(s, config, "w6-empty");
    empty = measure_w1(s, run);
  }
  progress(
      fmt::format("W6 big store: {} sleeping + {} finished instances ({})", s.w6_sleeping, s.w6_finished, config.name));
  Run run(s, config, "w6-big", [&](const std::string& path) { fill_big_store(path, s.w6_sleeping, s.w6_finished); });
  const auto big = measure_w1(s, run);
  run.stop_runtime();

  constexpr int kSamples = 200;
  auto& store = run.sqlite();
  const auto depths_ms = time_calls(20, [&](int) { must(store.get_queue_depths(), "queue depths"); });
  const auto metrics_ms = time_calls(20, [&](int) { must(store.get_system_metrics(), "system metrics"); });
  // Single fetches with nothing else running: each takes an event for a finished instance (history
  // of two events), or one activity.
  const auto idle_ms =
      time_calls(kSamples, [&](int) { must(store.fetch_orchestration_item(30s, 0ms, nullptr), "idle fetch"); });
  for (int i = 0; i < kSamples; ++i) {
    must(store.enqueue_for_orchestrator(work_items::ExternalRaised{fmt::format("done-{}", i), "poke", "{}"},
                                        std::nullopt),
         "enqueue event");
    must(store.enqueue_for_worker(
             work_items::ActivityExecute{fmt::format("done-{}", i), 1, 100, "Noop", "x", std::nullopt, std::nullopt}),
         "enqueue activity");
  }
  // Each fetch is acked before the next (untimed), as a runtime slot does: the store holds at most
  // one lock at a time, as with the default concurrency.
  std::vector<double> orch_ms;
  for (int i = 0; i < kSamples; ++i) {
    const auto start = Clock::now();
    auto item = must(store.fetch_orchestration_item(30s, 0ms, nullptr), "orchestration fetch");
    orch_ms.push_back(seconds_since(start) * 1000.0);
    if (!item) throw std::runtime_error("W6: orchestration fetch found nothing");
    OrchestrationAck ack;
    ack.execution_id = 1;
    must(store.ack_orchestration_item(item->lock_token, ack), "orchestration ack");
  }
  std::vector<double> work_ms;
  for (int i = 0; i < kSamples; ++i) {
    const auto start = Clock::now();
    auto item = must(store.fetch_work_item(30s, 0ms, std::nullopt, TagFilter::default_only()), "activity fetch");
    work_ms.push_back(seconds_since(start) * 1000.0);
    if (!item) throw std::runtime_error("W6: activity fetch found nothing");
    must(store.ack_work_item(item->lock_token, std::nullopt), "activity ack");
  }

  auto line = result_line("W6_big_store", config);
  line["sleeping_instances"] = s.w6_sleeping;
  line["finished_instances"] = s.w6_finished;
  line["instances"] = s.w1_instances;
  line["fanout"] = s.w1_fanout;
  line["empty_wall_s"] = empty.wall_s;
  line["wall_s"] = big.wall_s;
  line["empty_orch_per_s"] = s.w1_instances / empty.wall_s;
  line["orch_per_s"] = s.w1_instances / big.wall_s;
  line["w1_relative"] = empty.wall_s / big.wall_s;
  line["queue_depths_max_ms"] = *std::max_element(depths_ms.begin(), depths_ms.end());
  line["system_metrics_max_ms"] = *std::max_element(metrics_ms.begin(), metrics_ms.end());
  line["orch_fetch_idle_p99_ms"] = percentile(idle_ms, 0.99);
  line["orch_fetch_p50_ms"] = percentile(orch_ms, 0.50);
  line["orch_fetch_p95_ms"] = percentile(orch_ms, 0.95);
  line["orch_fetch_p99_ms"] = percentile(orch_ms, 0.99);
  line["activity_fetch_p50_ms"] = percentile(work_ms, 0.50);
  line["activity_fetch_p95_ms"] = percentile(work_ms, 0.95);
  line["activity_fetch_p99_ms"] = percentile(work_ms, 0.99);
  // On a shared machine p99 of 200 sub-millisecond calls is mostly preemption: the load is kept.
  line["loadavg_1m"] = load_average();
  line["cpu_s"] = big.cpu_s;
  line["failures"] = empty.failures + big.failures;
  emit(line);
}

// W5: 1, 2, 3 runtime processes (this program with --w5-child) on one store, with activities that
// sleep (I/O-bound): each process has `worker_concurrency` activity slots, so throughput should
// grow with the processes while the store keeps up. This process only starts instances and waits
// for them; instances × fan-out is sized so that the slots, not the client, are the bottleneck.

/// One runtime process: its stdin is a pipe from us, and it stops at EOF.
class ChildProcess {
 public:
  ChildProcess(const std::string& url, const Config& config, const Settings& s) {
    int to_child[2];
    int from_child[2];
    // Close-on-exec, so a later child does not inherit this one's stdin and keep it open.
    if (pipe2(to_child, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    if (pipe2(from_child, O_CLOEXEC) != 0) {
      close(to_child[0]);
      close(to_child[1]);
      throw std::runtime_error("pipe failed");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
    std::vector<std::string> args{"stress",
                                  "--w5-child",
                                  url,
                                  std::to_string(config.orchestration_concurrency),
                                  std::to_string(config.worker_concurrency),
                                  std::to_string(s.w5_sleep_ms),
                                  s.durability == SqliteDurability::Full ? "full" : "normal"};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(to_child[0]);
    close(from_child[1]);
    to_child_ = to_child[1];
    from_child_ = from_child[0];
    if (rc != 0) {
      pid_ = -1;
      throw std::runtime_error(fmt::format("cannot start a runtime process: {}", std::strerror(rc)));
    }
  }
  ~ChildProcess() { stop(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// Blocks until the child's runtime runs (it writes a line), so startup is not timed.
  void wait_ready() {
    char c = 0;
    while (read(from_child_, &c, 1) == 1) {
      if (c == '\n') return;
    }
    throw std::runtime_error("a runtime process exited before it was ready");
  }
  /// Closes its stdin and waits for it; true when it exited with 0.
  bool stop() {
    if (to_child_ >= 0) close(to_child_);
    to_child_ = -1;
    bool ok = true;
    if (pid_ > 0) {
      int status = 0;
      ok = waitpid(pid_, &status, 0) == pid_ && WIFEXITED(status) && WEXITSTATUS(status) == 0;
      pid_ = -1;
    }
    if (from_child_ >= 0) close(from_child_);
    from_child_ = -1;
    return ok;
  }

 private:
  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
};

/// The --w5-child mode: argv = stress --w5-child URL ORCH_SLOTS WORKER_SLOTS SLEEP_MS DURABILITY.
int run_w5_child(int argc, char** argv) {
  if (argc != 7) throw std::invalid_argument("--w5-child URL ORCH_SLOTS WORKER_SLOTS SLEEP_MS normal|full");
  const std::string url = argv[2];
  const auto durability = std::string(argv[6]) == "full" ? SqliteDurability::Full : SqliteDurability::Normal;
  auto store = open_store(url, durability).provider;
  RuntimeOptions options;
  options.orchestration_concurrency = std::stoul(argv[3]);
  options.worker_concurrency = std::stoul(argv[4]);
  auto runtime = Runtime::start(store, make_activities(std::stoi(argv[5])), make_orchestrations(), options);
  std::cout << "ready" << std::endl;
  char buffer[64];
  while (read(STDIN_FILENO, buffer, sizeof buffer) > 0) {
  }
  runtime->shutdown(5s);
  return 0;
}

void run_w5(const Settings& s, const Config& config) {
  std::optional<double> one_process;
  std::vector<std::pair<int, double>> rates;
  for (const int processes : s.w5_processes) {
    progress(fmt::format("W5 {} runtime process(es): {} x {} activities of {} ms ({})", processes, s.w5_instances,
                         s.w5_fanout, s.w5_sleep_ms, config.name));
    Run run(s, config, fmt::format("w5-{}", processes), {}, /*with_runtime=*/false);
    std::vector<std::unique_ptr<ChildProcess>> children;
    for (int i = 0; i < processes; ++i) children.push_back(std::make_unique<ChildProcess>(run.url(), config, s));
    for (auto& child : children) child->wait_ready();
    const double cpu_before = cpu_seconds();
    const auto start = Clock::now();
    for (int i = 0; i < s.w5_instances; ++i) {
      run.start(fmt::format("w5-{}", i), "SleepFanOut", std::to_string(s.w5_fanout));
    }
    int failures = 0;
    for (int i = 0; i < s.w5_instances; ++i) {
      if (!run.completes_with(fmt::format("w5-{}", i), std::to_string(s.w5_fanout), 300s)) ++failures;
    }
    const double wall = seconds_since(start);
    const double client_cpu = cpu_seconds() - cpu_before;
    int child_failures = 0;
    for (auto& child : children) child_failures += child->stop() ? 0 : 1;
    const double rate = s.w5_instances / wall;
    if (processes == 1) one_process = rate;
    rates.emplace_back(processes, rate);
    auto line = result_line("W5_multi_process", config);
    line["processes"] = processes;
    line["instances"] = s.w5_instances;
    line["fanout"] = s.w5_fanout;
    line["activity_sleep_ms"] = s.w5_sleep_ms;
    line["wall_s"] = wall;
    line["orch_per_sec"] = rate;
    line["activities_per_s"] = s.w5_instances * s.w5_fanout / wall;
    // What the processes' activity slots allow at most: slots × processes / sleep.
    line["slot_bound_activities_per_s"] = 1000.0 * config.worker_concurrency * processes / s.w5_sleep_ms;
    if (one_process) line["ratio_vs_1"] = rate / *one_process;
    line["loadavg_1m"] = load_average();
    line["client_cpu_s"] = client_cpu;
    line["child_failures"] = child_failures;
    line["failures"] = failures + child_failures;
    emit(line);
  }
  if (one_process) {
    auto line = result_line("W5_multi_process", config);
    line["summary"] = true;
    for (const auto& [processes, rate] : rates) {
      if (processes != 1) line[fmt::format("ratio_{}_vs_1", processes)] = rate / *one_process;
    }
    emit(line);
  }
}

std::vector<int> parse_lengths(const std::string& text) {
  std::vector<int> lengths;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) lengths.push_back(std::stoi(item));
  if (lengths.empty()) throw std::invalid_argument("--w3-lengths needs at least one length");
  return lengths;
}

Settings parse(int argc, char** argv) {
  Settings s;
  s.dir = std::filesystem::temp_directory_path() / "duroxide-stress";
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << "usage: stress [--workload all|w1|w2|w3|w4|w5|w6] [--config all|defaults|4x4] [--dir PATH]\n"
                   "              [--store sqlite|postgres://user@host:port/db[?pool=N]]\n"
                   "              [--w1-instances N] [--w1-fanout N] [--w2-instances N] [--w3-lengths N,N,...]\n"
                   "              [--w4-instances N] [--w4-timers N] [--w4-timer-ms MS] [--durability normal|full]\n"
                   "              [--w5-processes N,N,...] [--w5-instances N] [--w5-fanout N] [--w5-sleep-ms MS]\n"
                   "              [--w6-sleeping N] [--w6-finished N] [--instance-cache SESSIONS] [--prepare-sql SQL]\n"
                   "With a postgres:// store each run gets a fresh schema (schema= is added), dropped after.\n";
      std::exit(0);
    }
    if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
    const std::string value = argv[++i];
    const auto positive = [&] {
      const int n = std::stoi(value);
      if (n <= 0) throw std::invalid_argument(flag + " must be positive");
      return n;
    };
    if (flag == "--workload") {
      s.workload = value;
    } else if (flag == "--config") {
      s.config = value;
    } else if (flag == "--dir") {
      s.dir = value;
    } else if (flag == "--w1-instances") {
      s.w1_instances = positive();
    } else if (flag == "--w1-fanout") {
      s.w1_fanout = positive();
    } else if (flag == "--w2-instances") {
      s.w2_instances = positive();
    } else if (flag == "--w3-lengths") {
      s.w3_lengths = parse_lengths(value);
    } else if (flag == "--w4-instances") {
      s.w4_instances = positive();
    } else if (flag == "--w4-timers") {
      s.w4_timers = positive();
    } else if (flag == "--w4-timer-ms") {
      s.w4_timer_ms = positive();
    } else if (flag == "--store") {
      if (value != "sqlite" && !is_postgres(value)) throw std::invalid_argument("--store is sqlite or postgres://...");
      if (value.find("schema=") != std::string::npos) {
        throw std::invalid_argument("--store: each run picks its own schema; leave schema= out");
      }
      s.pg_url = value == "sqlite" ? "" : value;
    } else if (flag == "--w5-processes") {
      s.w5_processes = parse_lengths(value);
    } else if (flag == "--w5-instances") {
      s.w5_instances = positive();
    } else if (flag == "--w5-fanout") {
      s.w5_fanout = positive();
    } else if (flag == "--w5-sleep-ms") {
      s.w5_sleep_ms = positive();
    } else if (flag == "--w6-sleeping") {
      s.w6_sleeping = positive();
    } else if (flag == "--w6-finished") {
      s.w6_finished = positive();
    } else if (flag == "--instance-cache") {
      s.instance_cache_sessions = std::stoul(value);
    } else if (flag == "--prepare-sql") {
      s.prepare_sql = value;
    } else if (flag == "--durability") {
      if (value != "normal" && value != "full") throw std::invalid_argument("--durability is normal or full");
      s.durability = value == "full" ? SqliteDurability::Full : SqliteDurability::Normal;
    } else {
      throw std::invalid_argument("unknown option " + flag + " (try --help)");
    }
  }
  const std::vector<std::string> workloads{"all", "w1", "w2", "w3", "w4", "w5", "w6"};
  if (std::find(workloads.begin(), workloads.end(), s.workload) == workloads.end()) {
    throw std::invalid_argument("unknown workload " + s.workload);
  }
  if (s.config != "all" && s.config != "defaults" && s.config != "4x4") {
    throw std::invalid_argument("unknown config " + s.config);
  }
  if (s.workload == "w6" && !s.pg_url.empty()) {
    throw std::invalid_argument("W6 fills a SQLite file directly: it runs on the sqlite store only");
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc > 1 && std::string(argv[1]) == "--w5-child") return run_w5_child(argc, argv);
    const Settings settings = parse(argc, argv);
    g_store_fields = store_fields(settings);
    std::vector<Config> configs;
    const RuntimeOptions defaults;
    if (settings.config != "4x4") {
      configs.push_back({"defaults", defaults.orchestration_concurrency, defaults.worker_concurrency});
    }
    if (settings.config != "defaults") configs.push_back({"4x4", 4, 4});
    const auto wants = [&](const char* w) { return settings.workload == "all" || settings.workload == w; };
    for (const auto& config : configs) {
      if (wants("w1")) run_w1(settings, config);
      if (wants("w2")) run_w2(settings, config);
      if (wants("w3")) run_w3(settings, config);
      if (wants("w4")) run_w4(settings, config);
      // Spawns runtime processes: only when asked for by name.
      if (settings.workload == "w5") run_w5(settings, config);
      // The big store takes a while to fill: only when asked for by name.
      if (settings.workload == "w6") run_w6(settings, config);
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "stress: " << e.what() << "\n";
    return 2;
  }
}
