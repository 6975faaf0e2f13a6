#pragma once
// An instance with its current execution, as the management reads return it: the SELECT (append a
// WHERE clause) and the decoding of its row. Used by get_instance_info and the listing.
#include <string_view>

#include <duroxide/provider_types.hpp>

#include "providers/sqlite/sqlite_statement.hpp"

namespace duroxide::sqlite_detail {

inline constexpr std::string_view kInstanceInfoSelect =
    "SELECT i.instance_id, i.orchestration_name, i.orchestration_version, i.current_execution_id, e.status, "
    "e.output, i.created_at, i.updated_at, i.parent_instance_id FROM instances i LEFT JOIN executions e ON "
    "e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id";

InstanceInfo instance_info_row(const sqlite::Statement& stmt);

}  // namespace duroxide::sqlite_detail
