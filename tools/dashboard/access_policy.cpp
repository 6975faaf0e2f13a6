#include "access_policy.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

#include <fmt/format.h>

namespace duroxide::dashboard {

namespace {

/// Compares in time that depends on the lengths only, so that timing does not reveal how much of a
/// guessed token was right.
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return difference == 0;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), text.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

/// "application/json", in any case, with or without parameters ("; charset=utf-8").
bool is_json_media_type(std::string_view content_type) {
  const auto type = content_type.substr(0, content_type.find(';'));
  const auto end = type.find_last_not_of(" \t");
  return end != std::string_view::npos && end + 1 == std::string_view("application/json").size() &&
         starts_with_ignoring_case(type, "application/json");
}

/// The token of an "Authorization: Bearer TOKEN" header, if the request has one.
std::optional<std::string> bearer_token(const httplib::Request& request) {
  if (!request.has_header("Authorization")) return std::nullopt;
  const auto value = request.get_header_value("Authorization");
  constexpr std::string_view kScheme = "Bearer ";
  if (!starts_with_ignoring_case(value, kScheme)) return std::nullopt;
  return value.substr(kScheme.size());
}

bool has_token(const AccessPolicy& policy, const httplib::Request& request, RequestKind kind) {
  if (const auto token = bearer_token(request); token && same_secret(*token, policy.token)) return true;
  return kind == RequestKind::Page && request.has_param("token") &&
         same_secret(request.get_param_value("token"), policy.token);
}

}  // namespace

AccessPolicy make_access_policy(const ListenAddress& bound, std::string token, bool allow_writes) {
  AccessPolicy policy{std::move(token), allow_writes, {}};
  if (is_loopback_host(bound.host)) {
    // What a browser on this machine sends as Host for the loopback interface's names; the port is
    // left out only when it is the default one.
    const auto bound_name = bound.host.find(':') == std::string::npos ? bound.host : "[" + bound.host + "]";
    for (const auto& name : {std::string("127.0.0.1"), std::string("localhost"), std::string("[::1]"), bound_name}) {
      policy.allowed_hosts.push_back(fmt::format("{}:{}", name, bound.port));
      if (bound.port == 80) policy.allowed_hosts.push_back(name);
    }
  }
  return policy;
}

std::optional<Refusal> check_access(const AccessPolicy& policy, const httplib::Request& request, RequestKind kind) {
  const auto host = request.get_header_value("Host");
  if (!policy.allowed_hosts.empty() &&
      std::find(policy.allowed_hosts.begin(), policy.allowed_hosts.end(), host) == policy.allowed_hosts.end()) {
    return Refusal{403, fmt::format("unexpected Host header '{}': this dashboard answers only to {}", host,
                                    policy.allowed_hosts.front())};
  }
  if (!policy.token.empty() && !has_token(policy, request, kind)) {
    return Refusal{401, kind == RequestKind::Page
                            ? "this dashboard needs its token: open it as /?token=TOKEN"
                            : "this dashboard needs its token: send the header 'Authorization: Bearer TOKEN'"};
  }
  if (kind != RequestKind::Write) return std::nullopt;
  if (!policy.allow_writes) {
    return Refusal{403,
                   "this dashboard is read-only: start it with --allow-writes to raise events, cancel, terminate, "
                   "suspend, resume and rewind, and to create, pause, resume and delete schedules"};
  }
  if (request.has_header("Origin") && request.get_header_value("Origin") != "http://" + host) {
    return Refusal{403,
                   fmt::format("a write from another origin ('{}') is refused", request.get_header_value("Origin"))};
  }
  if (!is_json_media_type(request.get_header_value("Content-Type"))) {
    return Refusal{415, "a write must send its body as JSON (Content-Type: application/json)"};
  }
  return std::nullopt;
}

}  // namespace duroxide::dashboard
