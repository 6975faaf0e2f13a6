#pragma once
// The bearer token of the /metrics endpoint (docs/runtime-features.md, "The /metrics endpoint"):
// where it comes from, what it may contain, and the check every request passes.

#include <optional>
#include <string>
#include <string_view>

#include <duroxide/result.hpp>

namespace duroxide::runtime {

/// The environment variable read when RuntimeOptions::metrics_token is unset.
inline constexpr const char* kMetricsTokenEnv = "DUROXIDE_METRICS_TOKEN";

/// A token must be non-empty printable ASCII without spaces (what a header value carries without
/// quoting). The error names `source` (the option or the environment variable).
Result<void> check_metrics_token(std::string_view token, std::string_view source);

/// The token in force: `option`, else `env_value` (the environment variable's value; unset or
/// empty means none). An invalid one is an error naming where it came from.
Result<std::optional<std::string>> resolve_metrics_token(const std::optional<std::string>& option,
                                                         const char* env_value);

/// Whether an Authorization header value is "Bearer <token>" ("Bearer" in any case, as RFC 7235
/// has it). Compares in time independent of where the token differs.
bool bearer_token_matches(std::string_view authorization, std::string_view token);

}  // namespace duroxide::runtime
