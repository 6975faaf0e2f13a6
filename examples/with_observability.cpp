// with_observability: logs and metrics. Orchestration and activity traces go to the
// duroxide::orchestration / duroxide::activity loggers with correlation fields (instance,
// execution, names, worker); replayed turns do not log twice. The runtime counts what it did.
// Set DUROXIDE_LOG (e.g. "debug" or "duroxide::runtime=debug") to see the runtime's own logs.
//
//   with_observability [STORE-URL]     (sqlite:PATH or postgres://…; default: a private in-memory store)
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include "example_support.hpp"

using namespace duroxide;

Task<Result<std::string>> observed(OrchestrationContext ctx, std::string input) {
  ctx.trace_info("processing " + input);  // logged once, not on replay
  auto result = co_await ctx.schedule_activity("Validate", input);
  if (!result) {
    ctx.trace_warn("validation failed: " + result.error());
    co_return Err(result.error());
  }
  ctx.trace_info("validated");
  co_return *result;
}

int main(int argc, char** argv) {
  auto store = example::open_store(argc, argv);
  auto activities = ActivityRegistry::builder()
                        .add("Validate",
                             [](ActivityContext& ctx, std::string input) -> Result<std::string> {
                               ctx.trace_info("validating " + input);
                               if (input.empty()) return Err("empty input");
                               return "valid:" + input;
                             })
                        .build();
  auto orchestrations = OrchestrationRegistry::builder().add("Observed", observed).build();

  RuntimeOptions options;
  // Compact by default; `with_observability STORE json` writes one JSON object per line instead.
  const bool json = argc > 2 && std::string_view(argv[2]) == "json";
  options.observability.log_format = json ? LogFormat::Json : LogFormat::Compact;  // Pretty also exists
  options.observability.log_level = "info";                                        // level of the user traces
  // Labelled metrics (duroxide's names) kept in memory, ready for a Prometheus scrape.
  auto registry = std::make_shared<MetricsRegistry>();
  options.observability.metrics_sink = registry;
  auto runtime = Runtime::start(store, activities, orchestrations, options);
  Client client(store);

  example::check(client.start_orchestration("observed-1", "Observed", "payload"), "start");
  example::check(client.start_orchestration("observed-2", "Observed", ""), "start");
  std::printf("observed-1: %s\n", example::outcome(client, "observed-1").c_str());
  std::printf("observed-2: %s\n", example::outcome(client, "observed-2").c_str());

  // The labelled series of a turn are reported just after its commit, which the client may see
  // first; shutdown() returns once every turn's series are in (docs/runtime-features.md, "Metrics").
  runtime->shutdown();
  const auto metrics = runtime->metrics_snapshot();
  std::printf("orchestrations started: %llu, completed: %llu, failed: %llu\n",
              static_cast<unsigned long long>(metrics.orch_starts),
              static_cast<unsigned long long>(metrics.orch_completions),
              static_cast<unsigned long long>(metrics.orch_failures));
  std::printf("activities succeeded: %llu, failed: %llu\n", static_cast<unsigned long long>(metrics.activity_success),
              static_cast<unsigned long long>(metrics.activity_app_errors));
  // What a Prometheus scrape of this process would read (one metric family shown).
  std::istringstream exposition(registry->render_prometheus());
  for (std::string line; std::getline(exposition, line);) {
    if (line.find("duroxide_orchestration_completions_total") != std::string::npos) std::printf("%s\n", line.c_str());
  }
  return 0;
}
