// Mirrors duroxide's tests/property_tests.rs: history invariants over 20 generated cases each (random instance ids,
// orchestration names, inputs and activity counts from a seeded generator; the seed is printed on
// failure).
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <set>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

constexpr int kCases = 20;

std::string random_text(std::mt19937& rng, std::size_t max_len) {
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
  std::uniform_int_distribution<std::size_t> len(1, max_len);
  std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
  std::string out(len(rng), ' ');
  for (auto& c : out) c = kAlphabet[pick(rng)];
  return out;
}

Task<Result<std::string>> n_activities(OrchestrationContext ctx, std::string input) {
  // input: "<count>:<payload>"
  const auto colon = input.find(':');
  const int count = std::stoi(input.substr(0, colon));
  std::string out;
  for (int i = 0; i < count; ++i)
    out += (co_await ctx.schedule_activity("Echo", input.substr(colon + 1))).value_or("!");
  co_return out;
}

ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Echo", [](ActivityContext&, std::string x) -> Result<std::string> { return x; })
      .build();
}

struct Case {
  std::string instance;
  std::string name;
  int activities = 0;
  std::vector<Event> history;
};

/// Runs kCases random cases of n_activities (registered under a random name) on one runtime.
std::vector<Case> run_cases(std::uint32_t seed, int min_activities, int max_activities) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> count(min_activities, max_activities);
  std::vector<Case> cases;
  auto builder = OrchestrationRegistry::builder();
  for (int i = 0; i < kCases; ++i) {
    Case c{"prop-" + std::to_string(i) + "-" + random_text(rng, 20), "Orch" + random_text(rng, 12), count(rng), {}};
    builder.add(c.name, n_activities);
    cases.push_back(std::move(c));
  }
  E2eEnv env(activities(), builder.build());
  for (const auto& c : cases) {
    EXPECT_TRUE(
        env.client.start_orchestration(c.instance, c.name, std::to_string(c.activities) + ":" + random_text(rng, 30)));
  }
  for (auto& c : cases) {
    EXPECT_TRUE(env.wait(c.instance).is_completed()) << c.instance;
    c.history = env.history(c.instance);
  }
  return cases;
}

/// Fixed by default so runs are reproducible; DUROXIDE_PROPERTY_SEED explores other cases.
std::uint32_t seed() {
  const char* env = std::getenv("DUROXIDE_PROPERTY_SEED");
  return env != nullptr ? static_cast<std::uint32_t>(std::stoul(env)) : 20261122u;
}

TEST(E2eProperty, prop_event_ids_monotonic) {
  const auto s = seed();
  SCOPED_TRACE("seed " + std::to_string(s));
  for (const auto& c : run_cases(s, 1, 1)) {
    for (std::size_t i = 0; i < c.history.size(); ++i) EXPECT_EQ(c.history[i].event_id, i + 1) << c.instance;
  }
}

TEST(E2eProperty, prop_single_terminal_state) {
  const auto s = seed();
  SCOPED_TRACE("seed " + std::to_string(s));
  for (const auto& c : run_cases(s, 0, 0)) {
    ASSERT_FALSE(c.history.empty());
    EXPECT_EQ(std::count_if(c.history.begin(), c.history.end(), [](const Event& e) { return e.is_terminal(); }), 1);
    EXPECT_TRUE(c.history.back().is_terminal()) << c.instance;
  }
}

TEST(E2eProperty, prop_activity_lifecycle) {
  const auto s = seed();
  SCOPED_TRACE("seed " + std::to_string(s));
  for (const auto& c : run_cases(s, 1, 3)) {
    std::set<std::uint64_t> scheduled;
    std::multiset<std::uint64_t> resolved;
    for (const auto& e : c.history) {
      if (e.is<events::ActivityScheduled>()) scheduled.insert(e.event_id);
      if ((e.is<events::ActivityCompleted>() || e.is<events::ActivityFailed>()) && e.source_event_id) {
        resolved.insert(*e.source_event_id);
      }
    }
    EXPECT_EQ(scheduled.size(), static_cast<std::size_t>(c.activities)) << c.instance;
    for (auto id : scheduled) EXPECT_EQ(resolved.count(id), 1u) << c.instance << " schedule " << id;
    EXPECT_EQ(resolved.size(), scheduled.size());
  }
}

TEST(E2eProperty, prop_history_event_count_bounds) {
  const auto s = seed();
  SCOPED_TRACE("seed " + std::to_string(s));
  for (const auto& c : run_cases(s, 1, 3)) {
    const auto n = static_cast<std::size_t>(c.activities);
    EXPECT_GE(c.history.size(), 2 * n + 2) << c.instance;
    EXPECT_LE(c.history.size(), 2 * n + 4) << c.instance;
  }
}

}  // namespace
}  // namespace duroxide::testing
