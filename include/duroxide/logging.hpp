// Setting up duroxide's logs without a runtime (docs/runtime-features.md, "Logs").
#pragma once

#include <duroxide/runtime_options.hpp>

namespace duroxide {

/// Sets up duroxide's loggers with `config`'s log_format, log_level and log_sink, for a process
/// that uses a store or a Client before, or without, starting a runtime (a tool, a service that
/// only starts orchestrations). Logging is set up once per process: the first call of this or the
/// first Runtime::start wins, and later ones keep it. True when this call set them up.
bool configure_logging(const ObservabilityConfig& config);

}  // namespace duroxide
