// random_uuid_v4 (the generator behind ctx.new_guid()): RFC 4122 version 4 layout, and no
// repeats over many draws from several threads.
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "runtime/uuid_v4.hpp"

namespace duroxide::runtime {
namespace {

TEST(UnitUuidV4, LayoutIsVersion4Variant10InLowercaseHex) {
  for (int i = 0; i < 1000; ++i) {
    const std::string uuid = random_uuid_v4();
    ASSERT_EQ(uuid.size(), 36u) << uuid;
    for (std::size_t j = 0; j < uuid.size(); ++j) {
      const bool hyphen = j == 8 || j == 13 || j == 18 || j == 23;
      const char c = uuid[j];
      EXPECT_TRUE(hyphen ? c == '-' : ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) << uuid;
    }
    EXPECT_EQ(uuid[14], '4') << uuid;
    EXPECT_NE(std::string_view("89ab").find(uuid[19]), std::string_view::npos) << uuid;
  }
}

TEST(UnitUuidV4, NoRepeatsAcrossThreads) {
  std::mutex mutex;
  std::set<std::string> seen;
  std::vector<std::thread> threads;
  constexpr int kThreads = 4;
  constexpr int kEach = 5000;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      std::vector<std::string> mine;
      for (int i = 0; i < kEach; ++i) mine.push_back(random_uuid_v4());
      std::lock_guard lock(mutex);
      seen.insert(mine.begin(), mine.end());
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kEach));
}

TEST(UnitUuidV4, RandomBitsVaryInEveryPosition) {
  // Every hex position except the fixed version nibble takes more than one value over 200 draws
  // (a clock- or counter-based layout keeps its high positions constant).
  std::vector<std::set<char>> values(36);
  for (int i = 0; i < 200; ++i) {
    const std::string uuid = random_uuid_v4();
    for (std::size_t j = 0; j < uuid.size(); ++j) values[j].insert(uuid[j]);
  }
  for (std::size_t j = 0; j < 36; ++j) {
    if (j == 8 || j == 13 || j == 18 || j == 23 || j == 14) continue;
    EXPECT_GT(values[j].size(), 1u) << "position " << j;
  }
}

}  // namespace
}  // namespace duroxide::runtime
