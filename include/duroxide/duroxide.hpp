// The umbrella header: include this to use duroxide-cpp.
#pragma once

#include <duroxide/action.hpp>
#include <duroxide/codec.hpp>
#include <duroxide/constants.hpp>
#include <duroxide/error_details.hpp>
#include <duroxide/event.hpp>
#include <duroxide/orchestration_status.hpp>
#include <duroxide/provider.hpp>
#include <duroxide/provider_types.hpp>
#include <duroxide/result.hpp>
#include <duroxide/retry_policy.hpp>
#include <duroxide/semver.hpp>
#include <duroxide/wire.hpp>
#include <duroxide/work_item.hpp>
// Orchestration authoring: Task, DurableFuture, join/select, OrchestrationContext.
#include <duroxide/composition.hpp>
#include <duroxide/durable_future.hpp>
#include <duroxide/orchestration_context.hpp>
#include <duroxide/task.hpp>

#include <duroxide/activity_context.hpp>
#include <duroxide/client.hpp>
#include <duroxide/instrumented_provider.hpp>
#include <duroxide/kv_entry.hpp>
#include <duroxide/logging.hpp>
#include <duroxide/metrics.hpp>
#include <duroxide/open_store.hpp>
#include <duroxide/payload_limits.hpp>
#include <duroxide/postgres_provider.hpp>
#include <duroxide/registry.hpp>
#include <duroxide/runtime.hpp>
#include <duroxide/runtime_health.hpp>
#include <duroxide/runtime_options.hpp>
#include <duroxide/schedule_spec.hpp>
#include <duroxide/schedules.hpp>
#include <duroxide/sqlite_provider.hpp>
#include <duroxide/tag_filter.hpp>
#include <duroxide/tracing.hpp>
#include <duroxide/utf8.hpp>
