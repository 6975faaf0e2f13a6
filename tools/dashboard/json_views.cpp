#include "json_views.hpp"

namespace duroxide::dashboard {

Json instance_row_json(const InstanceInfo& info) { return tools::instance_info_json(info, false); }

Json instance_page_json(const InstancePage& page) {
  Json rows = Json::array();
  for (const auto& info : page.instances) rows.push_back(instance_row_json(info));
  return Json{{"instances", std::move(rows)}, {"next_cursor", optional_string(page.next_cursor)}};
}

}  // namespace duroxide::dashboard
