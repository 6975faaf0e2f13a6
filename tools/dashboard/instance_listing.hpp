// Listing instances a page at a time (docs/dashboard.md, "The JSON API"). The only place the
// dashboard lists instances: when the store-side paginated listing lands in the public API
// (Client::list_instances_page, issue #15 item 2), list_page calls it and these types go.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <duroxide/client.hpp>

namespace duroxide::dashboard {

/// Which instances, and which page of them. Mirrors the public API's coming InstanceQuery.
struct InstanceQuery {
  std::optional<ExecutionStatus> status;
  std::optional<std::string> orchestration_name;
  std::optional<std::uint64_t> created_from_ms;   ///< created at or after
  std::optional<std::uint64_t> created_until_ms;  ///< created before
  std::optional<std::string> cursor;              ///< a page's next_cursor: the page after it
  std::size_t limit = 50;
};

/// One page, newest first; next_cursor is set when more instances follow.
struct InstancePage {
  std::vector<InstanceInfo> instances;
  std::optional<std::string> next_cursor;
};

/// The page of instances `query` asks for. For now over list_all_instances /
/// list_instances_by_status (the store gives ids newest first) and one get_instance_info per
/// instance examined; the cursor is the id of the last instance of the previous page. A cursor
/// whose instance has since been deleted is an InvalidInput error.
ClientResult<InstancePage> list_page(const Client& client, const InstanceQuery& query);

}  // namespace duroxide::dashboard
