// Where the dashboard listens, and the rule that keeps it private by default (docs/dashboard.md,
// "Security"): it binds 127.0.0.1 unless told otherwise, and any address other than a loopback one
// needs a token.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace duroxide::dashboard {

struct ListenAddress {
  std::string host = "127.0.0.1";  ///< a name or an IP address; IPv6 without brackets
  std::uint16_t port = 8080;       ///< 0: a free port the system picks

  /// "HOST:PORT", with brackets around an IPv6 host ("[::1]:8080").
  std::string to_string() const;
};

/// Parses "HOST:PORT" or "[IPV6]:PORT" (PORT 0 to 65535). The error says what is wrong.
std::expected<ListenAddress, std::string> parse_listen_address(std::string_view text);

/// True for the names of this machine's loopback interface: "localhost", 127.0.0.0/8 and ::1.
bool is_loopback_host(std::string_view host);

/// The reason the dashboard must not start with this address and token, or nothing: a host that
/// is not loopback needs a non-empty token.
std::optional<std::string> listen_policy_problem(const ListenAddress& address, std::string_view token);

}  // namespace duroxide::dashboard
