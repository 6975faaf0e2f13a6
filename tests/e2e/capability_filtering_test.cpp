// Mirrors duroxide's tests/capability_filtering_tests.rs (18): executions pinned to a duroxide version through
// OrchestrationStarted.duroxide_version, the provider's capability filter on fetch, the runtime's
// defence-in-depth re-check, routing across runtimes with different supported_replay_versions, and
// draining undecodable histories with a wide range. Instances are seeded through the provider API;
// corruption goes through the SQLite store's test hook on a disk store.
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <vector>

#include <duroxide/sqlite_provider.hpp>

#include "logging/loggers.hpp"
#include "support/e2e_support.hpp"
#include "support/fault_injection.hpp"
#include "support/log_capture.hpp"
#include "support/store_sql.hpp"

namespace duroxide::testing {
namespace {

using namespace std::chrono_literals;

// ---- helpers -----------------------------------------------------------------------------------

Version version(const std::string& text) {
  auto parsed = Version::parse(text);
  if (!parsed) throw std::runtime_error("bad version " + text);
  return *parsed;
}

SemverRange range(const std::string& min, const std::string& max) { return SemverRange{version(min), version(max)}; }

const std::string kBuildVersion(kDuroxideCompatVersion);

template <class T>
T must(ProviderResult<T> result, const std::string& what) {
  if (!result) throw std::runtime_error(what + ": " + result.error().to_string());
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

/// Seeds the first turn of `instance` through the provider API, as if a runtime of
/// `duroxide_version` had run it: enqueue StartOrchestration, fetch it (unfiltered; other instances
/// fetched on the way are handed back untouched), ack OrchestrationStarted stamped with that version
/// plus a follow-up ExternalRaised "ping" so the instance has a visible message. With `pin`, the ack
/// metadata pins the execution (the provider's filter column); without, the column stays NULL.
void seed_instance(Provider& store, const std::string& instance, const std::string& orchestration,
                   const std::string& duroxide_version, bool pin = true) {
  must(store.enqueue_for_orchestrator(
           work_items::StartOrchestration{instance, orchestration, "{}", "1.0.0", std::nullopt, std::nullopt, 1},
           std::nullopt),
       "enqueue start");
  std::vector<std::string> others;
  std::optional<LockedOrchestrationItem> locked;
  for (int i = 0; i < 100 && !locked; ++i) {
    auto item = must(store.fetch_orchestration_item(5s, 0ms, nullptr), "fetch");
    if (!item) throw std::runtime_error("seed_instance: nothing to fetch for " + instance);
    if (item->item.instance == instance) {
      locked = std::move(item);
    } else {
      others.push_back(item->lock_token);
    }
  }
  if (!locked) throw std::runtime_error("seed_instance: " + instance + " never fetched");

  Event started = make_event(
      1, std::nullopt, instance, 1,
      events::OrchestrationStarted{orchestration, "1.0.0", "{}", std::nullopt, std::nullopt, {}, std::nullopt});
  started.duroxide_version = duroxide_version;
  OrchestrationAck ack;
  ack.execution_id = 1;
  ack.history_delta = {started};
  ack.orchestrator_items = {work_items::ExternalRaised{instance, "ping", "{}"}};
  ack.metadata.orchestration_name = orchestration;
  ack.metadata.orchestration_version = "1.0.0";
  if (pin) ack.metadata.pinned_duroxide_version = version(duroxide_version);
  must(store.ack_orchestration_item(locked->lock_token, ack), "ack seed turn");
  for (const auto& token : others) must(store.abandon_orchestration_item(token, std::nullopt, true), "hand back");
}

/// Records every orchestration fetch: how many calls returned, and which instances they handed out.
class RecordingProvider : public ForwardingProvider {
 public:
  using ForwardingProvider::ForwardingProvider;

  ProviderResult<std::optional<LockedOrchestrationItem>> fetch_orchestration_item(
      Millis lock_timeout, Millis poll_timeout, const DispatcherCapabilityFilter* filter,
      const KnownHistory* known = nullptr) override {
    auto result = ForwardingProvider::fetch_orchestration_item(lock_timeout, poll_timeout, filter, known);
    std::lock_guard lock(mutex_);
    ++fetches_;
    if (result && *result) fetched_.push_back((*result)->item.instance);
    return result;
  }

  std::size_t fetches() {
    std::lock_guard lock(mutex_);
    return fetches_;
  }
  std::size_t times_fetched(const std::string& instance) {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(std::count(fetched_.begin(), fetched_.end(), instance));
  }
  std::vector<std::string> fetched() {
    std::lock_guard lock(mutex_);
    return fetched_;
  }

 private:
  std::mutex mutex_;
  std::size_t fetches_ = 0;
  std::vector<std::string> fetched_;
};

/// Waits until `count` more fetch calls have returned through `recorder`: the dispatchers polled
/// the queue that many times while the seeded items were visible.
bool wait_for_fetch_cycles(RecordingProvider& recorder, std::size_t count) {
  const auto target = recorder.fetches() + count;
  return wait_until([&] { return recorder.fetches() >= target; });
}

/// Fast options whose fetches return within 20 ms, so idle dispatchers cycle quickly.
RuntimeOptions cycling_options() {
  auto options = fast_options();
  options.dispatcher_long_poll_timeout = 20ms;
  return options;
}

RuntimeOptions with_range(RuntimeOptions options, SemverRange replay_versions, std::uint32_t max_attempts = 50) {
  options.supported_replay_versions = replay_versions;
  options.max_attempts = max_attempts;
  return options;
}

bool is_running(const Client& client, const std::string& instance) {
  auto status = client.get_orchestration_status(instance);
  return status && status->is_running();
}

const events::OrchestrationStarted* started_of(const std::vector<Event>& history, std::string* duroxide_version) {
  for (const auto& event : history) {
    if (const auto* started = event.get_if<events::OrchestrationStarted>()) {
      *duroxide_version = event.duroxide_version;
      return started;
    }
  }
  return nullptr;
}

std::size_t count_completed(const std::vector<Event>& history) {
  return static_cast<std::size_t>(std::count_if(history.begin(), history.end(),
                                                [](const Event& e) { return e.is<events::OrchestrationCompleted>(); }));
}

std::int64_t query_int(Provider& store, const std::string& sql, const std::string& instance) {
  return store_query_int(store, sql, instance);
}

// ---- log capture -------------------------------------------------------------------------------

/// Captures every log line from now on; the runtime target at info while the object lives.
class LogCapture {
 public:
  LogCapture() : sink_(attach_capture_sink()), saved_(logging::runtime().level()) {
    logging::runtime().set_level(spdlog::level::info);
  }
  ~LogCapture() { logging::runtime().set_level(saved_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  CaptureSink& sink() { return *sink_; }

 private:
  std::shared_ptr<CaptureSink> sink_;
  spdlog::level::level_enum saved_;
};

// ---- orchestrations ----------------------------------------------------------------------------

Task<Result<std::string>> should_not_run(OrchestrationContext, std::string) {
  co_return std::string("should-not-reach");
}
Task<Result<std::string>> compatible_ok(OrchestrationContext, std::string) { co_return std::string("compatible-ok"); }
Task<Result<std::string>> routed(OrchestrationContext, std::string) { co_return std::string("routed"); }

Task<Result<std::string>> parent_orch(OrchestrationContext ctx, std::string) {
  auto child = co_await ctx.schedule_sub_orchestration("ChildOrch", "child-input");
  if (!child) co_return Err(child.error());
  co_return "parent-done:" + *child;
}
Task<Result<std::string>> child_orch(OrchestrationContext, std::string) { co_return std::string("child-done"); }

Task<Result<std::string>> can_then_wait(OrchestrationContext ctx, std::string input) {
  if (input == "start") co_await ctx.continue_as_new("second");
  (void)co_await ctx.schedule_wait("done_signal");
  co_return std::string("can-complete");
}

OrchestrationRegistry registry(const std::string& name, OrchestrationHandler handler) {
  return OrchestrationRegistry::builder().add(name, std::move(handler)).build();
}

ActivityRegistry no_activities() { return ActivityRegistry::builder().build(); }

// ---- runtime-side compatibility check ----------------------------------------------------------

TEST(E2eCapabilityFiltering, runtime_abandons_incompatible_execution) {
  DurableStore dir;
  auto store = dir.open();
  seed_instance(*store, "incompat-12", "TestOrch", "99.0.0");
  auto recorder = std::make_shared<RecordingProvider>(store);
  auto options = cycling_options();
  options.max_attempts = 3;
  E2eEnv env(recorder, no_activities(), registry("TestOrch", should_not_run), options);

  ASSERT_TRUE(wait_for_fetch_cycles(*recorder, 10));
  EXPECT_EQ(recorder->times_fetched("incompat-12"), 0u) << "the provider filter must hide the item";
  EXPECT_TRUE(is_running(env.client, "incompat-12"));
  EXPECT_EQ(must(store->as_management_capability()->get_queue_depths(), "depths").orchestrator_queue, 1u)
      << "the ping stays queued";
}

TEST(E2eCapabilityFiltering, runtime_processes_compatible_execution_normally) {
  DurableStore dir;
  E2eEnv env(dir.open(), no_activities(), registry("CompatOrch", compatible_ok));
  ASSERT_TRUE(env.client.start_orchestration("compat-13", "CompatOrch", "{}"));
  EXPECT_EQ(env.output_of("compat-13"), "compatible-ok");
}

TEST(E2eCapabilityFiltering, runtime_abandon_reaches_max_attempts_and_poisons) {
  // The provider filter and the runtime check use the same range, so with a correct provider the
  // item is never fetched: it neither runs nor reaches the poison threshold.
  DurableStore dir;
  auto store = dir.open();
  seed_instance(*store, "poison-14", "TestOrch", "99.0.0");
  auto recorder = std::make_shared<RecordingProvider>(store);
  auto options = cycling_options();
  options.max_attempts = 3;
  E2eEnv env(recorder, no_activities(), registry("TestOrch", should_not_run), options);

  ASSERT_TRUE(wait_for_fetch_cycles(*recorder, 10));
  EXPECT_EQ(recorder->times_fetched("poison-14"), 0u);
  EXPECT_TRUE(is_running(env.client, "poison-14"));
  EXPECT_EQ(query_int(*store, "SELECT MAX(attempt_count) FROM orchestrator_queue WHERE instance_id = ?1", "poison-14"),
            0);
}

TEST(E2eCapabilityFiltering, runtime_abandon_uses_short_delay) {
  // The filter is bypassed so the runtime-side check abandons the item itself: with a short abandon
  // delay (1 s) the item is not re-fetched in a tight loop, so even max_attempts 100 is not burnt
  // through and the instance stays Running.
  DurableStore dir;
  auto store = dir.open();
  seed_instance(*store, "delay-15", "TestOrch", "99.0.0");
  auto recorder = std::make_shared<RecordingProvider>(std::make_shared<FilterBypassProvider>(store));
  auto options = cycling_options();
  options.max_attempts = 100;
  E2eEnv env(recorder, no_activities(), registry("TestOrch", should_not_run), options);

  ASSERT_TRUE(wait_until([&] { return recorder->times_fetched("delay-15") >= 1; }));
  ASSERT_TRUE(wait_for_fetch_cycles(*recorder, 10));  // ≥ 200 ms of polling after the abandon
  EXPECT_LE(recorder->times_fetched("delay-15"), 2u) << "abandoned without a delay";
  EXPECT_TRUE(is_running(env.client, "delay-15"));
  EXPECT_EQ(count_completed(env.history("delay-15")), 0u);
}

// ---- metadata and migration --------------------------------------------------------------------

TEST(E2eCapabilityFiltering, execution_metadata_includes_pinned_version_on_new_orchestration) {
  DurableStore dir;
  auto store = dir.open();
  E2eEnv env(store, no_activities(), registry("MetaOrch", compatible_ok));
  ASSERT_TRUE(env.client.start_orchestration("meta-19", "MetaOrch", "{}"));
  ASSERT_TRUE(env.wait("meta-19").is_completed());

  std::string pinned;
  ASSERT_NE(started_of(env.history("meta-19"), &pinned), nullptr);
  EXPECT_EQ(version(pinned), version(kBuildVersion));
  // The runtime's ack carried the pin into the execution row (the provider's filter column).
  const auto build = version(kBuildVersion);
  EXPECT_EQ(query_int(*store,
                      "SELECT COUNT(*) FROM executions WHERE instance_id = ?1 AND execution_id = 1 AND "
                      "duroxide_version_major = " +
                          std::to_string(build.major) + " AND duroxide_version_minor = " + std::to_string(build.minor) +
                          " AND duroxide_version_patch = " + std::to_string(build.patch),
                      "meta-19"),
            1);
}

TEST(E2eCapabilityFiltering, existing_executions_without_pinned_version_remain_fetchable) {
  DurableStore dir;
  auto store = dir.open();
  seed_instance(*store, "null-20", "NullOrch", kBuildVersion, /*pin=*/false);
  ASSERT_EQ(
      query_int(*store, "SELECT COUNT(*) FROM executions WHERE instance_id = ?1 AND duroxide_version_major IS NULL",
                "null-20"),
      1);
  E2eEnv env(store, no_activities(), registry("NullOrch", compatible_ok));
  EXPECT_EQ(env.output_of("null-20"), "compatible-ok");
}

// ---- version ranges and routing ----------------------------------------------------------------

TEST(E2eCapabilityFiltering, default_supported_range_includes_current_and_older_versions) {
  DurableStore dir;
  auto store = dir.open();
  seed_instance(*store, "current-26", "RangeOrch", kBuildVersion);
  seed_instance(*store, "older-26", "RangeOrch", "0.1.0");
  E2eEnv env(store, no_activities(), registry("RangeOrch", compatible_ok));
  ASSERT_TRUE(env.client.start_orchestration("range-26", "RangeOrch", "{}"));
  EXPECT_EQ(env.output_of("range-26"), "compatible-ok");
  EXPECT_EQ(env.output_of("current-26"), "compatible-ok");
  EXPECT_EQ(env.output_of("older-26"), "compatible-ok");
}

TEST(E2eCapabilityFiltering, default_supported_range_excludes_future_versions) {
  DurableStore dir;
  auto store = dir.open();
  seed_instance(*store, "future-27", "FutureOrch", "99.0.0");
  auto recorder = std::make_shared<RecordingProvider>(store);
  auto options = cycling_options();
  options.max_attempts = 3;
  E2eEnv env(recorder, no_activities(), registry("FutureOrch", should_not_run), options);

  // Progress marker: a compatible instance enqueued after the future one completes.
  ASSERT_TRUE(env.client.start_orchestration("marker-27", "FutureOrch", "{}"));
  EXPECT_EQ(env.output_of("marker-27"), "should-not-reach");
  ASSERT_TRUE(wait_for_fetch_cycles(*recorder, 10));
  EXPECT_EQ(recorder->times_fetched("future-27"), 0u);
  EXPECT_TRUE(is_running(env.client, "future-27"));
}

TEST(E2eCapabilityFiltering, custom_supported_replay_versions_narrows_range) {
  DurableStore dir;
  auto store = dir.open();
  seed_instance(*store, "narrow-28", "NarrowOrch", "1.0.0");
  seed_instance(*store, "inside-28", "NarrowOrch", "2.5.0");
  auto recorder = std::make_shared<RecordingProvider>(store);
  E2eEnv env(recorder, no_activities(), registry("NarrowOrch", should_not_run),
             with_range(cycling_options(), range("2.0.0", "2.99.99"), 3));

  EXPECT_EQ(env.output_of("inside-28"), "should-not-reach");  // the range is in force: 2.5.0 runs
  ASSERT_TRUE(wait_for_fetch_cycles(*recorder, 10));
  EXPECT_EQ(recorder->times_fetched("narrow-28"), 0u);
  EXPECT_TRUE(is_running(env.client, "narrow-28"));
}

TEST(E2eCapabilityFiltering, two_runtimes_different_version_ranges_route_correctly) {
  DurableStore dir;
  auto store = dir.open();
  seed_instance(*store, "v1-inst", "RoutingOrch", "1.0.0");
  seed_instance(*store, "v2-inst", "RoutingOrch", "2.0.0");
  auto via_a = std::make_shared<RecordingProvider>(store);
  auto via_b = std::make_shared<RecordingProvider>(store);
  auto rt_a = Runtime::start(via_a, no_activities(), registry("RoutingOrch", routed),
                             with_range(fast_options(), range("1.0.0", "1.99.99")));
  auto rt_b = Runtime::start(via_b, no_activities(), registry("RoutingOrch", routed),
                             with_range(fast_options(), range("2.0.0", "2.99.99")));
  Client client(store);
  for (const char* instance : {"v1-inst", "v2-inst"}) {
    auto status = client.wait_for_orchestration(instance, 10s);
    ASSERT_TRUE(status) << instance;
    EXPECT_TRUE(status->is_completed()) << instance << ": " << status->name();
  }
  rt_a->shutdown(5s);
  rt_b->shutdown(5s);
  EXPECT_EQ(via_a->fetched(), std::vector<std::string>{"v1-inst"});
  EXPECT_EQ(via_b->fetched(), std::vector<std::string>{"v2-inst"});
}

TEST(E2eCapabilityFiltering, overlapping_version_ranges_both_can_process) {
  DurableStore dir;
  auto store = dir.open();
  seed_instance(*store, "overlap-17", "OverlapOrch", "2.5.0");
  auto rt_a = Runtime::start(store, no_activities(), registry("OverlapOrch", routed),
                             with_range(fast_options(), range("1.0.0", "2.99.99")));
  auto rt_b = Runtime::start(store, no_activities(), registry("OverlapOrch", routed),
                             with_range(fast_options(), range("2.0.0", "3.99.99")));
  Client client(store);
  auto status = client.wait_for_orchestration("overlap-17", 10s);
  rt_a->shutdown(5s);
  rt_b->shutdown(5s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->is_completed()) << status->name();
  EXPECT_EQ(count_completed(must(store->read("overlap-17"), "read")), 1u);
}

TEST(E2eCapabilityFiltering, mixed_cluster_compatible_and_incompatible_items) {
  DurableStore dir;
  auto store = dir.open();
  std::vector<std::string> v1, v2;
  for (int i = 0; i < 3; ++i) {
    v1.push_back("v1-mixed-" + std::to_string(i));
    seed_instance(*store, v1.back(), "MixedOrch", fmt::format("1.{}.0", i));
  }
  for (int i = 0; i < 2; ++i) {
    v2.push_back("v2-mixed-" + std::to_string(i));
    seed_instance(*store, v2.back(), "MixedOrch", fmt::format("2.{}.0", i));
  }
  auto via_a = std::make_shared<RecordingProvider>(store);
  auto via_b = std::make_shared<RecordingProvider>(store);
  auto rt_a = Runtime::start(via_a, no_activities(), registry("MixedOrch", routed),
                             with_range(fast_options(), range("1.0.0", "1.99.99")));
  auto rt_b = Runtime::start(via_b, no_activities(), registry("MixedOrch", routed),
                             with_range(fast_options(), range("2.0.0", "2.99.99")));
  Client client(store);
  for (const auto& instance : v1) {
    auto status = client.wait_for_orchestration(instance, 10s);
    ASSERT_TRUE(status) << instance;
    EXPECT_TRUE(status->is_completed()) << instance << ": " << status->name();
  }
  for (const auto& instance : v2) {
    auto status = client.wait_for_orchestration(instance, 10s);
    ASSERT_TRUE(status) << instance;
    EXPECT_TRUE(status->is_completed()) << instance << ": " << status->name();
  }
  rt_a->shutdown(5s);
  rt_b->shutdown(5s);
  for (const auto& instance : via_a->fetched()) {
    EXPECT_NE(std::find(v1.begin(), v1.end(), instance), v1.end()) << "runtime A fetched " << instance;
  }
  for (const auto& instance : via_b->fetched()) {
    EXPECT_NE(std::find(v2.begin(), v2.end(), instance), v2.end()) << "runtime B fetched " << instance;
  }
}

TEST(E2eCapabilityFiltering, pinned_version_extracted_from_orchestration_started_event) {
  DurableStore dir;
  auto store = dir.open();
  seed_instance(*store, "pinned-21", "PinnedOrch", "3.1.4");
  E2eEnv env(store, no_activities(), registry("PinnedOrch", compatible_ok),
             with_range(fast_options(), range("0.0.0", "99.99.99"), 10));
  EXPECT_EQ(env.output_of("pinned-21"), "compatible-ok");

  std::string pinned;
  ASSERT_NE(started_of(env.history("pinned-21"), &pinned), nullptr);
  EXPECT_EQ(version(pinned), version("3.1.4"));
  EXPECT_EQ(query_int(*store,
                      "SELECT COUNT(*) FROM executions WHERE instance_id = ?1 AND duroxide_version_major = 3 AND "
                      "duroxide_version_minor = 1 AND duroxide_version_patch = 4",
                      "pinned-21"),
            1);
}

// ---- sub-orchestrations and continue-as-new ----------------------------------------------------

TEST(E2eCapabilityFiltering, sub_orchestration_gets_own_pinned_version) {
  DurableStore dir;
  E2eEnv env(dir.open(), no_activities(),
             OrchestrationRegistry::builder().add("ParentOrch", parent_orch).add("ChildOrch", child_orch).build());
  ASSERT_TRUE(env.client.start_orchestration("parent-24", "ParentOrch", "{}"));
  EXPECT_EQ(env.output_of("parent-24"), "parent-done:child-done");

  std::string child;
  for (const auto& event : env.history("parent-24")) {
    if (const auto* scheduled = event.get_if<events::SubOrchestrationScheduled>())
      child = build_child_instance_id("parent-24", scheduled->instance);
  }
  ASSERT_FALSE(child.empty()) << "no SubOrchestrationScheduled in the parent";
  std::string pinned;
  ASSERT_NE(started_of(env.history(child), &pinned), nullptr);
  EXPECT_EQ(version(pinned), version(kBuildVersion));
}

TEST(E2eCapabilityFiltering, activity_completion_after_continue_as_new_is_discarded) {
  DurableStore dir;
  auto store = dir.open();
  E2eEnv env(store, no_activities(), registry("CANOrch", can_then_wait));
  ASSERT_TRUE(env.client.start_orchestration("can-25", "CANOrch", "start"));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*store, "can-25"));  // execution 2 waits
  ASSERT_EQ(env.client.list_executions("can-25").value().size(), 2u);

  ASSERT_TRUE(
      store->enqueue_for_orchestrator(work_items::ActivityCompleted{"can-25", 1, 999, "stale-result"}, std::nullopt));
  ASSERT_TRUE(wait_until([&] {
    return must(store->as_management_capability()->get_queue_depths(), "depths").orchestrator_queue == 0;
  })) << "the stale completion was never consumed";
  const auto has_stale = [](const std::vector<Event>& history) {
    return std::any_of(history.begin(), history.end(), [](const Event& e) {
      const auto* completed = e.get_if<events::ActivityCompleted>();
      return completed != nullptr && completed->result == "stale-result";
    });
  };
  EXPECT_FALSE(has_stale(env.history("can-25")));

  ASSERT_TRUE(env.client.raise_event("can-25", "done_signal", "go"));
  EXPECT_EQ(env.output_of("can-25"), "can-complete");
  for (std::uint64_t execution = 1; execution <= 2; ++execution) {
    EXPECT_FALSE(has_stale(env.client.read_execution_history("can-25", execution).value())) << execution;
  }
}

// ---- draining with a wide range ----------------------------------------------------------------

TEST(E2eCapabilityFiltering, wide_supported_range_drains_stuck_items_via_deserialization_error) {
  DurableStore dir;
  auto store = dir.open();
  seed_instance(*store, "drain-29", "DrainOrch", "99.0.0");
  // Simulates events written by a newer duroxide: an event kind this build cannot decode.
  ASSERT_GT(
      store_exec(
          *store,
          R"(UPDATE history SET event_data = '{"kind":"UnknownFutureEvent","data":"garbage"}' WHERE instance_id = ?1)",
          "drain-29"),
      0);
  ASSERT_FALSE(store->read("drain-29").has_value());

  auto options = with_range(fast_options(), range("0.0.0", "99.99.99"), 3);
  options.orchestrator_lock_timeout = 500ms;
  E2eEnv env(store, no_activities(), registry("DrainOrch", should_not_run), options);
  // History cannot be read, so status comes from the execution row (management view).
  EXPECT_TRUE(wait_until([&] {
    auto info = store->as_management_capability()->get_instance_info("drain-29");
    return info && info->status == ExecutionStatus::Failed;
  }));
}

// ---- observability -----------------------------------------------------------------------------

TEST(E2eCapabilityFiltering, runtime_logs_capability_declaration_at_startup) {
  LogCapture logs;
  DurableStore dir;
  E2eEnv env(dir.open(), no_activities(), registry("LogOrch", compatible_ok));
  const auto line = logs.sink().find([](const CapturedLine& l) {
    return l.target.find("duroxide::runtime") != std::string::npos && l.level == spdlog::level::info &&
           (l.text.find("capability") != std::string::npos || l.text.find("supported_range") != std::string::npos);
  });
  ASSERT_TRUE(line.has_value()) << "no capability declaration logged at startup";
  EXPECT_NE(line->text.find(fmt::format("supported_range=>=0.0.0, <={}", kMaxReplayableDuroxideVersion)),
            std::string::npos)
      << line->text;
}

TEST(E2eCapabilityFiltering, runtime_logs_warning_on_incompatible_abandon) {
  LogCapture logs;
  DurableStore dir;
  auto store = dir.open();
  seed_instance(*store, "warn-30", "WarnOrch", "99.0.0");
  auto options = fast_options();
  options.max_attempts = 5;
  E2eEnv env(std::make_shared<FilterBypassProvider>(store), no_activities(), registry("WarnOrch", should_not_run),
             options);
  std::optional<CapturedLine> warning;
  EXPECT_TRUE(wait_until([&] {
    warning = logs.sink().find([](const CapturedLine& l) {
      return l.target.find("duroxide::runtime") != std::string::npos && l.level == spdlog::level::warn &&
             l.text.find("incompatible version") != std::string::npos;
    });
    return warning.has_value();
  })) << "no incompatible-version warning";
  if (warning) {
    EXPECT_NE(warning->text.find("warn-30"), std::string::npos) << warning->text;
    EXPECT_NE(warning->text.find("99.0.0"), std::string::npos) << warning->text;
  }
  EXPECT_TRUE(is_running(env.client, "warn-30"));
}

}  // namespace
}  // namespace duroxide::testing
