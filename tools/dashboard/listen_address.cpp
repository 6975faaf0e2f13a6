#include "listen_address.hpp"

#include <arpa/inet.h>

#include <charconv>

#include <fmt/format.h>

namespace duroxide::dashboard {

namespace {

bool is_ipv6(std::string_view host) { return host.find(':') != std::string_view::npos; }

}  // namespace

std::string ListenAddress::to_string() const {
  return is_ipv6(host) ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

std::expected<ListenAddress, std::string> parse_listen_address(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return std::unexpected(
        fmt::format("bad listen address '{}': {} (expected HOST:PORT, e.g. 127.0.0.1:8080)", text, why));
  };
  std::string_view host;
  std::string_view port;
  if (text.starts_with("[")) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return bad("an IPv6 host without its closing ']'");
    host = text.substr(1, close - 1);
    if (close + 1 >= text.size() || text[close + 1] != ':') return bad("no ':PORT' after the IPv6 host");
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("no ':PORT'");
    host = text.substr(0, colon);
    if (is_ipv6(host)) return bad("an IPv6 host must be in brackets, e.g. [::1]:8080");
    port = text.substr(colon + 1);
  }
  if (host.empty()) return bad("no host");
  unsigned value = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || error != std::errc() || end != port.data() + port.size() || value > 65535) {
    return bad("the port must be a number from 0 to 65535");
  }
  return ListenAddress{std::string(host), static_cast<std::uint16_t>(value)};
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  const std::string text(host);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

std::optional<std::string> listen_policy_problem(const ListenAddress& address, std::string_view token) {
  if (is_loopback_host(address.host) || !token.empty()) return std::nullopt;
  return fmt::format(
      "refusing to listen on {} without a token: every machine that can reach it could read the store. Pass "
      "--token TOKEN or set DUROXIDE_DASHBOARD_TOKEN, or listen on 127.0.0.1",
      address.to_string());
}

}  // namespace duroxide::dashboard
