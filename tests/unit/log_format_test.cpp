// The JSON log format (docs/runtime-features.md): one valid JSON object per line, correlation fields as members.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "logging/log_format.hpp"

namespace duroxide::logging {
namespace {

TEST(UnitLogFormat, SplitsTextFromKeyValueFields) {
  auto [text, fields] = split_log_fields("Orchestration failed instance_id=i-1 error_type=app_error error=boom: bad x");
  EXPECT_EQ(text, "Orchestration failed");
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[0], (std::pair<std::string, std::string>{"instance_id", "i-1"}));
  EXPECT_EQ(fields[1], (std::pair<std::string, std::string>{"error_type", "app_error"}));
  EXPECT_EQ(fields[2], (std::pair<std::string, std::string>{"error", "boom: bad x"}));
}

TEST(UnitLogFormat, PlainTextHasNoFields) {
  auto [text, fields] = split_log_fields("a = b and =c are not fields");
  EXPECT_EQ(text, "a = b and =c are not fields");
  EXPECT_TRUE(fields.empty());
}

TEST(UnitLogFormat, JsonLineIsValidJsonWithEveryField) {
  const auto time = std::chrono::system_clock::time_point(std::chrono::microseconds(1'700'000'000'123'456));
  const auto line =
      json_log_line(time, "warn", "duroxide::runtime", "said \"hi\"\nthen left instance_id=a\"b execution_id=2");
  const auto parsed = nlohmann::json::parse(line);  // throws on invalid JSON
  EXPECT_EQ(parsed.at("timestamp"), "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(parsed.at("level"), "warn");
  EXPECT_EQ(parsed.at("target"), "duroxide::runtime");
  EXPECT_EQ(parsed.at("message"), "said \"hi\"\nthen left");
  EXPECT_EQ(parsed.at("instance_id"), "a\"b");
  EXPECT_EQ(parsed.at("execution_id"), "2");
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one line per record";
}

TEST(UnitLogFormat, FieldsNeverOverwriteFixedMembersAndBadUtf8IsReplaced) {
  const auto line = json_log_line(std::chrono::system_clock::time_point{}, "info", "duroxide::activity",
                                  "user text level=custom payload=\xff\xfe");
  const auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed.at("level"), "info");
  EXPECT_EQ(parsed.at("field.level"), "custom");
  EXPECT_TRUE(parsed.at("payload").is_string());
}

}  // namespace
}  // namespace duroxide::logging
