// summarize: the side-by-side table of `make bench` and `make bench-peer` (docs/performance.md,
// "The side-by-side table"). Reads our result lines (bench/stress) and duroxide's (the peer
// harness's lines, or bench/duroxide-reference.jsonl for figures recorded earlier), and prints a
// Markdown table: each workload's figure, its target, duroxide's figure, the ratio, and whether
// the target is met.
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace {

using Json = nlohmann::json;

std::vector<Json> read_lines(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "summarize: cannot read " << path << "\n";
    std::exit(2);
  }
  std::vector<Json> lines;
  std::string text;
  for (int number = 1; std::getline(in, text); ++number) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto line = Json::parse(text, nullptr, false);
    if (line.is_discarded() || !line.is_object()) {
      std::cerr << fmt::format("summarize: {} line {} is not a JSON object; skipped\n", path, number);
      continue;
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

bool is_postgres(const Json& line) { return line.value("store", "").starts_with("postgres"); }

/// The first line satisfying `match` that has a number at `field`.
std::optional<double> find(const std::vector<Json>& lines, const std::function<bool(const Json&)>& match,
                           const std::string& field) {
  for (const auto& line : lines) {
    if (line.contains("error") || line.value("summary", false) || line.value("quick", false)) continue;
    if (!match(line)) continue;
    const auto it = line.find(field);
    if (it != line.end() && it->is_number()) return it->get<double>();
  }
  return std::nullopt;
}

/// Our lines: the default concurrency (2/2) at synchronous=NORMAL on SQLite, or on PostgreSQL.
std::function<bool(const Json&)> ours(const std::string& workload, bool postgres,
                                      const std::function<bool(const Json&)>& extra = {}) {
  return [=](const Json& line) {
    if (line.value("workload", "") != workload || line.value("config", "") != "defaults") return false;
    if (is_postgres(line) != postgres) return false;
    if (!postgres && line.value("synchronous", "NORMAL") != "NORMAL") return false;
    return !extra || extra(line);
  };
}

/// duroxide's lines (peer harness format): 2/2, the same store kind.
std::function<bool(const Json&)> peer(const std::string& workload, bool postgres,
                                      const std::function<bool(const Json&)>& extra = {}) {
  return [=](const Json& line) {
    if (line.value("workload", "") != workload || line.value("config", "") != "2/2") return false;
    if (is_postgres(line) != postgres) return false;
    return !extra || extra(line);
  };
}

std::function<bool(const Json&)> with_int(const std::string& field, long value) {
  return [=](const Json& line) { return line.contains(field) && line[field].is_number() && line[field] == value; };
}

enum class Better { Higher, Lower };

struct Row {
  std::string workload;
  std::string measure;
  std::optional<double> ours;
  std::optional<double> target;  ///< none: no target, shown for comparison only
  Better better;
  std::optional<double> duroxide;
  std::string target_source;  ///< the issue that set the target
};

std::string number(double value) {
  if (value >= 100) return fmt::format("{:.0f}", value);
  if (value >= 10) return fmt::format("{:.1f}", value);
  return fmt::format("{:.2f}", value);
}

void print_row(const Row& row) {
  if (!row.ours) return;  // not measured in this run
  const auto& ours_value = *row.ours;
  std::string target = "—";
  std::string met = "—";
  if (row.target) {
    target = fmt::format("{} {}{}", row.better == Better::Higher ? "≥" : "≤", number(*row.target),
                         row.target_source.empty() ? "" : " (" + row.target_source + ")");
    const bool ok = row.better == Better::Higher ? ours_value >= *row.target : ours_value <= *row.target;
    met = ok ? "yes"
             : fmt::format("no ({:.0f}%)", row.better == Better::Higher ? 100.0 * ours_value / *row.target
                                                                        : 100.0 * *row.target / ours_value);
  }
  std::string duroxide = "—";
  std::string ratio = "—";
  if (row.duroxide) {
    duroxide = number(*row.duroxide);
    const double times = row.better == Better::Higher ? ours_value / *row.duroxide : *row.duroxide / ours_value;
    ratio = fmt::format("{:.1f}×", times);
  }
  std::cout << fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", row.workload, row.measure, number(ours_value),
                           target, duroxide, ratio, met);
}

int usage() {
  std::cerr << "usage: summarize --ours FILE [--duroxide FILE]\n"
               "  FILE: JSON lines; --ours from bench/stress, --duroxide from the peer harness\n"
               "  (../shared/bench/peer) or bench/duroxide-reference.jsonl\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string ours_path;
  std::string duroxide_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--ours" && i + 1 < argc) {
      ours_path = argv[++i];
    } else if (arg == "--duroxide" && i + 1 < argc) {
      duroxide_path = argv[++i];
    } else {
      return usage();
    }
  }
  if (ours_path.empty()) return usage();
  const auto mine = read_lines(ours_path);
  const auto theirs = duroxide_path.empty() ? std::vector<Json>{} : read_lines(duroxide_path);

  const auto w1_500 = with_int("instances", 500);
  const auto w1_10k = with_int("instances", 10000);
  const auto w1_cpu_ms = [&](bool postgres, const std::function<bool(const Json&)>& size) -> std::optional<double> {
    const auto cpu = find(mine, ours("W1_fanout", postgres, size), "cpu_s");
    const auto instances = find(mine, ours("W1_fanout", postgres, size), "instances");
    if (!cpu || !instances || *instances <= 0) return std::nullopt;
    return *cpu / *instances * 1000.0;
  };
  const auto ms = [](std::optional<double> seconds) -> std::optional<double> {
    if (!seconds) return std::nullopt;
    return *seconds * 1000.0;
  };
  std::optional<double> w3_flatness;
  {
    const auto long_chain = find(mine, ours("W3_chain", false, with_int("n", 10000)), "cpu_s_per_activity");
    const auto short_chain = find(mine, ours("W3_chain", false, with_int("n", 50)), "cpu_s_per_activity");
    if (long_chain && short_chain && *short_chain > 0) w3_flatness = *long_chain / *short_chain;
  }

  const std::vector<Row> rows = {
      {"W1 fan-out 500 × 5", "orchestrations/s", find(mine, ours("W1_fanout", false, w1_500), "orch_per_s"), 3000,
       Better::Higher, find(theirs, peer("W1", false), "orch_per_s"), "#16"},
      {"W1 fan-out 500 × 5", "activities/s", find(mine, ours("W1_fanout", false, w1_500), "activities_per_s"), 15000,
       Better::Higher, find(theirs, peer("W1", false), "activities_per_s"), "#16"},
      {"W1 fan-out 500 × 5", "CPU ms per orchestration", w1_cpu_ms(false, w1_500), 0.4, Better::Lower, std::nullopt,
       "#16"},
      {"W1 steady state, 10,000 × 5", "orchestrations/s", find(mine, ours("W1_fanout", false, w1_10k), "orch_per_s"),
       3000, Better::Higher, std::nullopt, "#16"},
      {"W1 steady state, 10,000 × 5", "peak RSS MB", find(mine, ours("W1_fanout", false, w1_10k), "peak_rss_mb"), 64,
       Better::Lower, std::nullopt, "#16"},
      {"W2 latency", "p50 ms, client-observed", find(mine, ours("W2_latency", false), "p50_ms"), 2, Better::Lower,
       find(theirs, peer("W2", false), "p50_ms"), "#7"},
      {"W3 chain, N = 400", "ms per activity",
       ms(find(mine, ours("W3_chain", false, with_int("n", 400)), "s_per_activity")), 2, Better::Lower,
       ms(find(theirs, peer("W3", false, with_int("n", 400)), "s_per_activity")), "#7"},
      {"W3 chain", "CPU per activity, N = 10,000 ÷ N = 50", w3_flatness, 1.2, Better::Lower, std::nullopt, "#16"},
      {"W4 timers 200 × 5 × 10 ms", "instances/s", find(mine, ours("W4_timers", false), "orch_per_s"), 400,
       Better::Higher, find(theirs, peer("W4", false), "instances_per_s"), "#7"},
      {"W4 timers 200 × 5 × 10 ms", "timer lateness ms, mean",
       find(mine, ours("W4_timers", false), "timer_late_avg_ms"), 5, Better::Lower, std::nullopt, "#16"},
      {"PostgreSQL W1 500 × 5", "orchestrations/s", find(mine, ours("W1_fanout", true, w1_500), "orch_per_s"), 836,
       Better::Higher, find(theirs, peer("W1", true), "orch_per_s"), "#16: 2 × 418"},
      {"PostgreSQL W1 500 × 5", "CPU ms per orchestration (ours only)", w1_cpu_ms(true, w1_500), std::nullopt,
       Better::Lower, std::nullopt, ""},
      {"PostgreSQL W2 latency", "p50 ms, client-observed", find(mine, ours("W2_latency", true), "p50_ms"), 3,
       Better::Lower, find(theirs, peer("W2", true), "p50_ms"), "#14"},
      {"PostgreSQL W4 timers", "instances/s", find(mine, ours("W4_timers", true), "orch_per_s"), std::nullopt,
       Better::Higher, find(theirs, peer("W4", true), "instances_per_s"), ""},
  };

  std::cout << fmt::format("Ours: {}\nduroxide: {}\n\n", ours_path, duroxide_path.empty() ? "none" : duroxide_path);
  std::cout << "| workload | measure | duroxide-cpp | target | duroxide | ratio | met |\n"
               "| --- | --- | --- | --- | --- | --- | --- |\n";
  for (const auto& row : rows) print_row(row);
  return 0;
}
