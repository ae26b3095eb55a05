// WorkerConfig: the worker daemon's settings, from flags, ZFLEET_WORKER_<FLAG>
// environment variables and an optional INI/TOML file (--config), in that
// order of precedence. parse_worker_config() is start-up code: it may print
// help or an error and asks the caller to exit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/protocol.hpp"

namespace zfleet::worker {

struct WorkerConfig {
  std::string broker = std::string(proto::kDefaultWorkerEndpoint);
  std::uint32_t slots = 1;  // parse_worker_config() defaults it to the core count
  std::string id;           // default: <hostname>-<pid>
  std::vector<std::string> labels;
  std::uint32_t heartbeat_ms = proto::kDefaultHeartbeatMs;
  std::uint64_t default_timeout_ms = 0;  // 0: tasks without a timeout run for ever
  std::uint64_t grace_ms = 5000;         // SIGTERM -> SIGKILL for tasks without grace_ms
  std::uint64_t drain_timeout_ms = 30000;
  std::string work_dir;    // default: $TMPDIR (or /tmp)/zfleet-worker/<id>
  std::string state_file;  // running children, for the next life; default: <work_dir>/worker-state
  std::string log_level;
};

struct ParsedConfig {
  std::optional<WorkerConfig> config;  // empty: exit with `exit_code`
  int exit_code = 0;
};

ParsedConfig parse_worker_config(int argc, const char* const* argv);

// A worker id from a host name and pid, limited to the protocol's name rules.
std::string default_worker_id(const std::string& hostname, long pid);
bool valid_worker_id(const std::string& id);

}  // namespace zfleet::worker
