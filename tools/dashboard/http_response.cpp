#include "http_response.hpp"

namespace duroxide::dashboard {

void send_json(httplib::Response& response, int status, const Json& document) {
  response.status = status;
  response.set_content(document.dump(-1, ' ', false, Json::error_handler_t::replace),
                       "application/json; charset=utf-8");
}

void send_error(httplib::Response& response, int status, std::string_view message) {
  send_json(response, status, Json{{"error", std::string(message)}});
}

}  // namespace duroxide::dashboard
