// ctx.new_guid() returns random RFC 4122 version 4 UUIDs (issue #12 item 12; before, a UUID-shaped
// mix of the clock, a counter and the thread id). Recorded in history, so replay is unaffected.
#include <gtest/gtest.h>

#include <set>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

constexpr int kGuids = 16;

Task<Result<std::string>> many_guids(OrchestrationContext ctx, std::string) {
  std::string joined;
  for (int i = 0; i < kGuids; ++i) {
    auto guid = co_await ctx.new_guid();
    if (!guid) co_return Err(guid.error());
    joined += *guid + "|";
  }
  co_return joined;
}

/// 8-4-4-4-12 lowercase hex, version nibble 4, variant bits 10.
bool is_v4_uuid(const std::string& text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool hyphen = i == 8 || i == 13 || i == 18 || i == 23;
    const char c = text[i];
    if (hyphen ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return text[14] == '4' && std::string_view("89ab").find(text[19]) != std::string_view::npos;
}

TEST(E2eNewGuid, GuidsAreRandomVersion4UuidsAndUnique) {
  E2eEnv env(ActivityRegistry::builder().build(), OrchestrationRegistry::builder().add("Guids", many_guids).build());
  std::set<std::string> seen;
  for (int run = 0; run < 2; ++run) {
    const std::string instance = "guids-" + std::to_string(run);
    ASSERT_TRUE(env.client.start_orchestration(instance, "Guids", ""));
    const std::string output = env.output_of(instance);
    std::size_t start = 0;
    for (std::size_t bar = output.find('|'); bar != std::string::npos; bar = output.find('|', start)) {
      const std::string guid = output.substr(start, bar - start);
      EXPECT_TRUE(is_v4_uuid(guid)) << guid;
      EXPECT_TRUE(seen.insert(guid).second) << "duplicate " << guid;
      start = bar + 1;
    }
  }
  EXPECT_EQ(seen.size(), 2u * kGuids);
}

}  // namespace
}  // namespace duroxide::testing
