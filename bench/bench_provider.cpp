// bench_provider: throughput of the SQLite file store's hot path, beside the raw commit rate of a
// database with the same settings measured by the same program. Prints one JSON line per figure:
//   {"benchmark":"sqlite_raw_commit", "per_second", "n"}
//   {"benchmark":"sqlite_orchestration_fetch_ack", "per_second", "n", "ratio_to_raw_commit"}
//   {"benchmark":"sqlite_activity_fetch_ack", "per_second", "n", "ratio_to_raw_commit"}
// A fetch+ack is two transactions (the fetch locks, the ack commits the turn), so 0.5 of the raw
// commit rate is the ceiling for this design.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <duroxide/duroxide.hpp>
#include <duroxide/sqlite_provider.hpp>

#include "providers/sqlite/sqlite_database.hpp"

namespace {

using namespace duroxide;
using Clock = std::chrono::steady_clock;

template <class T>
T check(ProviderResult<T> result, const char* what) {
  if (!result) throw std::runtime_error(std::string(what) + ": " + result.error().to_string());
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

void print(const std::string& name, int n, double per_second, std::optional<double> raw) {
  nlohmann::json line = {{"benchmark", name}, {"n", n}, {"per_second", per_second}};
  if (raw) line["ratio_to_raw_commit"] = per_second / *raw;
  std::cout << line.dump() << std::endl;
}

std::string fresh_path(const std::filesystem::path& dir, const std::string& name) {
  const auto path = dir / name;
  std::filesystem::remove(path);
  return path.string();
}

/// One small transaction per iteration (BEGIN IMMEDIATE, one insert of a work-item-sized row, COMMIT).
double raw_commit_rate(const std::string& path, int n) {
  auto db = check(sqlite::Database::open_file(path), "open raw");
  const std::string payload(200, 'x');
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    check(db->exec("raw", fmt::format("BEGIN IMMEDIATE; INSERT INTO orchestrator_queue (instance_id, work_item, "
                                      "visible_at, attempt_count, created_at) VALUES ('i{}', '{}', 0, 0, 0); COMMIT;",
                                      i, payload)),
          "raw commit");
  }
  return n / seconds_since(start);
}

double orchestration_rate(const std::string& path, int n) {
  auto store = check(SqliteProvider::open("sqlite:" + path), "open");
  for (int i = 0; i < n; ++i) {
    check(store->enqueue_for_orchestrator(work_items::StartOrchestration{fmt::format("inst-{}", i), "Bench", "{}",
                                                                         "1.0.0", std::nullopt, std::nullopt, 1},
                                          std::nullopt),
          "enqueue");
  }
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    auto item = check(store->fetch_orchestration_item(std::chrono::seconds(30), std::chrono::milliseconds(0), nullptr),
                      "fetch");
    if (!item) throw std::runtime_error("queue drained early");
    OrchestrationAck ack;
    ack.execution_id = 1;
    ack.history_delta.push_back(
        make_event(1, std::nullopt, item->item.instance, 1,
                   events::OrchestrationStarted{"Bench", "1.0.0", "{}", std::nullopt, std::nullopt, {}, std::nullopt}));
    ack.history_delta.push_back(
        make_event(2, std::nullopt, item->item.instance, 1, events::ActivityScheduled{"Step", "{}", {}, {}}));
    ack.worker_items.push_back(work_items::ActivityExecute{item->item.instance, 1, 2, "Step", "{}", {}, {}});
    ack.metadata.orchestration_name = "Bench";
    ack.metadata.orchestration_version = "1.0.0";
    ack.metadata.status = ExecutionStatus::Running;
    check(store->ack_orchestration_item(item->lock_token, ack), "ack");
  }
  return n / seconds_since(start);
}

double activity_rate(const std::string& path, int n) {
  auto store = check(SqliteProvider::open("sqlite:" + path), "open");
  for (int i = 0; i < n; ++i) {
    check(store->enqueue_for_worker(work_items::ActivityExecute{fmt::format("inst-{}", i), 1, 2, "Step", "{}", {}, {}}),
          "enqueue");
  }
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    auto item = check(store->fetch_work_item(std::chrono::seconds(30), std::chrono::milliseconds(0), std::nullopt,
                                             TagFilter::default_only()),
                      "fetch");
    if (!item) throw std::runtime_error("queue drained early");
    const auto& activity = std::get<work_items::ActivityExecute>(item->item);
    check(store->ack_work_item(item->lock_token,
                               WorkItem{work_items::ActivityCompleted{activity.instance, 1, 2, "\"ok\""}}),
          "ack");
  }
  return n / seconds_since(start);
}

}  // namespace

int main() {
  try {
    const auto dir = std::filesystem::temp_directory_path() / fmt::format("duroxide-bench-{}", ::getpid());
    std::filesystem::create_directories(dir);
    constexpr int kOps = 5000;
    const double raw = raw_commit_rate(fresh_path(dir, "raw.db"), kOps);
    print("sqlite_raw_commit", kOps, raw, std::nullopt);
    print("sqlite_orchestration_fetch_ack", kOps, orchestration_rate(fresh_path(dir, "orch.db"), kOps), raw);
    print("sqlite_activity_fetch_ack", kOps, activity_rate(fresh_path(dir, "work.db"), kOps), raw);
    std::filesystem::remove_all(dir);
  } catch (const std::exception& e) {
    std::cerr << "bench_provider: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
