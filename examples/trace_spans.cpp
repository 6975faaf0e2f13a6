// trace_spans: every orchestration execution and activity attempt is a span of a W3C trace
// (docs/tracing.md). An order is started with the traceparent of the request that asked for it;
// its activity and its child orchestration become spans of that trace, written as OTLP/JSON lines
// to a file that an OpenTelemetry Collector can ship to any tracing backend.
//
//   trace_spans [STORE-URL] [SPAN-FILE]   sqlite:PATH (default sqlite:trace_spans.db) or postgres://…;
//                                         the spans go to SPAN-FILE (default trace_spans.jsonl)
#include <cstdio>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include <duroxide/duroxide.hpp>

using namespace duroxide;
using namespace std::chrono_literals;

Task<Result<std::string>> ship(OrchestrationContext ctx, std::string order) {
  co_return co_await ctx.schedule_activity("BookCarrier", order);
}

Task<Result<std::string>> process_order(OrchestrationContext ctx, std::string order) {
  auto charged = co_await ctx.schedule_activity("Charge", order);
  if (!charged) co_return Err(charged.error());
  // A child continues its parent's trace.
  auto shipped = co_await ctx.schedule_sub_orchestration_with_id("Ship", ctx.instance_id() + "-ship", order);
  if (!shipped) co_return Err(shipped.error());
  co_return *charged + ", " + *shipped;
}

int main(int argc, char** argv) {
  const std::string url = argc > 1 ? argv[1] : "sqlite:trace_spans.db";
  const std::string span_file = argc > 2 ? argv[2] : "trace_spans.jsonl";
  auto store = open_store(url);
  if (!store) {
    std::fprintf(stderr, "cannot open %s: %s\n", url.c_str(), store.error().to_string().c_str());
    return 1;
  }
  std::remove(span_file.c_str());
  auto spans = OtlpJsonFileSpanSink::open(span_file, "shop");
  if (!spans) {
    std::fprintf(stderr, "%s\n", spans.error().c_str());
    return 1;
  }
  auto activities =
      ActivityRegistry::builder()
          .add("Charge",
               [](ActivityContext& ctx, std::string order) -> Result<std::string> {
                 // An activity calling another service passes its own span on as the traceparent.
                 const std::string header = ctx.trace() ? ctx.trace()->traceparent() : "";
                 return "charged " + order + (header.empty() ? "" : " (traceparent sent)");
               })
          .add("BookCarrier",
               [](ActivityContext&, std::string order) -> Result<std::string> { return "carrier booked for " + order; })
          .build();
  RuntimeOptions options;
  options.observability.span_sink = *spans;
  auto runtime = Runtime::start(
      *store, activities, OrchestrationRegistry::builder().add("ProcessOrder", process_order).add("Ship", ship).build(),
      options);
  Client client(*store);

  // The traceparent header of the HTTP request that asked for the order.
  const std::string request_trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const std::string id = "order-" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  if (auto started = client.start_orchestration_traced(id, "ProcessOrder", "A-17", request_trace); !started) {
    std::fprintf(stderr, "start: %s\n", started.error().to_string().c_str());
    return 1;
  }
  auto status = client.wait_for_orchestration(id, 10s);
  runtime->shutdown();  // every span has been written once the instance has completed and the runtime stopped
  if (!status || !status->is_completed()) {
    std::fprintf(stderr, "the order did not complete\n");
    return 1;
  }
  std::printf("%s\n", status->get_if<status::Completed>()->output.c_str());

  std::ifstream in(span_file);
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    const auto span = nlohmann::json::parse(line)["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
    std::printf("span %-26s trace %s\n", span["name"].get<std::string>().c_str(),
                span["traceId"].get<std::string>().c_str());
  }
  std::printf("%d spans in %s\n", lines, span_file.c_str());
  return 0;
}
