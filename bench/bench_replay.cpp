// bench_replay: cost of one orchestration turn against a history of N completed activities
// (N = 10, 100, 1000, 10000), the work a turn does when an instance is not cached. Prints one
// JSON object per line, one line per N: {"benchmark", "n", "ns_per_turn", "ns_per_event", "iterations"}.
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <duroxide/duroxide.hpp>

#include "orchestration/replay_engine.hpp"

namespace {

using duroxide::Event;
using duroxide::OrchestrationContext;
using duroxide::Result;
using duroxide::Task;

Task<Result<std::string>> sequential_activities(OrchestrationContext ctx, std::string input) {
  const int count = std::stoi(input);
  std::size_t total = 0;
  for (int i = 0; i < count; ++i) {
    auto result = co_await ctx.schedule_activity("Step", std::to_string(i));
    total += result ? result->size() : 0;
  }
  co_return std::to_string(total);
}

Event make(std::uint64_t id, duroxide::EventKind kind, std::optional<std::uint64_t> source = std::nullopt) {
  Event event;
  event.event_id = id;
  event.source_event_id = source;
  event.instance_id = "bench";
  event.execution_id = 1;
  event.duroxide_version = "0.1.27";
  event.kind = std::move(kind);
  return event;
}

duroxide::orchestration::TurnInput make_input(int n) {
  duroxide::orchestration::TurnInput input;
  input.instance_id = "bench";
  input.orchestration_name = "Bench";
  input.input = std::to_string(n);
  input.handler = sequential_activities;
  input.now_ms = [] { return std::uint64_t{1'700'000'000'000}; };
  input.baseline.push_back(
      make(1, duroxide::events::OrchestrationStarted{"Bench", "1.0.0", input.input, {}, {}, {}, {}}));
  std::uint64_t id = 2;
  for (int i = 0; i < n; ++i) {
    input.baseline.push_back(make(id, duroxide::events::ActivityScheduled{"Step", std::to_string(i), {}, {}}));
    input.baseline.push_back(make(id + 1, duroxide::events::ActivityCompleted{"ok"}, id));
    id += 2;
  }
  input.persisted_len = input.baseline.size();
  return input;
}

void BM_ReplayTurn(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const auto input = make_input(n);
  for (auto _ : state) {
    auto output = duroxide::orchestration::run_turn(input);
    benchmark::DoNotOptimize(output);
    if (!std::holds_alternative<duroxide::orchestration::turn_result::Completed>(output.result))
      state.SkipWithError("turn did not complete");
  }
  state.counters["n"] = n;
  state.counters["events"] = static_cast<double>(input.baseline.size());
}
BENCHMARK(BM_ReplayTurn)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);

/// One JSON line per benchmark run, for scripts and CI trend tracking.
class JsonLinesReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) {
      if (run.run_type != Run::RT_Iteration) continue;
      const double ns_per_turn = run.GetAdjustedRealTime() * benchmark::GetTimeUnitMultiplier(benchmark::kNanosecond) /
                                 benchmark::GetTimeUnitMultiplier(run.time_unit);
      const double events = run.counters.count("events") ? static_cast<double>(run.counters.at("events")) : 1.0;
      nlohmann::json line = {{"benchmark", run.benchmark_name()},
                             {"n", run.counters.count("n") ? static_cast<double>(run.counters.at("n")) : 0.0},
                             {"ns_per_turn", ns_per_turn},
                             {"ns_per_event", ns_per_turn / events},
                             {"iterations", run.iterations}};
      std::cout << line.dump() << std::endl;
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  JsonLinesReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
