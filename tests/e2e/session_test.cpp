// Mirrors duroxide's tests/session_e2e_tests.rs (22): schedule_activity_on_session[_typed],
// ActivityContext::session_id(), worker_node_id and max_sessions_per_runtime end to end
// (docs/runtime-features.md, "Activity sessions").
//
// Concurrency rows never sleep: activities count themselves in and out of a Probe, and an
// activity that must "hold its slot" waits on the probe's condition variable until either the
// overlap it is looking for happened (peak in-flight reached 2) or the other worker slot has
// demonstrably polled the store several times without picking the second item up (empty
// fetch_work_item results counted by a store decorator). A short long-poll timeout keeps those
// empty polls frequent.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <vector>

#include "support/e2e_support.hpp"
#include "support/forwarding_provider.hpp"

namespace duroxide::testing {
namespace {

using namespace std::chrono_literals;

/// Shared observation point of a test: activities in flight, their peak, a log of
/// "<name>-started"/"<name>-finished", names released by the test, and empty worker polls.
struct Probe {
  std::mutex mutex;
  std::condition_variable changed;
  int in_flight = 0;
  int peak = 0;
  std::uint64_t empty_fetches = 0;
  std::vector<std::string> log;
  std::set<std::string> released;

  /// Returns the empty-fetch count at entry.
  std::uint64_t enter(const std::string& name) {
    std::lock_guard lock(mutex);
    ++in_flight;
    peak = std::max(peak, in_flight);
    log.push_back(name + "-started");
    changed.notify_all();
    return empty_fetches;
  }
  void leave(const std::string& name) {
    std::lock_guard lock(mutex);
    --in_flight;
    log.push_back(name + "-finished");
    changed.notify_all();
  }
  void empty_fetch() {
    std::lock_guard lock(mutex);
    ++empty_fetches;
    changed.notify_all();
  }
  void release(const std::string& name) {
    std::lock_guard lock(mutex);
    released.insert(name);
    changed.notify_all();
  }
  /// Waits (bounded) until `pred` holds; `pred` runs under the probe's lock.
  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, pred);
  }
  bool logged(const std::string& entry) const { return std::find(log.begin(), log.end(), entry) != log.end(); }
  std::ptrdiff_t position(const std::string& entry) const {
    return std::find(log.begin(), log.end(), entry) - log.begin();
  }
  int peak_now() {
    std::lock_guard lock(mutex);
    return peak;
  }
};

/// Reports every empty fetch_work_item result to the probe (proof that a worker slot polled).
class ProbedStore : public ForwardingProvider {
 public:
  ProbedStore(std::shared_ptr<Provider> inner, std::shared_ptr<Probe> probe)
      : ForwardingProvider(std::move(inner)), probe_(std::move(probe)) {}
  ProviderResult<std::optional<LockedWorkItem>> fetch_work_item(Millis lock_timeout, Millis poll_timeout,
                                                                const std::optional<SessionFetchConfig>& session,
                                                                const TagFilter& tags) override {
    auto result = ForwardingProvider::fetch_work_item(lock_timeout, poll_timeout, session, tags);
    if (result && !*result) probe_->empty_fetch();
    return result;
  }

 private:
  std::shared_ptr<Probe> probe_;
};

/// Empty polls by the other slot that count as "it had its chance and did not take the item".
constexpr std::uint64_t kIdlePolls = 5;

/// Holds the calling activity until a second one is in flight or the other slot polled
/// kIdlePolls times without starting anything.
void hold_until_overlap_or_idle_polls(Probe& probe, const std::string& name) {
  const auto base = probe.enter(name);
  probe.wait([&] { return probe.peak >= 2 || probe.empty_fetches >= base + kIdlePolls; });
  probe.leave(name);
}

RuntimeOptions session_options(std::size_t workers) {
  RuntimeOptions options = fast_options();
  options.worker_concurrency = workers;
  options.dispatcher_long_poll_timeout = 20ms;  // idle slots come back (and are counted) often
  return options;
}

// ---------------------------------------------------------------- orchestrations

Task<Result<std::string>> echo_twice_on_session(OrchestrationContext ctx, std::string) {
  auto r1 = co_await ctx.schedule_activity_on_session("Echo", "hello", "my-session-1");
  if (!r1) co_return Err(r1.error());
  auto r2 = co_await ctx.schedule_activity_on_session("Echo", "world", "my-session-1");
  if (!r2) co_return Err(r2.error());
  co_return *r1 + "|" + *r2;
}

Task<Result<std::string>> one_on_session(OrchestrationContext ctx, std::string input) {
  // input "<activity>|<session>|<activity input>"
  const auto first = input.find('|');
  const auto second = input.find('|', first + 1);
  auto r = co_await ctx.schedule_activity_on_session(input.substr(0, first), input.substr(second + 1),
                                                     input.substr(first + 1, second - first - 1));
  if (!r) co_return Err(r.error());
  co_return *r;
}

Task<Result<std::string>> mixed_sequential(OrchestrationContext ctx, std::string) {
  auto r1 = co_await ctx.schedule_activity("RegularTask", "a");
  if (!r1) co_return Err(r1.error());
  auto r2 = co_await ctx.schedule_activity_on_session("SessionTask", "b", "sess-1");
  if (!r2) co_return Err(r2.error());
  auto r3 = co_await ctx.schedule_activity("RegularTask", "c");
  if (!r3) co_return Err(r3.error());
  co_return *r1 + "|" + *r2 + "|" + *r3;
}

Task<Result<std::string>> three_sequential_sessions(OrchestrationContext ctx, std::string) {
  // A, B, A
  auto r1 = co_await ctx.schedule_activity_on_session("Echo", "a", "session-A");
  if (!r1) co_return Err(r1.error());
  auto r2 = co_await ctx.schedule_activity_on_session("Echo", "b", "session-B");
  if (!r2) co_return Err(r2.error());
  auto r3 = co_await ctx.schedule_activity_on_session("Echo", "c", "session-A");
  if (!r3) co_return Err(r3.error());
  co_return *r1 + "|" + *r2 + "|" + *r3;
}

Task<Result<std::string>> typed_on_session(OrchestrationContext ctx, std::string) {
  nlohmann::json in = {{"value", 21}};
  auto r = co_await ctx.schedule_activity_on_session_typed<int>("Double", in, "typed-sess");
  if (!r) co_return Err(r.error());
  co_return std::to_string(*r);
}

Task<Result<std::string>> work_three_on_one_session(OrchestrationContext ctx, std::string) {
  std::string out;
  for (const char* input : {"a", "b", "c"}) {
    auto r = co_await ctx.schedule_activity_on_session("Work", input, "stable-sess");
    if (!r) co_return Err(r.error());
    out += (out.empty() ? "" : "|") + *r;
  }
  co_return out;
}

/// Joins a list of activity futures; results joined with '|' in list order.
Task<Result<std::string>> join_bar(std::vector<DurableFuture<Result<std::string>>> futures) {
  auto results = co_await OrchestrationContext::join(std::move(futures));
  std::string out;
  for (auto& r : results) {
    if (!r) co_return Err(r.error());
    out += (out.empty() ? "" : "|") + *r;
  }
  co_return out;
}

Task<Result<std::string>> count_three_sessions(OrchestrationContext ctx, std::string) {
  std::vector<DurableFuture<Result<std::string>>> futures;
  futures.push_back(ctx.schedule_activity_on_session("Count", "x", "sess-1"));
  futures.push_back(ctx.schedule_activity_on_session("Count", "y", "sess-2"));
  futures.push_back(ctx.schedule_activity_on_session("Count", "z", "sess-3"));
  co_return co_await join_bar(std::move(futures));
}

Task<Result<std::string>> slow_fast_same_session(OrchestrationContext ctx, std::string) {
  auto both = co_await OrchestrationContext::join2(ctx.schedule_activity_on_session("SlowTask", "a", "same-session"),
                                                   ctx.schedule_activity_on_session("FastTask", "b", "same-session"));
  auto& r1 = std::get<0>(both);
  auto& r2 = std::get<1>(both);
  if (!r1) co_return Err(r1.error());
  if (!r2) co_return Err(r2.error());
  co_return *r1 + "|" + *r2;
}

Task<Result<std::string>> fan_out_three_sessions(OrchestrationContext ctx, std::string) {
  std::vector<DurableFuture<Result<std::string>>> futures;
  for (int i = 0; i < 3; ++i) {
    futures.push_back(ctx.schedule_activity_on_session("Process", std::to_string(i), "session-" + std::to_string(i)));
  }
  co_return co_await join_bar(std::move(futures));
}

Task<Result<std::string>> fan_out_mixed(OrchestrationContext ctx, std::string) {
  std::vector<DurableFuture<Result<std::string>>> futures;
  futures.push_back(ctx.schedule_activity_on_session("SessionWork", "a", "s1"));
  futures.push_back(ctx.schedule_activity("RegularWork", "b"));
  futures.push_back(ctx.schedule_activity_on_session("SessionWork", "c", "s2"));
  futures.push_back(ctx.schedule_activity("RegularWork", "d"));
  co_return co_await join_bar(std::move(futures));
}

Task<Result<std::string>> fan_out_multiple_per_session(OrchestrationContext ctx, std::string) {
  std::vector<DurableFuture<Result<std::string>>> futures;
  futures.push_back(ctx.schedule_activity_on_session("Tag", "s1-a", "session-1"));
  futures.push_back(ctx.schedule_activity_on_session("Tag", "s1-b", "session-1"));
  futures.push_back(ctx.schedule_activity_on_session("Tag", "s2-a", "session-2"));
  futures.push_back(ctx.schedule_activity_on_session("Tag", "s2-b", "session-2"));
  futures.push_back(ctx.schedule_activity("Tag", "no-sess-a"));
  futures.push_back(ctx.schedule_activity("Tag", "no-sess-b"));
  co_return co_await join_bar(std::move(futures));
}

Task<Result<std::string>> session_then_can(OrchestrationContext ctx, std::string input) {
  const int iteration = input.empty() ? 0 : std::stoi(input);
  auto r =
      co_await ctx.schedule_activity_on_session("Track", "iter-" + std::to_string(iteration), "persistent-session");
  if (!r) co_return Err(r.error());
  if (iteration == 0) co_await ctx.continue_as_new("1");
  co_return *r;
}

Task<Result<std::string>> upgrade_v1(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_activity_on_session("Work", "from-v1", "upgrade-session");
  if (!r) co_return Err(r.error());
  co_await ctx.continue_as_new_versioned("2.0.0", *r);
  co_return Err("continue_as_new returned");
}

Task<Result<std::string>> upgrade_v2(OrchestrationContext ctx, std::string input) {
  auto r = co_await ctx.schedule_activity_on_session("Work", "from-v2", "upgrade-session");
  if (!r) co_return Err(r.error());
  co_return input + "+" + *r;
}

Task<Result<std::string>> two_sessions_joined(OrchestrationContext ctx, std::string input) {
  // input "<activity>|<session 1>|<input 1>|<session 2>|<input 2>"
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t bar; (bar = input.find('|', start)) != std::string::npos; start = bar + 1) {
    parts.push_back(input.substr(start, bar - start));
  }
  parts.push_back(input.substr(start));
  std::vector<DurableFuture<Result<std::string>>> futures;
  futures.push_back(ctx.schedule_activity_on_session(parts[0], parts[2], parts[1]));
  futures.push_back(ctx.schedule_activity_on_session(parts[0], parts[4], parts[3]));
  co_return co_await join_bar(std::move(futures));
}

Task<Result<std::string>> multi_worker_cycles(OrchestrationContext ctx, std::string input) {
  // "<cycle>|<results so far>"
  const auto bar = input.find('|');
  const int cycle = std::stoi(input.substr(0, bar));
  const std::string previous = input.substr(bar + 1);
  if (cycle == 0) {
    std::vector<DurableFuture<Result<std::string>>> futures;
    futures.push_back(ctx.schedule_activity_on_session("SessionWork", "a", "sess-alpha"));
    futures.push_back(ctx.schedule_activity_on_session("SessionWork", "b", "sess-alpha"));
    futures.push_back(ctx.schedule_activity_on_session("SessionWork", "c", "sess-beta"));
    futures.push_back(ctx.schedule_activity("PlainWork", "d"));
    auto results = co_await OrchestrationContext::join(std::move(futures));
    std::string combined;
    for (auto& r : results) combined += (combined.empty() ? "" : ";") + (r ? *r : "ERR:" + r.error());
    co_await ctx.continue_as_new("1|" + combined);
    co_return Err("continue_as_new returned");
  }
  auto r1 = co_await ctx.schedule_activity_on_session("SessionWork", "e", "sess-alpha");
  if (!r1) co_return Err(r1.error());
  auto r2 = co_await ctx.schedule_activity_on_session("SessionWork", "f", "sess-beta");
  if (!r2) co_return Err(r2.error());
  co_return previous + ";" + *r1 + ";" + *r2;
}

Task<Result<std::string>> three_sessions_results(OrchestrationContext ctx, std::string) {
  std::vector<DurableFuture<Result<std::string>>> futures;
  futures.push_back(ctx.schedule_activity_on_session("Work", "1", "sess-X"));
  futures.push_back(ctx.schedule_activity_on_session("Work", "2", "sess-Y"));
  futures.push_back(ctx.schedule_activity_on_session("Work", "3", "sess-Z"));
  auto results = co_await OrchestrationContext::join(std::move(futures));
  std::string combined;
  for (auto& r : results) combined += (combined.empty() ? "" : "|") + (r ? *r : "ERR:" + r.error());
  co_return combined;
}

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add("EchoTwice", echo_twice_on_session)
      .add("OneOnSession", one_on_session)
      .add("MixedSequential", mixed_sequential)
      .add("ThreeSequentialSessions", three_sequential_sessions)
      .add("TypedOnSession", typed_on_session)
      .add("WorkThree", work_three_on_one_session)
      .add("CountThree", count_three_sessions)
      .add("SlowFast", slow_fast_same_session)
      .add("FanOutThree", fan_out_three_sessions)
      .add("FanOutMixed", fan_out_mixed)
      .add("FanOutMultiple", fan_out_multiple_per_session)
      .add("SessionCan", session_then_can)
      .add("TwoSessions", two_sessions_joined)
      .add("MultiWorker", multi_worker_cycles)
      .add("ThreeSessions", three_sessions_results)
      .build();
}

using Handler = std::function<Result<std::string>(ActivityContext&, std::string)>;
Handler prefix(std::string p) {
  return [p = std::move(p)](ActivityContext&, std::string input) -> Result<std::string> { return p + input; };
}

ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Echo", [](ActivityContext&, std::string input) -> Result<std::string> { return input; })
      .add("SessionTask", prefix("session:"))
      .add("RegularTask", prefix("regular:"))
      .add("Work", prefix("done:"))
      .add("Process", prefix("processed:"))
      .add("SessionWork", prefix("sess:"))
      .add("RegularWork", prefix("reg:"))
      .add("Tag", prefix("tag:"))
      .add("Track", prefix("tracked:"))
      .add("Double",
           [](ActivityContext&, std::string input) -> Result<std::string> {
             return nlohmann::json(nlohmann::json::parse(input).at("value").get<int>() * 2).dump();
           })
      .build();
}

/// The plain activities plus "SessionId" (returns ctx.session_id() or "none").
ActivityRegistry activities_with_session_probe() {
  return ActivityRegistry::builder()
      .add("SessionId",
           [](ActivityContext& ctx, std::string) -> Result<std::string> { return ctx.session_id().value_or("none"); })
      .build();
}

// ---------------------------------------------------------------- basic routing

TEST(E2eSession, test_session_activity_basic_e2e) {
  auto registry = ActivityRegistry::builder().add("Echo", prefix("echo:")).build();
  E2eEnv env(std::move(registry), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("test-session-basic", "EchoTwice", ""));
  EXPECT_EQ(env.output_of("test-session-basic"), "echo:hello|echo:world");
  // Both activities really were session-bound.
  for (const auto& e : env.history("test-session-basic")) {
    if (const auto* s = e.get_if<events::ActivityScheduled>()) {
      EXPECT_EQ(s->session_id, "my-session-1");
    }
  }
}

TEST(E2eSession, test_session_id_visible_in_activity_context) {
  E2eEnv env(activities_with_session_probe(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("test-ctx-session", "OneOnSession", "SessionId|ctx-test-session|input"));
  EXPECT_EQ(env.output_of("test-ctx-session"), "ctx-test-session");
}

TEST(E2eSession, test_mixed_session_and_regular_activities) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("test-mixed", "MixedSequential", ""));
  EXPECT_EQ(env.output_of("test-mixed"), "regular:a|session:b|regular:c");
  std::vector<std::optional<std::string>> sessions;
  for (const auto& e : env.history("test-mixed")) {
    if (const auto* s = e.get_if<events::ActivityScheduled>()) sessions.push_back(s->session_id);
  }
  EXPECT_EQ(sessions, (std::vector<std::optional<std::string>>{std::nullopt, "sess-1", std::nullopt}));
}

TEST(E2eSession, test_multiple_sessions_in_orchestration) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("test-multi-session", "ThreeSequentialSessions", ""));
  EXPECT_EQ(env.output_of("test-multi-session"), "a|b|c");
}

TEST(E2eSession, test_session_activity_typed) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("test-typed-session", "TypedOnSession", ""));
  EXPECT_EQ(env.output_of("test-typed-session"), "42");
}

// ---------------------------------------------------------------- worker_node_id

TEST(E2eSession, test_session_with_worker_node_id_completes) {
  RuntimeOptions options = fast_options();
  options.worker_concurrency = 4;
  options.worker_node_id = "stable-pod-1";
  E2eEnv env(activities(), orchestrations(), options);
  ASSERT_TRUE(env.client.start_orchestration("test-stable-node", "WorkThree", ""));
  EXPECT_EQ(env.output_of("test-stable-node"), "done:a|done:b|done:c");
}

TEST(E2eSession, test_session_worker_node_id_multiple_sessions_parallel) {
  auto count = std::make_shared<std::atomic<int>>(0);
  auto registry = ActivityRegistry::builder()
                      .add("Count",
                           [count](ActivityContext&, std::string) -> Result<std::string> {
                             ++*count;
                             return std::string("counted");
                           })
                      .build();
  RuntimeOptions options = fast_options();
  options.worker_concurrency = 4;
  options.worker_node_id = "multi-sess-pod";
  E2eEnv env(std::move(registry), orchestrations(), options);
  ASSERT_TRUE(env.client.start_orchestration("test-parallel-sess", "CountThree", ""));
  EXPECT_EQ(env.output_of("test-parallel-sess"), "counted|counted|counted");
  EXPECT_GE(count->load(), 3);  // at-least-once
}

TEST(E2eSession, test_ephemeral_session_still_works) {
  RuntimeOptions options = fast_options();
  options.worker_concurrency = 1;
  options.worker_node_id = std::nullopt;
  E2eEnv env(activities(), orchestrations(), options);
  ASSERT_TRUE(env.client.start_orchestration("test-ephemeral", "OneOnSession", "Echo|eph-sess|ephemeral-val"));
  EXPECT_EQ(env.output_of("test-ephemeral"), "ephemeral-val");
}

TEST(E2eSession, test_session_with_worker_node_id_activity_context_has_session_id) {
  auto worker_ids = std::make_shared<std::vector<std::string>>();
  auto mutex = std::make_shared<std::mutex>();
  auto registry = ActivityRegistry::builder()
                      .add("SessionId",
                           [worker_ids, mutex](ActivityContext& ctx, std::string) -> Result<std::string> {
                             std::lock_guard lock(*mutex);
                             worker_ids->push_back(ctx.worker_id());
                             return ctx.session_id().value_or("none");
                           })
                      .build();
  RuntimeOptions options = fast_options();
  options.worker_concurrency = 2;
  options.worker_node_id = "k8s-pod-name";
  E2eEnv env(std::move(registry), orchestrations(), options);
  ASSERT_TRUE(env.client.start_orchestration("test-node-ctx", "OneOnSession", "SessionId|my-session|"));
  EXPECT_EQ(env.output_of("test-node-ctx"), "my-session");  // the session, not the node id
  std::lock_guard lock(*mutex);
  ASSERT_EQ(worker_ids->size(), 1u);
  EXPECT_NE(worker_ids->front().find("k8s-pod-name"), std::string::npos) << worker_ids->front();
}

/// Slow/Fast activities that record overlap on `probe`.
ActivityRegistry overlap_activities(const std::shared_ptr<Probe>& probe) {
  return ActivityRegistry::builder()
      .add("SlowTask",
           [probe](ActivityContext&, std::string input) -> Result<std::string> {
             hold_until_overlap_or_idle_polls(*probe, "slow");
             return "slow:" + input;
           })
      .add("FastTask",
           [probe](ActivityContext&, std::string input) -> Result<std::string> {
             hold_until_overlap_or_idle_polls(*probe, "fast");
             return "fast:" + input;
           })
      .build();
}

TEST(E2eSession, test_two_slots_serve_same_session_concurrently) {
  auto probe = std::make_shared<Probe>();
  RuntimeOptions options = session_options(2);
  options.worker_node_id = "my-node";
  E2eEnv env(std::make_shared<ProbedStore>(test_store(), probe), overlap_activities(probe), orchestrations(), options);
  ASSERT_TRUE(env.client.start_orchestration("test-concurrent-session", "SlowFast", ""));
  EXPECT_EQ(env.output_of("test-concurrent-session"), "slow:a|fast:b");
  EXPECT_EQ(probe->peak_now(), 2) << "both slots share the node identity, so both serve the session at once";
}

TEST(E2eSession, test_ephemeral_same_session_serialized) {
  auto probe = std::make_shared<Probe>();
  RuntimeOptions options = session_options(2);
  options.worker_node_id = std::nullopt;
  E2eEnv env(std::make_shared<ProbedStore>(test_store(), probe), overlap_activities(probe), orchestrations(), options);
  ASSERT_TRUE(env.client.start_orchestration("test-serial-session", "SlowFast", ""));
  EXPECT_EQ(env.output_of("test-serial-session"), "slow:a|fast:b");
  EXPECT_EQ(probe->peak_now(), 1) << "each slot is its own session owner: only the owner serves the session";
}

// ---------------------------------------------------------------- fan-out / fan-in

TEST(E2eSession, test_session_fan_out_fan_in) {
  RuntimeOptions options = fast_options();
  options.worker_concurrency = 4;
  options.worker_node_id = "fan-pod";
  E2eEnv env(activities(), orchestrations(), options);
  ASSERT_TRUE(env.client.start_orchestration("test-fan-out", "FanOutThree", ""));
  EXPECT_EQ(env.output_of("test-fan-out"), "processed:0|processed:1|processed:2");
}

TEST(E2eSession, test_session_fan_out_mixed_with_regular) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("test-mixed-fan", "FanOutMixed", ""));
  EXPECT_EQ(env.output_of("test-mixed-fan"), "sess:a|reg:b|sess:c|reg:d");
}

TEST(E2eSession, test_fan_out_multiple_per_session_mixed) {
  RuntimeOptions options = fast_options();
  options.worker_concurrency = 4;
  options.worker_node_id = "mix-pod";
  E2eEnv env(activities(), orchestrations(), options);
  ASSERT_TRUE(env.client.start_orchestration("test-multi-mix", "FanOutMultiple", ""));
  EXPECT_EQ(env.output_of("test-multi-mix"), "tag:s1-a|tag:s1-b|tag:s2-a|tag:s2-b|tag:no-sess-a|tag:no-sess-b");
}

// ---------------------------------------------------------------- continue-as-new

TEST(E2eSession, test_session_survives_continue_as_new) {
  RuntimeOptions options = fast_options();
  options.worker_concurrency = 1;
  options.orchestration_concurrency = 1;
  options.worker_node_id = "can-pod";
  E2eEnv env(activities(), orchestrations(), options);
  ASSERT_TRUE(env.client.start_orchestration("test-session-can", "SessionCan", ""));
  EXPECT_EQ(env.output_of("test-session-can"), "tracked:iter-1");
  // Execution 2 scheduled its activity on the same session.
  const auto history = env.history("test-session-can");
  const auto scheduled =
      std::find_if(history.begin(), history.end(), [](const Event& e) { return e.is<events::ActivityScheduled>(); });
  ASSERT_NE(scheduled, history.end());
  EXPECT_EQ(scheduled->execution_id, 2u);
  EXPECT_EQ(scheduled->get_if<events::ActivityScheduled>()->session_id, "persistent-session");
}

TEST(E2eSession, test_session_continue_as_new_versioned_upgrade) {
  auto registry = OrchestrationRegistry::builder()
                      .add("UpgradeSession", upgrade_v1)
                      .add_versioned("UpgradeSession", "2.0.0", upgrade_v2)
                      .set_policy("UpgradeSession", version_policy::Exact{Version::parse("1.0.0").value()})
                      .build();
  RuntimeOptions options = fast_options();
  options.worker_concurrency = 1;
  options.orchestration_concurrency = 1;
  options.worker_node_id = "upgrade-pod";
  E2eEnv env(activities(), std::move(registry), options);
  ASSERT_TRUE(env.client.start_orchestration("test-session-can-ver", "UpgradeSession", ""));
  EXPECT_EQ(env.output_of("test-session-can-ver"), "done:from-v1+done:from-v2");
}

// ---------------------------------------------------------------- options and capacity

TEST(E2eSession, test_session_idle_timeout_must_exceed_worker_renewal_interval) {
  RuntimeOptions options = fast_options();
  options.session_idle_timeout = 25s;  // equal to 30 s - 5 s: not greater
  options.worker_lock_timeout = 30s;
  options.worker_lock_renewal_buffer = 5s;
  try {
    auto runtime = Runtime::start(test_store(), ActivityRegistry::builder().build(),
                                  OrchestrationRegistry::builder().build(), options);
    runtime->shutdown(1s);
    FAIL() << "Runtime::start accepted session_idle_timeout 25 s with a 25 s worker renewal interval";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("session_idle_timeout"), std::string::npos) << e.what();
  }
}

RuntimeOptions capped_options() {
  RuntimeOptions options = session_options(2);  // enough slots to run both at once if allowed
  options.max_sessions_per_runtime = 1;
  options.orchestration_concurrency = 1;
  return options;
}

TEST(E2eSession, test_max_sessions_per_runtime_enforced) {
  auto probe = std::make_shared<Probe>();
  auto registry = ActivityRegistry::builder()
                      .add("SlowSession",
                           [probe](ActivityContext&, std::string input) -> Result<std::string> {
                             hold_until_overlap_or_idle_polls(*probe, input);
                             return std::string("done");
                           })
                      .build();
  E2eEnv env(std::make_shared<ProbedStore>(test_store(), probe), std::move(registry), orchestrations(),
             capped_options());
  ASSERT_TRUE(
      env.client.start_orchestration("test-max-sessions", "TwoSessions", "SlowSession|session-A|a|session-B|b"));
  EXPECT_EQ(env.output_of("test-max-sessions"), "done|done");
  EXPECT_EQ(probe->peak_now(), 1) << "two sessions with max_sessions_per_runtime 1 must not run concurrently";
}

TEST(E2eSession, test_same_session_shares_one_slot) {
  auto registry = ActivityRegistry::builder()
                      .add("SlowSame", [](ActivityContext&, std::string) -> Result<std::string> { return "ok"; })
                      .build();
  E2eEnv env(std::move(registry), orchestrations(), capped_options());
  ASSERT_TRUE(env.client.start_orchestration("test-same-session-slot", "TwoSessions",
                                             "SlowSame|shared-session|a|shared-session|b"));
  EXPECT_EQ(env.output_of("test-same-session-slot"), "ok|ok");  // one session counts once: no deadlock
}

TEST(E2eSession, test_session_cap_blocks_then_unblocks) {
  auto probe = std::make_shared<Probe>();
  auto registry = ActivityRegistry::builder()
                      .add("Tracked",
                           [probe](ActivityContext& ctx, std::string input) -> Result<std::string> {
                             probe->enter(input);
                             probe->wait([&] { return probe->released.contains(input) || ctx.is_cancelled(); });
                             probe->leave(input);
                             return "result-" + input;
                           })
                      .build();
  E2eEnv env(std::make_shared<ProbedStore>(test_store(), probe), std::move(registry), orchestrations(),
             capped_options());
  ASSERT_TRUE(env.client.start_orchestration("test-block-unblock", "TwoSessions", "Tracked|session-A|A|session-B|B"));

  std::string first;
  ASSERT_TRUE(probe->wait([&] {
    if (probe->logged("A-started")) first = "A";
    if (probe->logged("B-started")) first = "B";
    return !first.empty();
  })) << "no activity started";
  const std::string second = first == "A" ? "B" : "A";

  // The other slot polls the store several times while the first holds the only session slot.
  {
    std::unique_lock lock(probe->mutex);
    const auto base = probe->empty_fetches;
    ASSERT_TRUE(probe->changed.wait_for(lock, 10s, [&] { return probe->empty_fetches >= base + kIdlePolls; }));
    EXPECT_FALSE(probe->logged(second + "-started")) << second << " started while " << first << " held the cap";
  }

  probe->release(first);
  EXPECT_TRUE(probe->wait([&] { return probe->logged(second + "-started"); }))
      << second << " never started after " << first << " finished";
  probe->release(second);
  EXPECT_EQ(env.output_of("test-block-unblock"), "result-A|result-B");

  std::lock_guard lock(probe->mutex);
  EXPECT_LT(probe->position(first + "-finished"), probe->position(second + "-started"));
  EXPECT_LT(probe->position(second + "-started"), static_cast<std::ptrdiff_t>(probe->log.size()));
}

// ---------------------------------------------------------------- two runtimes on one store

/// Which runtime ("A"/"B") ran each session activity, by session id.
struct Placement {
  std::mutex mutex;
  std::map<std::string, std::set<std::string>> runtimes_by_session;
  int a = 0;
  int b = 0;
  std::condition_variable changed;
  void record(const std::string& runtime, const std::optional<std::string>& session) {
    std::lock_guard lock(mutex);
    (runtime == "A" ? a : b) += 1;
    if (session) runtimes_by_session[*session].insert(runtime);
    changed.notify_all();
  }
  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, pred);
  }
};

TEST(E2eSession, test_multi_worker_complex_orchestration) {
  auto placement = std::make_shared<Placement>();
  auto build_activities = [&](const std::string& label) {
    return ActivityRegistry::builder()
        .add("SessionWork",
             [placement, label](ActivityContext& ctx, std::string input) -> Result<std::string> {
               if (!ctx.session_id()) return Err("SessionWork must have a session_id");
               placement->record(label, ctx.session_id());
               return "session-result:" + input;
             })
        .add("PlainWork", prefix("plain-result:"))
        .build();
  };
  auto options = [](const char* node) {
    RuntimeOptions o = fast_options();
    o.worker_concurrency = 2;
    o.orchestration_concurrency = 2;
    o.worker_node_id = node;
    o.max_sessions_per_runtime = 4;
    return o;
  };
  auto store = test_store();
  auto rt_a = Runtime::start(store, build_activities("A"), orchestrations(), options("node-A"));
  auto rt_b = Runtime::start(store, build_activities("B"), orchestrations(), options("node-B"));
  Client client(store);
  ASSERT_TRUE(client.start_orchestration("multi-worker-complex", "MultiWorker", "0|"));
  auto status = client.wait_for_orchestration("multi-worker-complex", 20s);
  rt_a->shutdown(5s);
  rt_b->shutdown(5s);
  ASSERT_TRUE(status);
  const auto* done = status->get_if<status::Completed>();
  ASSERT_NE(done, nullptr) << status->name();

  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t semi; (semi = done->output.find(';', start)) != std::string::npos; start = semi + 1) {
    parts.push_back(done->output.substr(start, semi - start));
  }
  parts.push_back(done->output.substr(start));
  EXPECT_EQ(parts.size(), 6u) << done->output;
  EXPECT_EQ(std::count_if(parts.begin(), parts.end(),
                          [](const std::string& p) { return p.find("session-result:") != std::string::npos; }),
            5)
      << done->output;
  EXPECT_NE(done->output.find("plain-result:d"), std::string::npos) << done->output;

  std::lock_guard lock(placement->mutex);
  EXPECT_EQ(placement->a + placement->b, 5) << "A=" << placement->a << " B=" << placement->b;
  ASSERT_EQ(placement->runtimes_by_session.size(), 2u);
  for (const auto& [session, runtimes] : placement->runtimes_by_session) {
    EXPECT_EQ(runtimes.size(), 1u) << session << " was served by both runtimes (affinity lost across CAN)";
  }
}

TEST(E2eSession, test_multi_worker_heterogeneous_config) {
  // Runtime A (max 1 session, 1 s session lock) starts alone; once it runs one session's activity
  // and its second slot has polled the store without taking another session, runtime B (defaults)
  // joins and takes the overflow. A's activity holds its session until B has run one.
  auto placement = std::make_shared<Placement>();
  auto a_probe = std::make_shared<Probe>();  // A's in-flight activities and empty polls
  auto a_activities = ActivityRegistry::builder()
                          .add("Work",
                               [placement, a_probe](ActivityContext& ctx, std::string input) -> Result<std::string> {
                                 a_probe->enter(input);
                                 placement->record("A", ctx.session_id());
                                 (void)placement->wait([&] { return placement->b >= 1; });
                                 a_probe->leave(input);
                                 return "done:" + input;
                               })
                          .build();
  auto b_activities = ActivityRegistry::builder()
                          .add("Work",
                               [placement](ActivityContext& ctx, std::string input) -> Result<std::string> {
                                 placement->record("B", ctx.session_id());
                                 return "done:" + input;
                               })
                          .build();
  RuntimeOptions a_options = session_options(2);
  a_options.orchestration_concurrency = 2;
  a_options.worker_node_id = "constrained-node";
  a_options.max_sessions_per_runtime = 1;
  a_options.session_lock_timeout = 1s;
  a_options.session_lock_renewal_buffer = 500ms;
  RuntimeOptions b_options = fast_options();
  b_options.worker_concurrency = 2;
  b_options.orchestration_concurrency = 2;
  b_options.worker_node_id = "unconstrained-node";

  auto store = test_store();
  auto rt_a = Runtime::start(std::make_shared<ProbedStore>(store, a_probe), std::move(a_activities), orchestrations(),
                             a_options);
  Client client(store);
  ASSERT_TRUE(client.start_orchestration("hetero-test", "ThreeSessions", ""));
  {
    std::unique_lock lock(a_probe->mutex);
    ASSERT_TRUE(a_probe->changed.wait_for(lock, 10s, [&] { return a_probe->in_flight >= 1; }));
    const auto base = a_probe->empty_fetches;
    ASSERT_TRUE(a_probe->changed.wait_for(lock, 10s, [&] { return a_probe->empty_fetches >= base + kIdlePolls; }));
    EXPECT_EQ(a_probe->peak, 1) << "runtime A took a second session while at max_sessions_per_runtime 1";
  }
  auto rt_b = Runtime::start(store, std::move(b_activities), orchestrations(), b_options);
  auto status = client.wait_for_orchestration("hetero-test", 20s);
  rt_a->shutdown(5s);
  rt_b->shutdown(5s);
  ASSERT_TRUE(status);
  const auto* done = status->get_if<status::Completed>();
  ASSERT_NE(done, nullptr) << status->name();
  EXPECT_EQ(done->output, "done:1|done:2|done:3");

  std::lock_guard lock(placement->mutex);
  EXPECT_EQ(placement->a + placement->b, 3) << "A=" << placement->a << " B=" << placement->b;
  EXPECT_GE(placement->b, 1) << "A=" << placement->a << " B=" << placement->b;
  EXPECT_EQ(a_probe->peak_now(), 1) << "runtime A ran more sessions at once than max_sessions_per_runtime";
}

}  // namespace
}  // namespace duroxide::testing
