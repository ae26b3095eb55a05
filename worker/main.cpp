// zfleet-worker: wires configuration, logging, signals and the reactor.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <exception>

#include <spdlog/spdlog.h>

#include "common/clock.hpp"
#include "common/logging.hpp"
#include "worker/core/reactor.hpp"
#include "worker/core/signal_source.hpp"
#include "worker/core/worker_config.hpp"
#include "worker/policy/default_limits.hpp"
#include "worker/policy/host_memory.hpp"
#include "worker/policy/worker_policy.hpp"
#include "worker/sandbox/cgroup.hpp"
#include "worker/sandbox/child_process.hpp"
#include "worker/sandbox/helper_locator.hpp"
#include "worker/sandbox/host_capabilities.hpp"
#include "worker/sandbox/uid_pool.hpp"
#include "worker/task_kinds.hpp"

namespace {

// Children get fds 0-2 by dup2(); if one of them were closed here, a pipe
// could land on it and dup2 onto itself would leave it close-on-exec.
void ensure_standard_fds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0) {
      const int opened = ::open("/dev/null", O_RDWR);
      if (opened >= 0 && opened != fd) ::close(opened);
    }
  }
}

// An unset helper path defaults to the one built with this worker, if found
// (beside it, or in the install's helper directory: helper_locator.hpp).
void default_helper(std::string& path, const char* name) {
  if (path.empty()) path = zfleet::worker::find_own_helper(name);
}

// The ceilings every task gets unless the policy file names its own.
zfleet::worker::DefaultLimits default_limits(const zfleet::worker::WorkerConfig& config) {
  namespace w = zfleet::worker;
  const w::HostMemory memory = w::read_host_memory();
  w::DefaultLimitInputs in;
  in.mem_available_bytes = memory.available_bytes;
  in.cgroup_limit_bytes = memory.cgroup_limit_bytes;
  in.slots = std::max(config.slots, config.max_slots);
  // parse_worker_config() checked each setting.
  in.memory = w::parse_limit_setting(config.default_memory, true).value_or(w::LimitSetting{});
  in.cpu_seconds =
      w::parse_limit_setting(config.default_cpu_seconds, false).value_or(w::LimitSetting{});
  in.processes =
      w::parse_limit_setting(config.default_processes, false).value_or(w::LimitSetting{});
  in.timeout_ms = config.default_timeout_ms;
  return w::compute_default_limits(in);
}

}  // namespace

int main(int argc, char** argv) {
  ensure_standard_fds();
  namespace w = zfleet::worker;
  auto parsed = w::parse_worker_config(argc, argv);
  if (!parsed.config) return parsed.exit_code;
  auto config = *parsed.config;
  zfleet::setup_logging("worker", config.log_level);
  default_helper(config.module_runner, "zfleet-module-runner");
  default_helper(config.http_fetch, "zfleet-http-fetch");
  const bool root = ::geteuid() == 0;
  const w::DefaultLimits defaults = default_limits(config);
  spdlog::info("default task limits: {} (memory: {})", w::describe_limits(defaults.limits),
               defaults.memory_basis);
  std::optional<w::WorkerPolicy> policy;
  if (config.policy_file.empty()) {
    policy.emplace(root, config.sandbox, defaults.limits);
  } else {
    std::string error;
    policy = w::WorkerPolicy::load(config.policy_file, root, error, defaults.limits);
    if (!policy) {
      spdlog::critical("cannot start: {}", error);
      return 2;
    }
    if (!config.sandbox) policy = w::WorkerPolicy(root, false, defaults.limits);
  }
  try {
    // Probes fork children: before any thread exists.
    w::HostCapabilities host;
    std::optional<w::UidPool> uids;
    if (config.sandbox) {
      host = w::HostCapabilities::detect();
      w::sweep_stale_cgroup_leaves(host.cgroup);
      std::string why;
      if (host.uid_switch && config.task_uid_count > 0 &&
          w::probe_uid_switch(config.task_uid_base + config.task_uid_count - 1, why)) {
        uids.emplace(config.task_uid_base, config.task_uid_count);
      } else if (host.uid_switch) {
        spdlog::warn("tasks share the uid of 'nobody': {}", why);
      }
    }
    // Before any thread exists, so ZeroMQ's threads inherit the blocked mask.
    w::SignalSource signals(!w::ChildProcess::pidfd_supported());
    zfleet::SystemClock clock;
    w::Reactor reactor(config, clock, signals, host, std::move(*policy), std::move(uids),
                       w::make_task_kinds);
    return reactor.run();
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return 1;
  }
}
