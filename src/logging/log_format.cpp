#include "logging/log_format.hpp"

#include <ctime>

#include <fmt/format.h>
#include <spdlog/details/log_msg.h>
#include <nlohmann/json.hpp>

namespace duroxide::logging {

namespace {

/// A word that opens a field: an identifier followed by '='.
bool opens_field(std::string_view word) {
  const auto eq = word.find('=');
  if (eq == std::string_view::npos || eq == 0) return false;
  for (std::size_t i = 0; i < eq; ++i) {
    const char c = word[i];
    const bool ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string iso_utc(std::chrono::system_clock::time_point time) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, micros % 1'000'000);
}

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto level = spdlog::level::to_string_view(msg.level);
    const auto line = json_log_line(msg.time, std::string_view(level.data(), level.size()),
                                    std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                                    std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

}  // namespace

std::pair<std::string, std::vector<std::pair<std::string, std::string>>> split_log_fields(std::string_view line) {
  std::string text;
  std::vector<std::pair<std::string, std::string>> fields;
  std::size_t pos = 0;
  while (pos < line.size()) {
    const auto end = std::min(line.find(' ', pos), line.size());
    const auto word = line.substr(pos, end - pos);
    if (opens_field(word)) {
      const auto eq = word.find('=');
      fields.emplace_back(std::string(word.substr(0, eq)), std::string(word.substr(eq + 1)));
    } else if (!fields.empty()) {
      fields.back().second.append(" ").append(word);
    } else {
      if (!text.empty()) text.push_back(' ');
      text.append(word);
    }
    pos = end + 1;
  }
  return {std::move(text), std::move(fields)};
}

std::string json_log_line(std::chrono::system_clock::time_point time, std::string_view level, std::string_view target,
                          std::string_view message) {
  auto [text, fields] = split_log_fields(message);
  nlohmann::ordered_json line;
  line["timestamp"] = iso_utc(time);
  line["level"] = std::string(level);
  line["target"] = std::string(target);
  line["message"] = std::move(text);
  for (auto& [key, value] : fields) {
    // A field named like a fixed member keeps the fixed member intact.
    if (line.contains(key)) key = "field." + key;
    line[key] = std::move(value);
  }
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::unique_ptr<spdlog::formatter> make_json_formatter() { return std::make_unique<JsonFormatter>(); }

}  // namespace duroxide::logging
