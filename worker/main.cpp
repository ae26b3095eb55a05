// zfleet-worker: wires configuration, logging, signals and the reactor.
#include <fcntl.h>
#include <unistd.h>

#include <exception>

#include <spdlog/spdlog.h>

#include "common/clock.hpp"
#include "common/logging.hpp"
#include "worker/cgroup.hpp"
#include "worker/child_process.hpp"
#include "worker/host_capabilities.hpp"
#include "worker/reactor.hpp"
#include "worker/signal_source.hpp"
#include "worker/uid_pool.hpp"
#include "worker/worker_config.hpp"
#include "worker/worker_policy.hpp"

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

// The directory of this executable: helper binaries are installed beside it.
std::string own_directory() {
  char buffer[4096] = {};
  const ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n <= 0) return {};
  std::string path(buffer, static_cast<std::size_t>(n));
  return path.substr(0, path.rfind('/'));
}

// An unset helper path defaults to the binary beside this one, if present.
void default_helper(std::string& path, const char* name) {
  if (!path.empty()) return;
  const std::string candidate = own_directory() + "/" + name;
  if (::access(candidate.c_str(), X_OK) == 0) path = candidate;
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
  std::optional<w::WorkerPolicy> policy;
  if (config.policy_file.empty()) {
    policy.emplace(root, config.sandbox);
  } else {
    std::string error;
    policy = w::WorkerPolicy::load(config.policy_file, root, error);
    if (!policy) {
      spdlog::critical("cannot start: {}", error);
      return 2;
    }
    if (!config.sandbox) policy = w::WorkerPolicy(root, false);
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
    w::Reactor reactor(config, clock, signals, host, std::move(*policy), std::move(uids));
    return reactor.run();
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return 1;
  }
}
