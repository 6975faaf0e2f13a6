#include "runtime/listen_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace duroxide::runtime {

namespace {

bool is_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<std::uint16_t> parse_port(std::string_view text, std::string_view whole) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (!is_digits(text) || error != std::errc{} || end != text.data() + text.size() || value > 65535) {
    return Err(fmt::format("'{}': the port must be a number from 0 to 65535", whole));
  }
  return static_cast<std::uint16_t>(value);
}

/// Letters, digits, '.', '-' and '_': host names and IPv4 addresses.
bool is_host_name(std::string_view host) {
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
           c == '_';
  });
}

bool is_ipv6_literal(const std::string& host) {
  in6_addr address{};
  return inet_pton(AF_INET6, host.c_str(), &address) == 1;
}

}  // namespace

bool ListenAddress::is_loopback() const {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

std::string ListenAddress::to_string() const {
  if (is_ipv6_literal(host)) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

Result<ListenAddress> parse_listen_address(std::string_view text) {
  const auto usage = [&](std::string_view why) {
    return Err(fmt::format("'{}': {}; expected PORT, HOST:PORT or [IPv6]:PORT, e.g. 127.0.0.1:9464", text, why));
  };
  if (text.empty()) return usage("empty");
  if (is_digits(text)) {
    auto port = parse_port(text, text);
    if (!port) return std::unexpected(port.error());
    return ListenAddress{"127.0.0.1", *port};
  }
  std::string host;
  std::string_view port_text;
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return usage("an IPv6 address is written [ADDRESS]:PORT");
    }
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
    if (!is_ipv6_literal(host)) return usage(fmt::format("'{}' is not an IPv6 address", host));
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return usage("no port");
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (host.empty()) return usage("no host (give 127.0.0.1, or 0.0.0.0 for every interface)");
    if (host.find(':') != std::string::npos) return usage("an IPv6 address is written [ADDRESS]:PORT");
    if (!is_host_name(host)) return usage(fmt::format("'{}' is not a host name or an IPv4 address", host));
  }
  auto port = parse_port(port_text, text);
  if (!port) return std::unexpected(port.error());
  return ListenAddress{std::move(host), *port};
}

}  // namespace duroxide::runtime
