// Logging setup shared by the daemons and tools: spdlog to stderr with a
// level taken from flags or ZFLEET_LOG_LEVEL.
#pragma once

#include <string>

#include <spdlog/spdlog.h>

namespace zfleet {

// `level` is one of trace, debug, info, warn, error, critical, off; empty
// reads ZFLEET_LOG_LEVEL, then falls back to info. `name` prefixes each line.
void setup_logging(const std::string& name, const std::string& level);

}  // namespace zfleet
