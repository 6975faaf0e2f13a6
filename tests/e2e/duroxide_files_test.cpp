// A store moved from duroxide (Rust): our runtime continues an instance that duroxide 0.1.30
// started, in a file laid out and written as duroxide does (docs/storage.md, "Files shared with
// duroxide"), with the default supported_replay_versions.
#include <gtest/gtest.h>

#include "support/duroxide_file.hpp"
#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

using duroxide_file::event_json;
using duroxide_file::RawFile;

Task<Result<std::string>> moved(OrchestrationContext ctx, std::string input) {
  auto a = co_await ctx.schedule_activity("Echo", "a-" + input);
  if (!a) co_return Err(a.error());
  auto data = co_await ctx.schedule_wait("go");
  co_return *a + "|" + data;
}

/// The rows duroxide 0.1.30 leaves for `moved` after its first two turns: the activity ran, the
/// instance waits for "go". Event shapes as in a file duroxide 0.1.30 wrote; pinned to 0.1.30.
void write_moved_instance(const std::string& path) {
  RawFile raw(path);
  raw.exec(duroxide_file::kLayout);
  raw.start_instance("moved", "Moved", "1.0.0", "1", "30");
  raw.append_history("moved", "1", "OrchestrationStarted",
                     event_json("moved", 1, "null", "OrchestrationStarted",
                                R"("name":"Moved","version":"1.0.0","input":"x","parent_instance":null,)"
                                R"("parent_id":null)"));
  raw.append_history("moved", "2", "ActivityScheduled",
                     event_json("moved", 2, "null", "ActivityScheduled", R"("name":"Echo","input":"a-x")"));
  raw.append_history("moved", "3", "ActivityCompleted",
                     event_json("moved", 3, "2", "ActivityCompleted", R"("result":"a-x")"));
  raw.append_history("moved", "4", "ExternalSubscribed",
                     event_json("moved", 4, "null", "ExternalSubscribed", R"("name":"go")"));
}

TEST(E2eDuroxideFiles, OurRuntimeContinuesAnInstanceDuroxide0130StartedWithDefaultOptions) {
  TempDir dir;
  write_moved_instance((dir.path() / "store.db").string());
  auto store = disk_store(dir.url());
  auto activities = ActivityRegistry::builder()
                        .add("Echo", [](ActivityContext&, std::string input) -> Result<std::string> { return input; })
                        .build();
  E2eEnv env(store, std::move(activities), OrchestrationRegistry::builder().add("Moved", moved).build());
  ASSERT_TRUE(env.client.raise_event("moved", "go", "yes"));
  EXPECT_EQ(env.output_of("moved"), "a-x|yes");

  const auto history = env.history("moved");
  ASSERT_EQ(history.size(), 6u);  // duroxide's four, then the event and the completion
  EXPECT_EQ(history[3].duroxide_version, "0.1.30");
  EXPECT_TRUE(history[4].is<events::ExternalEvent>());
  EXPECT_TRUE(history.back().is<events::OrchestrationCompleted>());
  // The row duroxide wrote keeps its text timestamp, ours carry milliseconds: both read.
  RawFile raw((dir.path() / "store.db").string());
  EXPECT_EQ(raw.text("SELECT typeof(created_at) FROM history WHERE event_id = 1"), "text");
  EXPECT_EQ(raw.text("SELECT typeof(created_at) FROM history WHERE event_id = 6"), "integer");
}

}  // namespace
}  // namespace duroxide::testing
