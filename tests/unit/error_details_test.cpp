// ErrorDetails: display_message formats, category, retryability, and the JSON shapes (docs/core.md, "Error details").
#include <gtest/gtest.h>

#include <duroxide/wire.hpp>

using namespace duroxide;

namespace {
ErrorDetails poison_of(PoisonMessageType type) { return error::Poison{11, 10, std::move(type), "[...]"}; }
}  // namespace

TEST(UnitErrorDetails, DisplayMessageFormatsMatchDuroxide) {
  EXPECT_EQ(ErrorDetails::infrastructure("fetch", "disk gone", true).display_message(),
            "infrastructure:fetch: disk gone");
  EXPECT_EQ(ErrorDetails::nondeterminism("expected A got B").display_message(), "nondeterministic: expected A got B");
  EXPECT_EQ(
      ErrorDetails(error::Configuration{ConfigErrorKind::Nondeterminism, "Order", std::nullopt}).display_message(),
      "nondeterministic in Order");
  EXPECT_EQ(ErrorDetails::cancelled("user").display_message(), "canceled: user");
  EXPECT_EQ(ErrorDetails(error::Application{AppErrorKind::cancelled("r"), "ignored", false}).display_message(),
            "canceled: r")
      << "the message of a cancellation is ignored";
  EXPECT_EQ(ErrorDetails::panicked("boom").display_message(), "orchestration panicked: boom");
  EXPECT_EQ(ErrorDetails::activity_failed("card declined").display_message(), "card declined");
  EXPECT_EQ(ErrorDetails::orchestration_failed("bad input").display_message(), "bad input");
  EXPECT_EQ(poison_of(poison::Orchestration{"i", 1}).display_message(),
            "poison: orchestration i exceeded 11 attempts (max 10)");
  EXPECT_EQ(poison_of(poison::Activity{"i", 1, "Charge", 2}).display_message(),
            "poison: activity Charge#2 exceeded 11 attempts (max 10)");
  EXPECT_EQ(poison_of(poison::FailedDeserialization{"i", 1, "unknown event type"}).display_message(),
            "poison: orchestration i history deserialization failed after 11 attempts (max 10): unknown event type");
}

TEST(UnitErrorDetails, CategoryNamesEachVariant) {
  EXPECT_EQ(ErrorDetails::infrastructure("op", "m", false).category(), "infrastructure");
  EXPECT_EQ(ErrorDetails::nondeterminism("m").category(), "configuration");
  EXPECT_EQ(ErrorDetails::activity_failed("m").category(), "application");
  EXPECT_EQ(poison_of(poison::Orchestration{"i", 1}).category(), "poison");
}

TEST(UnitErrorDetails, RetryableOnlyWhereTheFlagSaysSo) {
  EXPECT_TRUE(ErrorDetails::infrastructure("op", "m", true).is_retryable());
  EXPECT_FALSE(ErrorDetails::infrastructure("op", "m", false).is_retryable());
  EXPECT_TRUE(ErrorDetails(error::Application{AppErrorKind::activity_failed(), "m", true}).is_retryable());
  EXPECT_FALSE(ErrorDetails::activity_failed("m").is_retryable());
  EXPECT_FALSE(ErrorDetails::nondeterminism("m").is_retryable()) << "configuration is never retryable";
  EXPECT_FALSE(poison_of(poison::Orchestration{"i", 1}).is_retryable()) << "poison is never retryable";
}

TEST(UnitErrorDetails, JsonShapesMatchTheSpec) {
  EXPECT_EQ(serialize_error_details(ErrorDetails::infrastructure("op", "m", true)),
            R"({"Infrastructure":{"operation":"op","message":"m","retryable":true}})");
  EXPECT_EQ(serialize_error_details(ErrorDetails::nondeterminism("m")),
            R"({"Configuration":{"kind":"Nondeterminism","resource":"","message":"m"}})");
  EXPECT_EQ(serialize_error_details(ErrorDetails(error::Configuration{ConfigErrorKind::Nondeterminism, "r", {}})),
            R"({"Configuration":{"kind":"Nondeterminism","resource":"r","message":null}})");
  EXPECT_EQ(serialize_error_details(ErrorDetails::orchestration_failed("m")),
            R"({"Application":{"kind":"OrchestrationFailed","message":"m","retryable":false}})");
  EXPECT_EQ(serialize_error_details(ErrorDetails::panicked("m")),
            R"({"Application":{"kind":"Panicked","message":"m","retryable":false}})");
  EXPECT_EQ(serialize_error_details(ErrorDetails::cancelled("user")),
            R"({"Application":{"kind":{"Cancelled":{"reason":"user"}},"message":"","retryable":false}})");
  EXPECT_EQ(
      serialize_error_details(poison_of(poison::Orchestration{"i", 1})),
      R"({"Poison":{"attempt_count":11,"max_attempts":10,"message_type":{"Orchestration":{"instance":"i","execution_id":1}},"message":"[...]"}})");
  EXPECT_EQ(
      serialize_error_details(poison_of(poison::Activity{"i", 1, "A", 2})),
      R"({"Poison":{"attempt_count":11,"max_attempts":10,"message_type":{"Activity":{"instance":"i","execution_id":1,"activity_name":"A","activity_id":2}},"message":"[...]"}})");
  EXPECT_EQ(
      serialize_error_details(poison_of(poison::FailedDeserialization{"i", 1, "e"})),
      R"({"Poison":{"attempt_count":11,"max_attempts":10,"message_type":{"FailedDeserialization":{"instance":"i","execution_id":1,"error":"e"}},"message":"[...]"}})");
}

TEST(UnitErrorDetails, EveryVariantAndKindRoundTrips) {
  const std::vector<ErrorDetails> all = {
      ErrorDetails::infrastructure("op", "m", true),
      ErrorDetails::nondeterminism("m"),
      ErrorDetails(error::Configuration{ConfigErrorKind::Nondeterminism, "r", std::nullopt}),
      ErrorDetails::activity_failed("m"),
      ErrorDetails::orchestration_failed("m"),
      ErrorDetails::panicked("m"),
      ErrorDetails::cancelled("why"),
      ErrorDetails(error::Application{AppErrorKind::activity_failed(), "retry me", true}),
      poison_of(poison::Orchestration{"i", 1}),
      poison_of(poison::Activity{"i", 1, "A", 2}),
      poison_of(poison::FailedDeserialization{"i", 1, "e"}),
  };
  for (const auto& d : all) {
    auto parsed = parse_error_details(serialize_error_details(d));
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    EXPECT_EQ(*parsed, d) << serialize_error_details(d);
  }
}

TEST(UnitErrorDetails, ConfigurationMessageMissingReadsAsNull) {
  auto parsed = parse_error_details(R"({"Configuration":{"kind":"Nondeterminism","resource":"Order"}})");
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(parsed->display_message(), "nondeterministic in Order");
}

TEST(UnitErrorDetails, BadInputGivesClearErrors) {
  struct Case {
    const char* json;
    const char* fragment;
  } cases[] = {
      {R"({"Infrastructure":{"operation":"o","message":"m"}})",
       "missing required field 'retryable' in ErrorDetails.Infrastructure"},
      {R"({"Configuration":{"kind":"Other","resource":"","message":null}})", "unknown ConfigErrorKind 'Other'"},
      {R"({"Application":{"kind":{"Cancelled":{}},"message":"","retryable":false}})",
       "missing required field 'reason' in AppErrorKind.Cancelled"},
      {R"({"Poison":{"attempt_count":4294967296,"max_attempts":1,"message_type":{"Orchestration":{"instance":"i","execution_id":1}},"message":""}})",
       "out of range for a 32-bit unsigned integer"},
      {R"({"Poison":{"attempt_count":1,"max_attempts":1,"message_type":{"Timer":{}},"message":""}})",
       "unknown PoisonMessageType 'Timer'"},
      {R"({"Application":{"kind":"Panicked","message":"m","retryable":"no"}})", "must be a boolean, got string"},
      {R"({})", "exactly one key"},
      {R"(nope)", "malformed JSON"},
  };
  for (const auto& c : cases) {
    auto parsed = parse_error_details(c.json);
    ASSERT_FALSE(parsed.has_value()) << c.json;
    EXPECT_NE(parsed.error().find(c.fragment), std::string::npos) << parsed.error();
  }
}
