#include "runtime/metrics_token.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace duroxide::runtime {

Result<void> check_metrics_token(std::string_view token, std::string_view source) {
  if (token.empty()) return Err(fmt::format("{} is empty: give a token or leave it unset", source));
  const bool printable = std::all_of(token.begin(), token.end(), [](char c) { return c > ' ' && c <= '~'; });
  if (!printable) return Err(fmt::format("{} must be printable ASCII without spaces", source));
  return {};
}

Result<std::optional<std::string>> resolve_metrics_token(const std::optional<std::string>& option,
                                                         const char* env_value) {
  if (option) {
    if (auto valid = check_metrics_token(*option, "RuntimeOptions::metrics_token"); !valid) {
      return std::unexpected(valid.error());
    }
    return option;
  }
  if (env_value == nullptr || *env_value == '\0') return std::optional<std::string>{};
  if (auto valid = check_metrics_token(env_value, kMetricsTokenEnv); !valid) return std::unexpected(valid.error());
  return std::optional<std::string>{env_value};
}

bool bearer_token_matches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() < kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return false;
  }
  const std::string_view given = authorization.substr(kScheme.size());
  // Every byte of the longer one is looked at, so the time taken says nothing about the token.
  unsigned char difference = given.size() == token.size() ? 0 : 1;
  const std::size_t length = std::max(given.size(), token.size());
  for (std::size_t i = 0; i < length; ++i) {
    const auto a = static_cast<unsigned char>(i < given.size() ? given[i] : 0);
    const auto b = static_cast<unsigned char>(i < token.size() ? token[i] : 0);
    difference |= static_cast<unsigned char>(a ^ b);
  }
  return difference == 0;
}

}  // namespace duroxide::runtime
