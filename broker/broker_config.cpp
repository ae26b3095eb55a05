// zfleet-broker's command line, environment and config file; see broker_config.hpp.
#include "broker/broker_config.hpp"

#include <CLI/CLI.hpp>

namespace zfleet::broker {

namespace {

bool parse_limit(const std::string& text, std::pair<std::string, std::uint32_t>& out) {
  const auto eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0) return false;
  try {
    std::size_t used = 0;
    const unsigned long n = std::stoul(text.substr(eq + 1), &used);
    if (used != text.size() - eq - 1 || n > proto::kMaxProjectLimit) return false;
    out = {text.substr(0, eq), static_cast<std::uint32_t>(n)};
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

std::optional<BrokerConfig> parse_broker_config(int argc, char** argv, int& exit_code) {
  BrokerConfig c;
  std::uint32_t heartbeat_ms = proto::kDefaultHeartbeatMs;
  std::vector<std::string> limits;
  CLI::App app{"zfleet-broker: owns the task queue and hands tasks to zfleet-worker daemons."};
  app.set_config("--config", "", "Read settings from this INI/TOML file");
  app.add_option("--clients", c.clients_endpoint, "ZeroMQ endpoint for producers and zfleetctl")
      ->envname("ZFLEET_BROKER_CLIENTS")
      ->capture_default_str();
  app.add_option("--workers", c.workers_endpoint, "ZeroMQ endpoint for workers")
      ->envname("ZFLEET_BROKER_WORKERS")
      ->capture_default_str();
  app.add_option("--heartbeat-ms", heartbeat_ms, "Heartbeat interval; 3 missed = worker lost")
      ->envname("ZFLEET_BROKER_HEARTBEAT_MS")
      ->check(CLI::Range(proto::kMinHeartbeatMs, proto::kMaxHeartbeatMs))
      ->capture_default_str();
  app.add_option("--default-limit", c.settings.default_limit,
                 "Concurrency limit of each project (0 = unlimited)")
      ->envname("ZFLEET_BROKER_DEFAULT_LIMIT")
      ->capture_default_str();
  app.add_option("--limit", limits, "PROJECT=N: concurrency limit of one project (repeatable)")
      ->envname("ZFLEET_BROKER_LIMIT");
  app.add_option("--max-tasks", c.settings.max_tasks, "Unfinished tasks held before QUEUE_FULL")
      ->envname("ZFLEET_BROKER_MAX_TASKS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--result-retention", c.settings.result_retention,
                 "Finished tasks kept for status/result queries")
      ->envname("ZFLEET_BROKER_RESULT_RETENTION")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--ready-file", c.ready_file,
                 "Write the bound endpoints here once listening (clients=..., workers=...)")
      ->envname("ZFLEET_BROKER_READY_FILE");
  app.add_option("--log-level", c.log_level, "trace, debug, info, warn, error")
      ->envname("ZFLEET_BROKER_LOG_LEVEL");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    exit_code = app.exit(e);
    return std::nullopt;
  }
  c.settings.heartbeat = Millis{heartbeat_ms};
  for (const auto& text : limits) {
    std::pair<std::string, std::uint32_t> limit;
    if (!parse_limit(text, limit)) {
      std::fprintf(stderr, "zfleet-broker: --limit expects PROJECT=N, got '%s'\n", text.c_str());
      exit_code = 2;
      return std::nullopt;
    }
    c.settings.limits.push_back(limit);
  }
  return c;
}

}  // namespace zfleet::broker
