// A minimal HTTP/1.1 client for tests of the runtime's /metrics endpoint: one GET per connection
// (Connection: close), read to the end, status, headers and body returned as they came. Plain
// sockets, so the tests see the bytes on the wire and need no HTTP library.
#pragma once

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <duroxide/result.hpp>

namespace duroxide::testing {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  ///< names in lower case
  std::string body;

  std::string header(const std::string& lower_case_name) const {
    auto it = headers.find(lower_case_name);
    return it == headers.end() ? "" : it->second;
  }
};

namespace detail {

/// "host:port" or "[v6]:port" split; "0.0.0.0" and "::" (every interface) are reached on loopback.
inline std::pair<std::string, std::string> split_host_port(const std::string& address) {
  const auto colon = address.rfind(':');
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  return {host, address.substr(colon + 1)};
}

inline Result<HttpResponse> parse_response(const std::string& raw) {
  const auto head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return Err(fmt::format("no complete response head in: {}", raw));
  HttpResponse response;
  response.body = raw.substr(head_end + 4);
  std::size_t line_start = 0;
  bool first = true;
  while (line_start < head_end) {
    auto line_end = raw.find("\r\n", line_start);
    const std::string line = raw.substr(line_start, line_end - line_start);
    line_start = line_end + 2;
    if (first) {
      first = false;
      if (line.rfind("HTTP/1.", 0) != 0 || line.size() < 12) return Err("bad status line: " + line);
      response.status = std::stoi(line.substr(9, 3));
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string::npos) return Err("bad header line: " + line);
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    response.headers[name] = value;
  }
  return response;
}

}  // namespace detail

/// GET `path` from `address` ("host:port") with `headers`; an error (connection refused, say)
/// names what failed. Reads time out after 10 s, so a server that never answers fails the test.
inline Result<HttpResponse> http_get(const std::string& address, const std::string& path,
                                     const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  const auto [host, port] = detail::split_host_port(address);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int error = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); error != 0) {
    return Err(fmt::format("getaddrinfo({}): {}", address, gai_strerror(error)));
  }
  const int fd = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  const int connected = fd < 0 ? -1 : connect(fd, found->ai_addr, found->ai_addrlen);
  const int connect_errno = errno;
  freeaddrinfo(found);
  if (connected != 0) {
    if (fd >= 0) close(fd);
    return Err(fmt::format("connect to {}: {}", address, std::strerror(connect_errno)));
  }
  timeval timeout{10, 0};
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string request = fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", path, address);
  for (const auto& [name, value] : headers) request += fmt::format("{}: {}\r\n", name, value);
  request += "\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return Err(fmt::format("send to {}: {}", address, std::strerror(errno)));
  }
  std::string raw;
  char buffer[4096];
  for (;;) {
    const ssize_t got = recv(fd, buffer, sizeof buffer, 0);
    if (got == 0) break;
    if (got < 0) {
      const int error = errno;
      close(fd);
      return Err(fmt::format("recv from {}: {}", address, std::strerror(error)));
    }
    raw.append(buffer, static_cast<std::size_t>(got));
  }
  close(fd);
  return detail::parse_response(raw);
}

}  // namespace duroxide::testing
