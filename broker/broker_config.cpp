// zfleet-broker's command line, environment and config file; see broker_config.hpp.
#include "broker/broker_config.hpp"

#include <cstdlib>

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
  app.add_option("--events", c.events_endpoint,
                 "ZeroMQ endpoint of the events PUB socket (empty: no events)")
      ->envname("ZFLEET_BROKER_EVENTS")
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
  app.add_option("--retention-count", c.settings.retention_count,
                 "Finished tasks kept for status/result queries (oldest pruned first)")
      ->envname("ZFLEET_BROKER_RETENTION_COUNT")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--retention-age-ms", c.settings.retention_age_ms,
                 "Finished tasks older than this are pruned")
      ->envname("ZFLEET_BROKER_RETENTION_AGE_MS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--idempotency-window-ms", c.settings.idempotency_window_ms,
                 "How long a submit's idempotency key is remembered")
      ->envname("ZFLEET_BROKER_IDEMPOTENCY_WINDOW_MS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-attempts", c.settings.retry_defaults.max_attempts,
                 "Default attempts per task, the first included")
      ->envname("ZFLEET_BROKER_MAX_ATTEMPTS")
      ->check(CLI::Range(1U, proto::kMaxAttempts))
      ->capture_default_str();
  app.add_option("--backoff-ms", c.settings.retry_defaults.backoff_ms,
                 "Default delay before a retry; doubles each time, jittered")
      ->envname("ZFLEET_BROKER_BACKOFF_MS")
      ->capture_default_str();
  app.add_option("--backoff-max-ms", c.settings.retry_defaults.backoff_max_ms,
                 "Default cap on the retry delay")
      ->envname("ZFLEET_BROKER_BACKOFF_MAX_MS")
      ->capture_default_str();
  app.add_option("--retry-on", c.settings.retry_defaults.retry_on,
                 "Default endings that are retried: exit, signal, timeout, lost, error")
      ->envname("ZFLEET_BROKER_RETRY_ON")
      ->delimiter(',')
      ->check(CLI::IsMember({"exit", "signal", "timeout", "lost", "error"}))
      ->capture_default_str();
  c.data_dir = default_data_dir();
  app.add_option("--data-dir", c.data_dir, "Directory of the journal")
      ->envname("ZFLEET_BROKER_DATA_DIR")
      ->capture_default_str();
  app.add_option("--journal", c.journal_path, "Journal file (default: DATA_DIR/journal.db)")
      ->envname("ZFLEET_BROKER_JOURNAL");
  app.add_option("--durability", c.durability,
                 "full (fsync per commit), normal (survives a broker crash, not a host crash), "
                 "off (memory only)")
      ->envname("ZFLEET_BROKER_DURABILITY")
      ->check(CLI::IsMember({"full", "normal", "off"}))
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
  if (c.journal_path.empty()) c.journal_path = c.data_dir + "/journal.db";
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

std::string default_data_dir() {
  if (const char* dir = std::getenv("ZFLEET_DATA_DIR"); dir != nullptr && *dir != '\0') return dir;
  if (const char* state = std::getenv("XDG_STATE_HOME"); state != nullptr && *state != '\0') {
    return std::string(state) + "/zfleet";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::string(home) + "/.local/state/zfleet";
  }
  return "/var/lib/zfleet";
}

}  // namespace zfleet::broker
