// Trace context (docs/tracing.md): W3C traceparent parsing, the derived span ids, the OTLP/JSON
// line a span is written as, and the wire form of the trace fields.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <duroxide/tracing.hpp>
#include <duroxide/wire.hpp>

#include "observability/trace_ids.hpp"

namespace duroxide {
namespace {

constexpr const char* kW3cExample = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(UnitTracing, ATraceparentIsParsedIntoItsParts) {
  const auto parsed = parse_traceparent(kW3cExample);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(parsed->parent_span_id, "00f067aa0ba902b7");
  EXPECT_EQ(parsed->flags, 1);
  EXPECT_EQ(parsed->to_string(), kW3cExample);
  const auto upper = parse_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-00");
  ASSERT_TRUE(upper) << upper.error();
  EXPECT_EQ(upper->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736") << "hex is lowered";
  EXPECT_EQ(upper->flags, 0);
}

TEST(UnitTracing, WhatIsNotATraceparentIsRefusedWithWhy) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "55 characters"},
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "55 characters"},
      {"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "version 00"},
      {"00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "separated by '-'"},
      {"00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", "hex digits"},
      {"00-00000000000000000000000000000000-00f067aa0ba902b7-01", "trace id is all zeros"},
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "parent span id is all zeros"},
  };
  for (const auto& [text, why] : cases) {
    const auto parsed = parse_traceparent(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_NE(parsed.error().find(why), std::string::npos) << text << ": " << parsed.error();
  }
}

TEST(UnitTracing, AnInstanceWithoutATraceparentIsTheRootOfATraceNamedAfterIt) {
  const auto first = observability::orchestration_trace(std::nullopt, "order-1", 1);
  EXPECT_EQ(first.trace_id.size(), 32u);
  EXPECT_EQ(first.span_id.size(), 16u);
  EXPECT_EQ(first.parent_span_id, "") << "a root span";
  EXPECT_TRUE(parse_traceparent(first.traceparent())) << first.traceparent();
  EXPECT_EQ(observability::orchestration_trace(std::nullopt, "order-1", 1), first) << "the same ids every time";
  const auto next_execution = observability::orchestration_trace(std::nullopt, "order-1", 2);
  EXPECT_EQ(next_execution.trace_id, first.trace_id) << "continue-as-new stays in the trace";
  EXPECT_NE(next_execution.span_id, first.span_id);
  EXPECT_NE(observability::orchestration_trace(std::nullopt, "order-2", 1).trace_id, first.trace_id);
}

TEST(UnitTracing, AnInstanceWithATraceparentContinuesThatTrace) {
  const auto context = observability::orchestration_trace(std::string(kW3cExample), "order-1", 1);
  EXPECT_EQ(context.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(context.parent_span_id, "00f067aa0ba902b7");
  EXPECT_NE(context.span_id, "00f067aa0ba902b7");
  EXPECT_EQ(context.traceparent(), "00-4bf92f3577b34da6a3ce929d0e0e4736-" + context.span_id + "-01");
}

TEST(UnitTracing, EachActivityAttemptIsAChildSpanOfItsOrchestration) {
  const auto orchestration = observability::orchestration_trace(std::nullopt, "order-1", 1);
  const auto first = observability::activity_trace(orchestration.traceparent(), "order-1", 2, 1);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->trace_id, orchestration.trace_id);
  EXPECT_EQ(first->parent_span_id, orchestration.span_id);
  EXPECT_EQ(observability::activity_trace(orchestration.traceparent(), "order-1", 2, 1), first);
  EXPECT_NE(observability::activity_trace(orchestration.traceparent(), "order-1", 2, 2)->span_id, first->span_id)
      << "a second attempt is a span of its own";
  EXPECT_NE(observability::activity_trace(orchestration.traceparent(), "order-1", 3, 1)->span_id, first->span_id);
  EXPECT_FALSE(observability::activity_trace(std::nullopt, "order-1", 2, 1)) << "work queued before tracing";
}

TEST(UnitTracing, ASpanIsWrittenAsAnOtlpJsonExportRequest) {
  SpanRecord span;
  span.kind = SpanRecord::Kind::Activity;
  span.context = {"4bf92f3577b34da6a3ce929d0e0e4736", "1111111111111111", "00f067aa0ba902b7", true};
  span.name = "activity Charge";
  span.start_unix_ns = 1'796'547'600'000'000'000ULL;
  span.end_unix_ns = 1'796'547'600'250'000'000ULL;
  span.ok = false;
  span.status_message = "card declined";
  span.attributes = {{"duroxide.instance_id", "order-1"}};
  const auto line = OtlpJsonFileSpanSink::to_otlp_json(span, "shop");
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one line";
  const auto doc = nlohmann::json::parse(line);
  const auto& resource = doc["resourceSpans"][0];
  EXPECT_EQ(resource["resource"]["attributes"][0],
            (nlohmann::json{{"key", "service.name"}, {"value", {{"stringValue", "shop"}}}}));
  const auto& written = resource["scopeSpans"][0]["spans"][0];
  EXPECT_EQ(written["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(written["spanId"], "1111111111111111");
  EXPECT_EQ(written["parentSpanId"], "00f067aa0ba902b7");
  EXPECT_EQ(written["name"], "activity Charge");
  EXPECT_EQ(written["startTimeUnixNano"], "1796547600000000000");
  EXPECT_EQ(written["endTimeUnixNano"], "1796547600250000000");
  EXPECT_EQ(written["status"], (nlohmann::json{{"code", 2}, {"message", "card declined"}}));
  EXPECT_EQ(written["attributes"][0],
            (nlohmann::json{{"key", "duroxide.instance_id"}, {"value", {{"stringValue", "order-1"}}}}));
}

TEST(UnitTracing, TheTraceFieldsTravelOnTheWireOnlyWhenSet) {
  work_items::ActivityExecute plain{"i", 1, 2, "A", "in", std::nullopt, std::nullopt};
  EXPECT_EQ(serialize_work_item(plain).find("trace_parent"), std::string::npos) << "untraced rows are unchanged";
  auto traced = plain;
  traced.trace_parent = kW3cExample;
  const auto text = serialize_work_item(traced);
  EXPECT_NE(text.find(kW3cExample), std::string::npos) << text;
  EXPECT_EQ(parse_work_item(text).value(), WorkItem(traced));
  work_items::StartOrchestration start{"i", "O", "in", std::nullopt, std::nullopt, std::nullopt, 1};
  start.trace_parent = kW3cExample;
  EXPECT_EQ(parse_work_item(serialize_work_item(start)).value(), WorkItem(start));
  work_items::ContinueAsNew can{"i", "O", "in", std::nullopt, {}, std::nullopt};
  can.trace_parent = kW3cExample;
  EXPECT_EQ(parse_work_item(serialize_work_item(can)).value(), WorkItem(can));
}

}  // namespace
}  // namespace duroxide
