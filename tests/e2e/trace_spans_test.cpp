// Trace spans on a real runtime (docs/tracing.md), on every store: an instance started with a
// caller's traceparent is a span of that trace, its activities' attempts and its children are
// spans inside it; an instance started without one is the root of its own trace, kept across
// continue-as-new; a restart replays without sending spans again; the OTLP/JSON file sink
// writes one line per span; log lines carry the ids.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>

#include "support/e2e_support.hpp"
#include "support/log_capture.hpp"
#include "support/temp_dir.hpp"

namespace duroxide::testing {
namespace {

constexpr const char* kCaller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
constexpr const char* kCallerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";

/// Keeps every span it is sent.
class CollectingSink : public SpanSink {
 public:
  void on_span(const SpanRecord& span) override {
    std::lock_guard lock(mutex_);
    spans_.push_back(span);
  }
  std::vector<SpanRecord> spans() {
    std::lock_guard lock(mutex_);
    return spans_;
  }
  std::vector<SpanRecord> named(const std::string& name) {
    std::vector<SpanRecord> found;
    for (auto& span : spans())
      if (span.name == name) found.push_back(span);
    return found;
  }

 private:
  std::mutex mutex_;
  std::vector<SpanRecord> spans_;
};

std::mutex g_seen_mutex;
std::map<std::string, TraceContext> g_seen;  ///< instance -> the trace its Record activity saw

ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Record",
           [](ActivityContext& ctx, std::string input) -> Result<std::string> {
             if (!ctx.trace()) return Err("no trace in the activity's context");
             std::lock_guard lock(g_seen_mutex);
             g_seen[ctx.instance_id()] = *ctx.trace();
             ctx.trace_info("recording " + input);
             return input;
           })
      .build();
}

Task<Result<std::string>> child(OrchestrationContext ctx, std::string input) {
  co_return co_await ctx.schedule_activity("Record", "child " + input);
}

Task<Result<std::string>> parent(OrchestrationContext ctx, std::string input) {
  ctx.trace_info("parent running");
  auto mine = co_await ctx.schedule_activity("Record", input);
  if (!mine) co_return Err(mine.error());
  auto theirs = co_await ctx.schedule_sub_orchestration_with_id("Child", ctx.instance_id() + "-child", input);
  if (!theirs) co_return Err(theirs.error());
  co_return *mine + "|" + *theirs;
}

/// Three executions: input "0" continues as "1", then "2", which completes.
Task<Result<std::string>> counter(OrchestrationContext ctx, std::string input) {
  co_await ctx.schedule_activity("Record", input);
  if (input != "2") co_await ctx.continue_as_new(std::to_string(std::stoi(input) + 1));
  co_return "counted";
}

/// Records, then waits for "go".
Task<Result<std::string>> waits(OrchestrationContext ctx, std::string input) {
  co_await ctx.schedule_activity("Record", input);
  co_return co_await ctx.schedule_wait("go");
}

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add("Parent", parent)
      .add("Child", child)
      .add("Counter", counter)
      .add("Waits", waits)
      .build();
}

RuntimeOptions traced_options(std::shared_ptr<SpanSink> sink) {
  auto options = fast_options();
  options.observability.span_sink = std::move(sink);
  return options;
}

/// Stops the runtime: an execution's span is sent just after its last turn commits, which a
/// client may see first; once the runtime has stopped, every span it was to send is sent.
void stop_runtime(E2eEnv& env) {
  env.runtime->shutdown(5s);
  env.runtime.reset();
}

TraceContext seen_by(const std::string& instance) {
  std::lock_guard lock(g_seen_mutex);
  return g_seen[instance];
}

TEST(E2eTraceSpans, AnInstanceStartedWithATraceparentAndItsWorkAreSpansOfThatTrace) {
  auto sink = std::make_shared<CollectingSink>();
  E2eEnv env(activities(), orchestrations(), traced_options(sink));
  ASSERT_TRUE(env.client.start_orchestration_traced("traced-1", "Parent", "x", kCaller));
  ASSERT_EQ(env.output_of("traced-1"), "x|child x");
  stop_runtime(env);

  const auto parents = sink->named("orchestration Parent");
  ASSERT_EQ(parents.size(), 1u);
  const auto& parent_span = parents[0].context;
  EXPECT_EQ(parent_span.trace_id, kCallerTrace);
  EXPECT_EQ(parent_span.parent_span_id, "00f067aa0ba902b7") << "a child of the caller's span";
  EXPECT_TRUE(parents[0].ok);

  // The activity saw its own span, inside the orchestration's.
  const auto activity = seen_by("traced-1");
  EXPECT_EQ(activity.trace_id, kCallerTrace);
  EXPECT_EQ(activity.parent_span_id, parent_span.span_id);
  const auto children = sink->named("orchestration Child");
  ASSERT_EQ(children.size(), 1u);
  EXPECT_EQ(children[0].context.trace_id, kCallerTrace) << "a child continues its parent's trace";
  EXPECT_EQ(children[0].context.parent_span_id, parent_span.span_id);
  EXPECT_EQ(seen_by("traced-1-child").parent_span_id, children[0].context.span_id);

  const auto records = sink->named("activity Record");
  ASSERT_EQ(records.size(), 2u);
  for (const auto& span : records) {
    EXPECT_EQ(span.context.trace_id, kCallerTrace);
    EXPECT_LE(span.start_unix_ns, span.end_unix_ns);
  }
  EXPECT_GE(parents[0].end_unix_ns, parents[0].start_unix_ns);
}

TEST(E2eTraceSpans, AnInstanceStartedWithoutOneIsARootSpanAndKeepsItsTraceAcrossContinueAsNew) {
  auto sink = std::make_shared<CollectingSink>();
  E2eEnv env(activities(), orchestrations(), traced_options(sink));
  ASSERT_TRUE(env.client.start_orchestration("count-1", "Counter", "0"));
  ASSERT_EQ(env.output_of("count-1"), "counted");
  stop_runtime(env);
  const auto executions = sink->named("orchestration Counter");
  ASSERT_EQ(executions.size(), 3u) << "one span per execution";
  std::set<std::string> span_ids;
  for (const auto& span : executions) {
    EXPECT_EQ(span.context.trace_id, executions[0].context.trace_id);
    EXPECT_EQ(span.context.parent_span_id, "") << "the root of its trace";
    span_ids.insert(span.context.span_id);
  }
  EXPECT_EQ(span_ids.size(), 3u);
  EXPECT_EQ(sink->named("activity Record").size(), 3u);
}

TEST(E2eTraceSpans, AFailedStartIsRefusedForABadTraceparent) {
  E2eEnv env(activities(), orchestrations());
  auto refused = env.client.start_orchestration_traced("bad-1", "Parent", "x", "not-a-traceparent");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ClientError::Kind::InvalidInput);
  EXPECT_NE(refused.error().message.find("not a W3C traceparent"), std::string::npos) << refused.error().message;
}

TEST(E2eTraceSpans, ARestartReplaysWithoutSendingTheSpansAgain) {
  DurableStore durable;
  auto first_sink = std::make_shared<CollectingSink>();
  {
    E2eEnv env(durable.open(), activities(), orchestrations(), traced_options(first_sink));
    ASSERT_TRUE(env.client.start_orchestration_traced("waits-1", "Waits", "w", kCaller));
    ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "waits-1"));
  }
  ASSERT_EQ(first_sink->named("activity Record").size(), 1u);
  EXPECT_TRUE(first_sink->named("orchestration Waits").empty()) << "it has not ended";
  auto second_sink = std::make_shared<CollectingSink>();
  E2eEnv env(durable.open(), activities(), orchestrations(), traced_options(second_sink));
  ASSERT_TRUE(env.client.raise_event("waits-1", "go", "done"));
  ASSERT_EQ(env.output_of("waits-1"), "done");
  stop_runtime(env);
  EXPECT_TRUE(second_sink->named("activity Record").empty()) << "the replay ran no activity again";
  const auto ended = second_sink->named("orchestration Waits");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].context.parent_span_id, "00f067aa0ba902b7");
  EXPECT_EQ(seen_by("waits-1").parent_span_id, ended[0].context.span_id)
      << "the span the activity ran in before the restart is the one that ended after it";
}

TEST(E2eTraceSpans, TheOtlpFileSinkWritesOneJsonLinePerSpan) {
  TempDir dir;
  const auto path = (dir.path() / "spans.jsonl").string();
  auto sink = OtlpJsonFileSpanSink::open(path, "e2e");
  ASSERT_TRUE(sink) << sink.error();
  {
    E2eEnv env(activities(), orchestrations(), traced_options(*sink));
    ASSERT_TRUE(env.client.start_orchestration_traced("file-1", "Parent", "f", kCaller));
    ASSERT_EQ(env.output_of("file-1"), "f|child f");
  }
  std::ifstream in(path);
  std::vector<nlohmann::json> spans;
  for (std::string line; std::getline(in, line);) {
    const auto doc = nlohmann::json::parse(line);
    EXPECT_EQ(doc["resourceSpans"][0]["resource"]["attributes"][0]["value"]["stringValue"], "e2e");
    spans.push_back(doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]);
  }
  ASSERT_EQ(spans.size(), 4u) << "two orchestrations, two activity attempts";
  for (const auto& span : spans) EXPECT_EQ(span["traceId"], kCallerTrace) << span.dump();
}

TEST(E2eTraceSpans, LogLinesOfTheCodeAndOfActivitiesCarryTheirSpan) {
  auto capture = attach_capture_sink();
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration_traced("logged-1", "Parent", "l", kCaller));
  ASSERT_EQ(env.output_of("logged-1"), "l|child l");
  const auto orchestration_line = capture->find([](const CapturedLine& line) {
    return line.text.find("parent running") != std::string::npos &&
           line.text.find("instance_id=logged-1 ") != std::string::npos;
  });
  ASSERT_TRUE(orchestration_line);
  EXPECT_NE(orchestration_line->text.find(std::string("trace_id=") + kCallerTrace), std::string::npos)
      << orchestration_line->text;
  const auto activity = seen_by("logged-1");
  const auto activity_line = capture->find([](const CapturedLine& line) {
    return line.text.find("recording l") != std::string::npos &&
           line.text.find("instance_id=logged-1 ") != std::string::npos;
  });
  ASSERT_TRUE(activity_line);
  EXPECT_NE(activity_line->text.find("span_id=" + activity.span_id), std::string::npos) << activity_line->text;
}

}  // namespace
}  // namespace duroxide::testing
