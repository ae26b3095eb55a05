// Preparing task sandboxes; see sandbox.hpp (applying them: sandbox_plan.cpp).
#include "worker/sandbox/sandbox.hpp"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <pwd.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <tuple>
#include <vector>

namespace zfleet::worker {

namespace {

// Lays out what a layer needs next to what the host has, and records the
// outcome: true to apply it, false to skip it; `error` set means fail.
class LayerCheck {
 public:
  bool wanted(bool host_has, Need need, const std::string& layer, const char* why,
              std::string& error) {
    if (host_has) {
      add(applied, layer);
      return true;
    }
    if (need == Need::kRequired) {
      error = "sandbox layer " + layer + " is required but " + why;
    } else {
      add(skipped, layer + " (" + why + ")");
    }
    return false;
  }
  static void add(std::string& list, const std::string& item) {
    if (!list.empty()) list += ',';
    list += item;
  }
  std::string applied;
  std::string skipped;
};

// A limit never above the worker's own hard limit: without CAP_SYS_RESOURCE
// raising one fails, and the tighter value is what a limit means anyway.
SandboxPlan::Limit clamp(int resource, std::uint64_t soft, std::uint64_t hard) {
  rlimit current{RLIM_INFINITY, RLIM_INFINITY};
  ::getrlimit(static_cast<__rlimit_resource_t>(resource), &current);
  auto fit = [&](std::uint64_t v) {
    const rlim_t value = v >= RLIM_INFINITY ? RLIM_INFINITY : static_cast<rlim_t>(v);
    return current.rlim_max == RLIM_INFINITY ? value : std::min(value, current.rlim_max);
  };
  return {resource, fit(soft), fit(hard)};
}

// "name", "uid" or "uid:gid".
bool parse_ids(const std::string& text, uid_t& uid, gid_t& gid) {
  const auto colon = text.find(':');
  const std::string u = text.substr(0, colon);
  unsigned long value = 0;
  auto [end, ec] = std::from_chars(u.data(), u.data() + u.size(), value);
  if (ec != std::errc{} || end != u.data() + u.size() || u.empty()) return false;
  uid = static_cast<uid_t>(value);
  gid = static_cast<gid_t>(value);
  if (colon == std::string::npos) return true;
  const std::string g = text.substr(colon + 1);
  auto [gend, gec] = std::from_chars(g.data(), g.data() + g.size(), value);
  if (gec != std::errc{} || gend != g.data() + g.size() || g.empty()) return false;
  gid = static_cast<gid_t>(value);
  return true;
}

}  // namespace

Sandbox::Sandbox(HostCapabilities host) : host_(std::move(host)), worker_pid_(::getpid()) {
  // Leaves of a worker that crashed would otherwise stay, tasks and all.
  sweep_stale_cgroup_leaves(host_.cgroup);
}

Sandbox::~Sandbox() {
  // EBUSY while another worker on this host still has leaves there.
  for (const auto& dir : host_.cgroup.parent_dirs())
    ::rmdir(dir.c_str());
}

const SeccompProgram* Sandbox::seccomp_program(std::string& error) {
  if (!seccomp_) {
    seccomp_ = build_seccomp_program(error);
    if (!seccomp_) return nullptr;
  }
  return &*seccomp_;
}

bool Sandbox::resolve_user(const std::string& name, uid_t& uid, gid_t& gid, std::string& error) {
  if (auto it = users_.find(name); it != users_.end()) {
    std::tie(uid, gid) = it->second;
    return true;
  }
  if (!parse_ids(name, uid, gid)) {
    passwd entry;
    passwd* found = nullptr;
    std::vector<char> buffer(16384);
    const int e = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (found == nullptr) {
      error = "unknown user " + name + (e != 0 ? std::string(": ") + std::strerror(e) : "");
      return false;
    }
    uid = entry.pw_uid;
    gid = entry.pw_gid;
  }
  if (uid == 0) {
    error = "run_as_user " + name + " is root";
    return false;
  }
  users_.emplace(name, std::pair{uid, gid});
  return true;
}

std::optional<PreparedSandbox> Sandbox::prepare(const SandboxPolicy& policy,
                                                const std::string& task_id, std::uint32_t attempt,
                                                std::string& error) {
  PreparedSandbox out;
  SandboxPlan& plan = out.plan;
  LayerCheck check;
  error.clear();

  const auto& r = policy.rlimits;
  const bool any_rlimit = r.cpu_seconds || r.address_space_bytes || r.open_files || r.processes ||
                          r.file_size_bytes || !r.core_dumps;
  if (any_rlimit && check.wanted(host_.rlimits, r.need, "rlimits", "setrlimit fails", error)) {
    auto add = [&](int resource, std::uint64_t soft, std::uint64_t hard) {
      plan.rlimits[plan.rlimit_count++] = clamp(resource, soft, hard);
    };
    // SIGXCPU at the soft limit, SIGKILL one second later for a task that
    // catches it.
    if (r.cpu_seconds) add(RLIMIT_CPU, *r.cpu_seconds, *r.cpu_seconds + 1);
    if (r.address_space_bytes) add(RLIMIT_AS, *r.address_space_bytes, *r.address_space_bytes);
    if (r.open_files) add(RLIMIT_NOFILE, *r.open_files, *r.open_files);
    if (r.processes) add(RLIMIT_NPROC, *r.processes, *r.processes);
    if (r.file_size_bytes) add(RLIMIT_FSIZE, *r.file_size_bytes, *r.file_size_bytes);
    if (!r.core_dumps) add(RLIMIT_CORE, 0, 0);
  }
  if (!error.empty()) return std::nullopt;

  if (!policy.run_as_user.empty() && check.wanted(host_.uid_switch, policy.run_as_user_need, "uid",
                                                  "the worker is not root", error)) {
    if (!resolve_user(policy.run_as_user, plan.uid, plan.gid, error)) return std::nullopt;
    plan.switch_user = true;
  }
  if (!error.empty()) return std::nullopt;
  if (!plan.switch_user && r.processes && ::geteuid() == 0) {
    // The kernel exempts root from RLIMIT_NPROC.
    LayerCheck::add(check.skipped, "processes rlimit (no effect on root)");
  }

  if (policy.network == NetworkMode::kNone &&
      check.wanted(host_.netns, policy.network_need, "netns", "network namespaces are unavailable",
                   error)) {
    plan.new_netns = true;
  }
  if (!error.empty()) return std::nullopt;

  if (policy.private_tmp && check.wanted(host_.private_tmp, policy.private_tmp_need, "private_tmp",
                                         "mount namespaces are unavailable", error)) {
    plan.private_tmp = true;
    std::snprintf(plan.tmpfs_options.data(), plan.tmpfs_options.size(), "mode=1777,size=%" PRIu64,
                  policy.tmp_size_bytes);
  }
  if (!error.empty()) return std::nullopt;

  const Need nnp_need = policy.seccomp && policy.seccomp_need == Need::kRequired
                            ? Need::kRequired
                            : policy.no_new_privs_need;
  if ((policy.no_new_privs || policy.seccomp) &&
      check.wanted(host_.no_new_privs, nnp_need, "no_new_privs", "the kernel lacks it", error)) {
    plan.no_new_privs = true;
  }
  if (!error.empty()) return std::nullopt;

  // The kernel accepts a filter from an unprivileged process only with
  // no_new_privs set.
  if (policy.seccomp && check.wanted(host_.seccomp && plan.no_new_privs, policy.seccomp_need,
                                     "seccomp", "seccomp filters are unavailable", error)) {
    const SeccompProgram* program = seccomp_program(error);
    if (program == nullptr) return std::nullopt;
    plan.seccomp_filter = program->data();
    plan.seccomp_length = static_cast<std::uint16_t>(program->size());
  }
  if (!error.empty()) return std::nullopt;

  // A leaf is made whenever the host has cgroups, limits or not: it is what
  // lets release() find processes that left the task's process group.
  const auto& host_cg = host_.cgroup;
  bool memory_in_cgroup = false;
  if (host_cg.version != CgroupVersion::kNone || policy.cgroup.any()) {
    CgroupLayer limits = policy.cgroup;
    std::string why;
    if (host_cg.version == CgroupVersion::kNone) why = "no usable cgroups";
    auto drop = [&](auto& limit, bool available, const char* controller) {
      if (!limit || available) return;
      limit.reset();
      LayerCheck::add(why, std::string("no ") + controller + " controller");
    };
    drop(limits.memory_max_bytes, host_cg.memory, "memory");
    drop(limits.pids_max, host_cg.pids, "pids");
    drop(limits.cpu_max, host_cg.cpu, "cpu");
    if (!why.empty() && limits.need == Need::kRequired) {
      error = "sandbox layer cgroup is required but " + why;
      return std::nullopt;
    }
    std::optional<CgroupLease> lease;
    if (host_cg.version != CgroupVersion::kNone) {
      std::string cg_error;
      lease = CgroupLease::create(host_cg, cgroup_leaf_name(worker_pid_, task_id, attempt), limits,
                                  cg_error);
      if (!lease && limits.need == Need::kRequired) {
        error = cg_error;
        return std::nullopt;
      }
      if (!lease) LayerCheck::add(why, cg_error);
    }
    if (lease) {
      for (const auto& file : lease->procs_files()) {
        if (plan.cgroup_count == SandboxPlan::kMaxCgroups ||
            !copy_plan_path(plan.cgroup_procs[plan.cgroup_count++], file)) {
          error = "cgroup path too long: " + file;
          return std::nullopt;
        }
      }
      out.cgroup = std::move(*lease);
      memory_in_cgroup = limits.memory_max_bytes.has_value();
      LayerCheck::add(check.applied, host_cg.layer_name());
    }
    if (!why.empty()) LayerCheck::add(check.skipped, "cgroup (" + why + ")");
  }
  // Without a memory cgroup each process still gets the memory limit as
  // RLIMIT_DATA (heap and private writable mappings), and the worker's
  // sampling holds the group as a whole. Not RLIMIT_AS: it counts address
  // space merely reserved, which the JVM, Go, V8 and sanitizers reserve by
  // the gigabyte, so they would fail to start under any useful limit.
  if (policy.cgroup.memory_max_bytes && !memory_in_cgroup && host_.rlimits &&
      plan.rlimit_count < SandboxPlan::kMaxRlimits) {
    const std::uint64_t bytes = *policy.cgroup.memory_max_bytes;
    plan.rlimits[plan.rlimit_count++] = clamp(RLIMIT_DATA, bytes, bytes);
    out.memory_rlimit = true;
  }

  out.applied = std::move(check.applied);
  out.skipped = std::move(check.skipped);
  return out;
}

}  // namespace zfleet::worker
