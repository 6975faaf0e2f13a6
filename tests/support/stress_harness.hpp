// A small provider stress harness (after duroxide's tests/provider_stress_test_validation.rs): keeps up to
// `max_concurrent` instances of one workload in flight for a bounded launch window, then waits a
// bounded drain time for every started instance, and counts the outcomes. Two workloads: parallel
// orchestrations (each fans out to activities) and large payloads (KB-sized activity inputs and
// outputs, sub-orchestrations, a long history). Any store can be given; the tests use a fresh
// file store.
//
// Outcome of an instance: completed (Completed with the output the workload expects), failed
// (Failed, or Completed with a wrong output), or unfinished (still running when the drain time ran
// out). success_rate() = completed / started.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include <duroxide/duroxide.hpp>

namespace duroxide::testing::stress {

using namespace std::chrono_literals;

struct StressConfig {
  std::size_t max_concurrent = 1;            ///< instances in flight during the launch window
  std::chrono::milliseconds duration{1000};  ///< launch window
  std::size_t orchestration_concurrency = 1;
  std::size_t worker_concurrency = 1;
  std::chrono::milliseconds activity_delay{5};     ///< work each activity simulates
  std::chrono::milliseconds drain_timeout{30000};  ///< after the window, for all instances together
};

struct StressResult {
  std::size_t started = 0;
  std::size_t completed = 0;
  std::size_t failed = 0;
  std::size_t unfinished = 0;
  std::chrono::milliseconds wall{0};
  std::vector<std::string> failures;  ///< "instance: reason", for the test's message

  double success_rate() const {
    return started == 0 ? 0.0 : 100.0 * static_cast<double>(completed) / static_cast<double>(started);
  }
  std::string summary() const {
    std::string text = fmt::format("started={} completed={} failed={} unfinished={} wall={}ms", started, completed,
                                   failed, unfinished, wall.count());
    for (const auto& f : failures) text += "\n  " + f;
    return text;
  }
};

/// One workload: registries, the orchestration to start, its input and the check of its output.
struct Workload {
  std::string name;
  ActivityRegistry activities;
  OrchestrationRegistry orchestrations;
  std::string orchestration;
  std::string input;
  std::function<bool(const std::string& output)> output_ok;
};

/// Runs `workload` against `store` with a runtime of the given concurrency; see the file comment.
inline StressResult run_stress(const std::shared_ptr<Provider>& store, Workload workload, const StressConfig& config) {
  RuntimeOptions options;
  options.dispatcher_min_poll_interval = 10ms;
  options.orchestration_concurrency = config.orchestration_concurrency;
  options.worker_concurrency = config.worker_concurrency;
  auto runtime = Runtime::start(store, std::move(workload.activities), std::move(workload.orchestrations), options);
  Client client(store);

  StressResult result;
  const auto record = [&](const std::string& instance, const ClientResult<OrchestrationStatus>& status) {
    if (!status) {
      ++result.unfinished;
      result.failures.push_back(instance + ": " + status.error().to_string());
    } else if (const auto* done = status->get_if<status::Completed>();
               done != nullptr && workload.output_ok(done->output)) {
      ++result.completed;
    } else {
      ++result.failed;
      result.failures.push_back(fmt::format("{}: {}", instance, status->name()));
    }
  };

  const auto start = std::chrono::steady_clock::now();
  const auto window_end = start + config.duration;
  std::deque<std::string> in_flight;
  while (std::chrono::steady_clock::now() < window_end) {
    if (in_flight.size() < config.max_concurrent) {
      const auto instance = fmt::format("{}-{}", workload.name, result.started);
      if (auto started = client.start_orchestration(instance, workload.orchestration, workload.input); !started) {
        ++result.failed;
        result.failures.push_back(instance + ": start failed: " + started.error().to_string());
        continue;
      }
      ++result.started;
      in_flight.push_back(instance);
      continue;
    }
    // Full: wait (within the window) for the oldest instance to finish.
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(window_end - std::chrono::steady_clock::now());
    auto status = client.wait_for_orchestration(in_flight.front(), std::max(left, 1ms));
    if (status) {
      record(in_flight.front(), status);
      in_flight.pop_front();
    }
  }
  const auto drain_end = std::chrono::steady_clock::now() + config.drain_timeout;
  for (const auto& instance : in_flight) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(drain_end - std::chrono::steady_clock::now());
    record(instance, client.wait_for_orchestration(instance, std::max(left, 1ms)));
  }
  result.wall = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  runtime->shutdown(5s);
  return result;
}

// ---- workload 1: parallel orchestrations (fan-out) ---------------------------------------------

/// Input: the number of activities to fan out to; output: how many succeeded.
inline Task<Result<std::string>> fan_out_orchestration(OrchestrationContext ctx, std::string input) {
  const int tasks = std::stoi(input);
  std::vector<DurableFuture<Result<std::string>>> calls;
  for (int i = 0; i < tasks; ++i) calls.push_back(ctx.schedule_activity("StressTask", std::to_string(i)));
  auto results = co_await OrchestrationContext::join(std::move(calls));
  int ok = 0;
  for (const auto& r : results) ok += r ? 1 : 0;
  co_return std::to_string(ok);
}

inline Workload parallel_orchestrations(const StressConfig& config, int tasks_per_instance) {
  const auto delay = config.activity_delay;
  return Workload{
      "fanout",
      ActivityRegistry::builder()
          .add("StressTask",
               [delay](ActivityContext&, std::string input) -> Result<std::string> {
                 std::this_thread::sleep_for(delay);  // simulated work, not synchronisation
                 return input;
               })
          .build(),
      OrchestrationRegistry::builder().add("FanoutOrchestration", fan_out_orchestration).build(),
      "FanoutOrchestration",
      std::to_string(tasks_per_instance),
      [tasks_per_instance](const std::string& output) { return output == std::to_string(tasks_per_instance); }};
}

// ---- workload 2: large payloads ----------------------------------------------------------------

struct LargePayloadSizes {
  std::size_t small_kb = 10;
  std::size_t medium_kb = 50;
  std::size_t large_kb = 100;
  int activity_count = 20;
  int sub_orch_count = 5;
};

/// `kb` KiB of a repeating printable pattern.
inline std::string payload(std::size_t kb) {
  static constexpr std::string_view kPattern = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string out;
  out.reserve(kb * 1024);
  while (out.size() < kb * 1024) out.append(kPattern.substr(0, std::min(kPattern.size(), kb * 1024 - out.size())));
  return out;
}

/// Padding activities every large-payload instance runs after its sub-orchestrations.
inline constexpr int kPaddingActivities = 10;

/// Sizes travel in the input ("small,medium,large,activities,subs|..."), as coroutine handlers
/// must not rely on captures.
inline LargePayloadSizes parse_sizes(const std::string& input) {
  LargePayloadSizes s;
  std::size_t pos = 0;
  const auto next = [&] {
    const auto end = input.find_first_of(",|", pos);
    const auto value = std::stoull(input.substr(pos, end - pos));
    pos = end == std::string::npos ? input.size() : end + 1;
    return value;
  };
  s.small_kb = next();
  s.medium_kb = next();
  s.large_kb = next();
  s.activity_count = static_cast<int>(next());
  s.sub_orch_count = static_cast<int>(next());
  return s;
}

inline std::string sizes_input(const LargePayloadSizes& s) {
  return fmt::format("{},{},{},{},{}", s.small_kb, s.medium_kb, s.large_kb, s.activity_count, s.sub_orch_count);
}

/// Two activities with payload inputs; returns "ok|<medium payload>" when both succeeded.
inline Task<Result<std::string>> large_payload_child(OrchestrationContext ctx, std::string input) {
  const auto sizes = parse_sizes(input);
  auto first = co_await ctx.schedule_activity("SmallPayloadTask", payload(sizes.small_kb));
  auto second = co_await ctx.schedule_activity("MediumPayloadTask", payload(sizes.medium_kb / 2));
  co_return std::string(first && second ? "ok|" : "err|") + payload(sizes.medium_kb);
}

/// activity_count sequential activities (a third small, a third medium, the rest large inputs),
/// sub_orch_count children in parallel with medium inputs, kPaddingActivities more small
/// activities; output "<activities ok>|<children ok>|<large payload>".
inline Task<Result<std::string>> large_payload_orchestration(OrchestrationContext ctx, std::string input) {
  const auto sizes = parse_sizes(input);
  const int small = sizes.activity_count / 3;
  const int medium = sizes.activity_count / 3;
  int activities_ok = 0;
  for (int i = 0; i < sizes.activity_count; ++i) {
    const char* name = i < small ? "SmallPayloadTask" : i < small + medium ? "MediumPayloadTask" : "LargePayloadTask";
    const std::size_t kb = i < small ? sizes.small_kb : i < small + medium ? sizes.medium_kb / 2 : sizes.large_kb / 4;
    auto r = co_await ctx.schedule_activity(name, fmt::format("{}|{}", i, payload(kb)));
    activities_ok += r ? 1 : 0;
  }
  std::vector<DurableFuture<Result<std::string>>> children;
  for (int i = 0; i < sizes.sub_orch_count; ++i) {
    children.push_back(ctx.schedule_sub_orchestration("LargePayloadSubOrchestration",
                                                      sizes_input(sizes) + "|" + payload(sizes.medium_kb)));
  }
  auto child_results = co_await OrchestrationContext::join(std::move(children));
  int children_ok = 0;
  for (const auto& r : child_results) children_ok += (r && r->starts_with("ok|")) ? 1 : 0;
  for (int i = 0; i < kPaddingActivities; ++i) {
    auto r = co_await ctx.schedule_activity("SmallPayloadTask", fmt::format("final-task-{}", i));
    activities_ok += r ? 1 : 0;
  }
  co_return fmt::format("{}|{}|{}", activities_ok, children_ok, payload(sizes.large_kb));
}

inline Workload large_payload(const StressConfig& config, const LargePayloadSizes& sizes) {
  const auto delay = config.activity_delay;
  const auto sized = [delay](std::size_t kb) {
    return [delay, kb](ActivityContext&, std::string input) -> Result<std::string> {
      std::this_thread::sleep_for(delay);  // simulated work, not synchronisation
      return fmt::format("{}|{}", input.size(), payload(kb));
    };
  };
  const auto expected_prefix = fmt::format("{}|{}|", sizes.activity_count + kPaddingActivities, sizes.sub_orch_count);
  const auto expected_size = expected_prefix.size() + sizes.large_kb * 1024;
  return Workload{"large",
                  ActivityRegistry::builder()
                      .add("SmallPayloadTask", sized(sizes.small_kb))
                      .add("MediumPayloadTask", sized(sizes.medium_kb))
                      .add("LargePayloadTask", sized(sizes.large_kb))
                      .build(),
                  OrchestrationRegistry::builder()
                      .add("LargePayloadOrchestration", large_payload_orchestration)
                      .add("LargePayloadSubOrchestration", large_payload_child)
                      .build(),
                  "LargePayloadOrchestration",
                  sizes_input(sizes),
                  [expected_prefix, expected_size](const std::string& output) {
                    return output.starts_with(expected_prefix) && output.size() == expected_size;
                  }};
}

}  // namespace duroxide::testing::stress
