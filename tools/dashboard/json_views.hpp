// The JSON documents of the API (docs/dashboard.md, "The JSON API"): the store's values as the
// command-line tool writes them too (tools/common/store_json.hpp), and the listing's pages.
#pragma once

#include <duroxide/provider_types.hpp>

#include "http_response.hpp"
#include "store_json.hpp"

namespace duroxide::dashboard {

using tools::error_json;
using tools::events_json;
using tools::execution_json;
using tools::kv_json;
using tools::metrics_json;
using tools::optional_string;
using tools::queue_depths_json;
using tools::status_fields_json;
using tools::status_text;

/// An instance's row in a list: id, name, version, status, current execution, times, parent.
Json instance_row_json(const InstanceInfo& info);

/// {"instances": [rows], "next_cursor": the store's cursor or null}.
Json instance_page_json(const InstancePage& page);

}  // namespace duroxide::dashboard
