// How the dashboard answers: JSON documents, and errors as {"error": "..."} with the status code
// that says what went wrong (docs/dashboard.md, "The JSON API").
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace duroxide::dashboard {

using Json = nlohmann::ordered_json;

/// Stops a request: the route's wrapper answers `status` with {"error": message}.
class HttpError : public std::runtime_error {
 public:
  HttpError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

/// Answers `status` with `document` (bytes that are not UTF-8, which the store never holds, would
/// become U+FFFD).
void send_json(httplib::Response& response, int status, const Json& document);

/// Answers `status` with {"error": message}.
void send_error(httplib::Response& response, int status, std::string_view message);

}  // namespace duroxide::dashboard
