// Result<T>: the error-as-value type of the public API, the analogue of Rust's Result<T, String>.
#pragma once

#include <expected>
#include <string>

namespace duroxide {

/// A value or an error message. Used wherever duroxide's API returns `Result<T, String>`:
/// activity and orchestration results, decode results, validation results.
template <class T>
using Result = std::expected<T, std::string>;

/// Shorthand for building the error side: `return Err("boom");`.
inline std::unexpected<std::string> Err(std::string message) {
  return std::unexpected<std::string>(std::move(message));
}

}  // namespace duroxide
