#pragma once
// RuntimeOptions::metrics_listen parsed (docs/runtime-features.md, "The /metrics endpoint"): where
// the endpoint binds, and whether that is loopback, which decides whether a token is required.

#include <cstdint>
#include <string>
#include <string_view>

#include <duroxide/result.hpp>

namespace duroxide::runtime {

struct ListenAddress {
  std::string host;  ///< as getaddrinfo takes it: "127.0.0.1", "::1", "0.0.0.0", "metrics.internal"
  std::uint16_t port = 0;

  /// 127.0.0.0/8, ::1 or "localhost". Any other name counts as not loopback, even one that
  /// resolves to it: only what the text says is trusted without a token.
  bool is_loopback() const;
  /// "host:port", or "[host]:port" for an IPv6 host.
  std::string to_string() const;
};

/// "PORT" (host 127.0.0.1), "HOST:PORT" or "[IPv6]:PORT"; port 0–65535. An empty host (":9464")
/// is refused rather than guessed: elsewhere it means every interface.
Result<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace duroxide::runtime
