// Flag, environment and file parsing for zfleet-worker; see worker_config.hpp.
#include "worker/core/worker_config.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include <CLI/CLI.hpp>

#include "worker/policy/default_limits.hpp"

namespace zfleet::worker {

namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == ':' || c == '@';
}

std::string host_name() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0) return "worker";
  return buffer;
}

}  // namespace

bool valid_worker_id(const std::string& id) {
  return !id.empty() && id.size() <= proto::kMaxNameBytes &&
         std::all_of(id.begin(), id.end(), name_char);
}

std::string default_worker_id(const std::string& hostname, long pid) {
  const std::string suffix = "-" + std::to_string(pid);
  std::string host = hostname.empty() ? "worker" : hostname;
  std::replace_if(
      host.begin(), host.end(), [](char c) { return !name_char(c); }, '-');
  host.resize(std::min(host.size(), proto::kMaxNameBytes - suffix.size()));
  return host + suffix;
}

ParsedConfig parse_worker_config(int argc, const char* const* argv) {
  WorkerConfig c;
  c.slots = std::clamp<std::uint32_t>(std::thread::hardware_concurrency(), 1, proto::kMaxSlots);
  c.default_timeout_ms = kDefaultTimeoutMs;
  CLI::App app{"zfleet-worker: runs tasks from a zfleet broker in child processes"};
  app.set_version_flag("--version", ZFLEET_VERSION);
  app.set_config("--config", "", "read settings from an INI or TOML file")
      ->envname("ZFLEET_WORKER_CONFIG");
  auto env = [](const char* flag) { return std::string("ZFLEET_WORKER_") + flag; };
  app.add_option("--broker", c.broker, "the broker's worker endpoint")
      ->envname(env("BROKER"))
      ->capture_default_str();
  app.add_option("--slots", c.slots, "tasks run at once (default: number of cores)")
      ->envname(env("SLOTS"))
      ->check(CLI::Range(1U, proto::kMaxSlots))
      ->capture_default_str();
  app.add_option("--id", c.id, "worker id (default: <hostname>-<pid>)")->envname(env("ID"));
  app.add_option("--label", c.labels, "a label the broker can match tasks on (repeatable)")
      ->envname(env("LABEL"))
      ->delimiter(',');
  app.add_option("--heartbeat-ms", c.heartbeat_ms, "heartbeat interval until the broker sets one")
      ->envname(env("HEARTBEAT_MS"))
      ->check(CLI::Range(proto::kMinHeartbeatMs, proto::kMaxHeartbeatMs))
      ->capture_default_str();
  app.add_option("--default-timeout-ms", c.default_timeout_ms,
                 "timeout of tasks that set none (0: none)")
      ->envname(env("DEFAULT_TIMEOUT_MS"))
      ->check(CLI::Range(std::uint64_t{0}, proto::kMaxTimeoutMs))
      ->capture_default_str();
  // A setting is checked here, so a typo stops the worker at start.
  auto limit_check = [](bool size) {
    return CLI::Validator(
        [size](std::string& text) -> std::string {
          const auto setting = parse_limit_setting(text, size);
          if (!setting) return "must be auto, off or " + std::string(size ? "a size" : "a number");
          if (!size && setting->value > 1'000'000'000) return "must be at most 1000000000";
          return {};
        },
        size ? "auto|off|SIZE" : "auto|off|N");
  };
  app.add_option("--default-memory", c.default_memory,
                 "memory ceiling of every task: auto (memory available / slots, 256 MiB-4 GiB), "
                 "off, or a size such as 512M")
      ->envname(env("DEFAULT_MEMORY"))
      ->check(limit_check(true))
      ->capture_default_str();
  app.add_option("--default-cpu-seconds", c.default_cpu_seconds,
                 "CPU time ceiling of every task: auto (the default timeout), off, or seconds")
      ->envname(env("DEFAULT_CPU_SECONDS"))
      ->check(limit_check(false))
      ->capture_default_str();
  app.add_option("--default-processes", c.default_processes,
                 "processes of every task at once (cgroup pids.max): auto (512), off, or a number")
      ->envname(env("DEFAULT_PROCESSES"))
      ->check(limit_check(false))
      ->capture_default_str();
  app.add_option("--grace-ms", c.grace_ms, "SIGTERM to SIGKILL delay for tasks that set none")
      ->envname(env("GRACE_MS"))
      ->check(CLI::Range(std::uint64_t{0}, proto::kMaxTimeoutMs))
      ->capture_default_str();
  app.add_option("--drain-timeout-ms", c.drain_timeout_ms,
                 "on SIGTERM, how long running tasks may finish before they are stopped")
      ->envname(env("DRAIN_TIMEOUT_MS"))
      ->check(CLI::Range(std::uint64_t{0}, proto::kMaxTimeoutMs))
      ->capture_default_str();
  app.add_option("--work-dir", c.work_dir,
                 "parent of the tasks' private directories (default: $TMPDIR/zfleet-worker/<id>)")
      ->envname(env("WORK_DIR"));
  app.add_option("--state-file", c.state_file,
                 "where running children are recorded, so a restarted worker can end those of "
                 "its previous life (default: <work-dir>/worker-state)")
      ->envname(env("STATE_FILE"));
  app.add_option("--log-level", c.log_level, "trace, debug, info, warn, error, critical, off")
      ->envname(env("LOG_LEVEL"))
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_option("--policy", c.policy_file,
                 "sandbox policy file (JSON): limits, layers, per-project overrides")
      ->envname(env("POLICY"));
  app.add_option_function<std::string>(
         "--sandbox", [&c](const std::string& v) { c.sandbox = v == "on"; },
         "on (default) or off: run children unconfined, for trusted work only")
      ->envname(env("SANDBOX"))
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--task-uid-base", c.task_uid_base,
                 "as root, attempts run as uids from here up, one each")
      ->envname(env("TASK_UID_BASE"))
      ->capture_default_str();
  app.add_option("--task-uid-count", c.task_uid_count, "size of that range (default: 4 x slots)")
      ->envname(env("TASK_UID_COUNT"));
  app.add_option("--modules-dir", c.modules_dir, "directory of module plugins (<name>.so)")
      ->envname(env("MODULES_DIR"));
  app.add_option("--module-runner", c.module_runner, "the zfleet-module-runner binary")
      ->envname(env("MODULE_RUNNER"));
  app.add_option("--http-fetch", c.http_fetch, "the zfleet-http-fetch binary")
      ->envname(env("HTTP_FETCH"));
  app.add_option("--module-max-tasks", c.module_max_tasks, "tasks a module runner serves")
      ->envname(env("MODULE_MAX_TASKS"))
      ->check(CLI::Range(1U, 10'000'000U))
      ->capture_default_str();
  app.add_option("--module-max-rss-mb", c.module_max_rss_mb,
                 "a module runner at this resident size is recycled")
      ->envname(env("MODULE_MAX_RSS_MB"))
      ->capture_default_str();
  app.add_option("--min-slots", c.min_slots, "adaptive slots: the fewest")
      ->envname(env("MIN_SLOTS"))
      ->check(CLI::Range(0U, proto::kMaxSlots));
  app.add_option("--max-slots", c.max_slots, "adaptive slots: the most")
      ->envname(env("MAX_SLOTS"))
      ->check(CLI::Range(0U, proto::kMaxSlots));
  app.add_option("--min-mem-available-mb", c.min_mem_available_mb,
                 "adaptive slots: do not grow while the host has less memory available")
      ->envname(env("MIN_MEM_AVAILABLE_MB"));
  app.add_option("--max-load-per-core", c.max_load_per_core,
                 "adaptive slots: do not grow while the 1-minute load per core is above this")
      ->envname(env("MAX_LOAD_PER_CORE"));
  app.add_option("--output-flush-ms", c.output_flush_ms, "live output is sent this often")
      ->envname(env("OUTPUT_FLUSH_MS"))
      ->check(CLI::Range(std::uint64_t{10}, std::uint64_t{60'000}))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
    if (c.min_slots != 0 || c.max_slots != 0) {
      if (c.min_slots == 0) c.min_slots = 1;
      if (c.max_slots == 0) c.max_slots = std::max(c.min_slots, c.slots);
      if (c.min_slots > c.max_slots) {
        throw CLI::ValidationError("--min-slots", "must not exceed --max-slots");
      }
      c.slots = std::clamp(c.slots, c.min_slots, c.max_slots);
    }
    if (c.task_uid_count == 0) c.task_uid_count = 4 * std::max(c.slots, c.max_slots);
    if (c.id.empty()) c.id = default_worker_id(host_name(), static_cast<long>(::getpid()));
    if (!valid_worker_id(c.id)) {
      throw CLI::ValidationError("--id", "must be 1-64 characters of [A-Za-z0-9._:@-]");
    }
    if (c.labels.size() > proto::kMaxLabels) {
      throw CLI::ValidationError("--label", "at most " + std::to_string(proto::kMaxLabels));
    }
    for (const auto& label : c.labels) {
      if (label.empty() || label.size() > proto::kMaxLabelBytes) {
        throw CLI::ValidationError("--label", "labels are 1-128 bytes");
      }
    }
  } catch (const CLI::ParseError& e) {
    return {std::nullopt, app.exit(e)};
  }
  if (c.work_dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    c.work_dir =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/zfleet-worker/" + c.id;
  }
  if (c.state_file.empty()) c.state_file = c.work_dir + "/worker-state";
  return {std::move(c), 0};
}

}  // namespace zfleet::worker
