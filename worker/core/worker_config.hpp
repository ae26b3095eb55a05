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
  // Tasks without a timeout get this one; 0: they run for ever.
  // parse_worker_config() defaults it to 1 h (kDefaultTimeoutMs).
  std::uint64_t default_timeout_ms = 0;
  std::uint64_t grace_ms = 5000;  // SIGTERM -> SIGKILL for tasks without grace_ms
  std::uint64_t drain_timeout_ms = 30000;
  std::string work_dir;    // default: $TMPDIR (or /tmp)/zfleet-worker/<id>
  std::string state_file;  // running children, for the next life; default: <work_dir>/worker-state
  std::string log_level;

  // Confinement (docs/sandbox.md).
  std::string policy_file;               // JSON; empty: the built-in policy
  bool sandbox = true;                   // false: children run unconfined (trusted work only)
  std::uint32_t task_uid_base = 200000;  // root: each attempt runs as a uid of its own
  std::uint32_t task_uid_count = 0;      // 0: 4 x max_slots; 0 after start-up: "nobody"
  // Ceilings on every task (default_limits.hpp): "auto" (worked out at
  // start), "off", or a value. The policy file's memory_bytes, cpu_seconds
  // and processes replace them.
  std::string default_memory = "auto";       // bytes; K, M, G suffixes
  std::string default_cpu_seconds = "auto";  // auto: as long as the default timeout
  std::string default_processes = "auto";    // auto: 512

  // Task types served by helper children; empty paths: next to this binary.
  std::string modules_dir;  // empty: module tasks are refused
  std::string module_runner;
  std::string http_fetch;
  std::uint32_t module_max_tasks = 1000;  // a runner is recycled after this many tasks
  std::uint64_t module_max_rss_mb = 256;  // ... or once its memory reaches this

  // Adaptive slots: `slots` moves between these (both 0: fixed at --slots).
  std::uint32_t min_slots = 0;
  std::uint32_t max_slots = 0;
  std::uint64_t min_mem_available_mb = 0;  // refuse to grow below this (0: off)
  double max_load_per_core = 0;            // refuse to grow above this (0: off)
  std::uint64_t output_flush_ms = 100;     // live output is sent at most this often
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
