#pragma once
// GoogleTest assertions for offline replay (docs/offline-replay.md): keep histories of production
// instances as fixtures and check in CI that today's code still replays them.
//
//   TEST(Deploy, OrdersInFlightStillReplay) {
//     EXPECT_TRUE(duroxide::gtest::replays_deterministically(my_orchestrations(), "fixtures/order-17.json"));
//     EXPECT_TRUE(duroxide::gtest::all_replay_deterministically(my_orchestrations(), "fixtures/"));
//   }
//
// Header-only, so the library itself does not depend on GoogleTest; include it from test code only.

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <duroxide/offline_replay.hpp>

namespace duroxide::gtest {

/// Success when the history saved in `fixture` (a JSON array of events, or the document of
/// `duroxide history ID --json`) replays against `registry`; otherwise the failure message is the
/// report: the first recorded event the code disagrees with, beside what the code did there.
inline ::testing::AssertionResult replays_deterministically(const OrchestrationRegistry& registry,
                                                            const std::filesystem::path& fixture) {
  auto history = load_history_file(fixture);
  if (!history) return ::testing::AssertionFailure() << history.error();
  const auto report = replay_history(registry, *history);
  if (report.ok()) return ::testing::AssertionSuccess() << fixture.string() << ": " << report.to_string();
  return ::testing::AssertionFailure() << fixture.string() << ": " << report.to_string();
}

/// replays_deterministically for every *.json file of `directory` (in name order); fails when there
/// is none, so a wrong path cannot pass unnoticed. The message lists every file that failed.
inline ::testing::AssertionResult all_replay_deterministically(const OrchestrationRegistry& registry,
                                                               const std::filesystem::path& directory) {
  std::error_code error;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  }
  if (error) return ::testing::AssertionFailure() << "cannot list " << directory.string() << ": " << error.message();
  if (files.empty()) return ::testing::AssertionFailure() << "no *.json history in " << directory.string();
  std::sort(files.begin(), files.end());
  std::string failures;
  for (const auto& file : files) {
    const auto result = replays_deterministically(registry, file);
    if (!result) failures += std::string(result.message()) + "\n";
  }
  if (!failures.empty()) return ::testing::AssertionFailure() << failures;
  return ::testing::AssertionSuccess() << files.size() << " histories replayed deterministically";
}

}  // namespace duroxide::gtest
