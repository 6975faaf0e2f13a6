#pragma once
// The JSON log format (docs/runtime-features.md, "Logs"): one JSON object per line with the timestamp, level, target,
// the message text and every `key=value` correlation field of the line as its own member. The
// runtime writes its fields as `key=value` after the message text; this turns them into members,
// with proper escaping (a message may hold quotes, newlines or bytes that are not UTF-8).

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/formatter.h>

namespace duroxide::logging {

/// "Text words key=value other=more words" → ("Text words", {{"key","value"},{"other","more words"}}):
/// a field starts at a word of the form `identifier=`; words that follow belong to its value.
std::pair<std::string, std::vector<std::pair<std::string, std::string>>> split_log_fields(std::string_view line);

/// One JSON log line (no trailing newline).
std::string json_log_line(std::chrono::system_clock::time_point time, std::string_view level, std::string_view target,
                          std::string_view message);

/// spdlog formatter writing json_log_line() and a newline.
std::unique_ptr<spdlog::formatter> make_json_formatter();

}  // namespace duroxide::logging
