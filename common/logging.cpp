// Logging setup; see logging.hpp.
#include "common/logging.hpp"

#include <cstdlib>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace zfleet {

void setup_logging(const std::string& name, const std::string& level) {
  std::string chosen = level;
  if (chosen.empty()) {
    const char* env = std::getenv("ZFLEET_LOG_LEVEL");
    chosen = env != nullptr ? env : "info";
  }
  auto logger = spdlog::stderr_color_mt(name);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  logger->set_level(spdlog::level::from_str(chosen));
  spdlog::set_default_logger(logger);
}

}  // namespace zfleet
