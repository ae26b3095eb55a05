// Preparing and applying task sandboxes; see sandbox.hpp.
#include "worker/sandbox.hpp"

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

bool copy_path(std::array<char, SandboxPlan::kMaxPath>& out, const std::string& path) {
  if (path.size() >= out.size()) return false;
  std::memcpy(out.data(), path.c_str(), path.size() + 1);
  return true;
}

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

// True when `path` lies below `dir`.
bool is_below(const char* path, const char* dir) noexcept {
  const std::size_t n = std::strlen(dir);
  return std::strncmp(path, dir, n) == 0 && path[n] == '/';
}

// "/proc/self/fd/N" into `out`: the name a bind mount takes for an fd.
void fd_path(int fd, char (&out)[32]) noexcept {
  static constexpr char kPrefix[] = "/proc/self/fd/";
  std::memcpy(out, kPrefix, sizeof kPrefix - 1);
  char digits[12];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + fd % 10);
    fd /= 10;
  } while (fd > 0 && n < 11);
  std::size_t at = sizeof kPrefix - 1;
  while (n > 0)
    out[at++] = digits[--n];
  out[at] = '\0';
}

// Makes `path` (below a fresh tmpfs at `dir`) a mount point for `source`:
// its parents as directories, itself as a directory or an empty file.
bool make_mount_point(const char* path, const char* dir, int source) noexcept {
  char buffer[SandboxPlan::kMaxPath];
  const std::size_t length = std::strlen(path);
  std::memcpy(buffer, path, length + 1);
  for (char* p = buffer + std::strlen(dir) + 1; *p != '\0'; ++p) {
    if (*p != '/') continue;
    *p = '\0';
    const bool ok = ::mkdir(buffer, 0711) == 0 || errno == EEXIST;
    *p = '/';
    if (!ok) return false;
  }
  struct stat st;
  if (::fstat(source, &st) != 0) return false;
  if (S_ISDIR(st.st_mode)) return ::mkdir(buffer, 0711) == 0 || errno == EEXIST;
  const int fd = ::open(buffer, O_WRONLY | O_CREAT | O_CLOEXEC, 0444);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

// Step 3 of apply_in_child(). What must stay reachable (the task's
// directory, a helper program) may itself lie under /tmp: it is opened
// before the tmpfs covers it, and its fd is bound back at its path.
SandboxFailure mount_private_tmp(const SandboxPlan& plan) noexcept {
  auto failed = [](SandboxStep step) { return SandboxFailure{step, errno}; };
  if (::unshare(CLONE_NEWNS) != 0) return failed(SandboxStep::kMountns);
  // Without this a shared "/" would carry the mounts below back to the host.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return failed(SandboxStep::kPrivateMounts);
  int fds[SandboxPlan::kMaxKept];
  for (std::uint8_t i = 0; i < plan.kept_count; ++i) {
    fds[i] = ::open(plan.kept[i].path.data(), O_PATH | O_CLOEXEC);
    if (fds[i] < 0) {
      const SandboxFailure failure = failed(SandboxStep::kKeepPath);
      for (std::uint8_t j = 0; j < i; ++j)
        ::close(fds[j]);
      return failure;
    }
  }
  SandboxFailure failure;
  for (const char* dir : kPrivateTmpDirs) {
    struct stat st;
    if (::stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) continue;  // e.g. no /dev/shm
    if (::mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, plan.tmpfs_options.data()) != 0) {
      failure = failed(SandboxStep::kPrivateTmp);
      break;
    }
    for (std::uint8_t i = 0; i < plan.kept_count && failure.ok(); ++i) {
      const auto& kept = plan.kept[i];
      if (!is_below(kept.path.data(), dir)) continue;
      char source[32];
      fd_path(fds[i], source);
      if (!make_mount_point(kept.path.data(), dir, fds[i]) ||
          ::mount(source, kept.path.data(), nullptr, MS_BIND | MS_REC, nullptr) != 0 ||
          (kept.read_only &&
           ::mount(nullptr, kept.path.data(), nullptr,
                   MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0)) {
        failure = failed(SandboxStep::kKeepPath);
      }
    }
    if (!failure.ok()) break;
  }
  for (std::uint8_t i = 0; i < plan.kept_count; ++i)
    ::close(fds[i]);
  if (!failure.ok()) return failure;
  if (plan.cwd[0] == '/' && ::chdir(plan.cwd.data()) != 0) return failed(SandboxStep::kReenterCwd);
  return {};
}

}  // namespace

bool keep_task_paths(SandboxPlan& plan, const std::string& home, const std::string& cwd,
                     std::string& error, const std::vector<std::string>& files) {
  if (!plan.private_tmp) return true;
  auto check = [&](const std::string& path) {
    if (!path.empty() && path.front() == '/' && path.size() < SandboxPlan::kMaxPath) return true;
    error = "sandbox: task path must be absolute and shorter than " +
            std::to_string(SandboxPlan::kMaxPath) + " bytes: " + path;
    return false;
  };
  if (files.size() + 1 > SandboxPlan::kMaxKept) {
    error = "sandbox: too many paths to keep";
    return false;
  }
  if (!check(home) || !check(cwd)) return false;
  for (const auto& file : files)
    if (!check(file)) return false;
  plan.kept_count = 0;
  auto keep = [&](const std::string& path, bool read_only) {
    auto& kept = plan.kept[plan.kept_count++];
    copy_path(kept.path, path);
    kept.read_only = read_only;
  };
  keep(home, false);
  for (const auto& file : files)
    keep(file, true);
  copy_path(plan.cwd, cwd);
  return true;
}

const char* step_name(SandboxStep step) noexcept {
  switch (step) {
    case SandboxStep::kNone:
      return "sandbox";
    case SandboxStep::kCgroupJoin:
      return "sandbox: join cgroup";
    case SandboxStep::kNetns:
      return "sandbox: unshare network";
    case SandboxStep::kLoopback:
      return "sandbox: loopback up";
    case SandboxStep::kMountns:
      return "sandbox: unshare mounts";
    case SandboxStep::kPrivateMounts:
      return "sandbox: make mounts private";
    case SandboxStep::kPrivateTmp:
      return "sandbox: mount private tmp";
    case SandboxStep::kKeepPath:
      return "sandbox: keep a path under the private tmp";
    case SandboxStep::kReenterCwd:
      return "sandbox: re-enter cwd";
    case SandboxStep::kRlimit:
      return "sandbox: setrlimit";
    case SandboxStep::kSetgroups:
      return "sandbox: setgroups";
    case SandboxStep::kSetgid:
      return "sandbox: setresgid";
    case SandboxStep::kSetuid:
      return "sandbox: setresuid";
    case SandboxStep::kNoNewPrivs:
      return "sandbox: no_new_privs";
    case SandboxStep::kSeccomp:
      return "sandbox: seccomp";
  }
  return "sandbox";
}

SandboxFailure apply_in_child(const SandboxPlan& plan) noexcept {
  auto failed = [](SandboxStep step) { return SandboxFailure{step, errno}; };

  for (std::uint8_t i = 0; i < plan.cgroup_count; ++i) {
    const int fd = ::open(plan.cgroup_procs[i].data(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return failed(SandboxStep::kCgroupJoin);
    // "0" is the writing process itself, in v1 and v2 alike.
    const bool ok = ::write(fd, "0", 1) == 1;
    const int saved = errno;
    ::close(fd);
    if (!ok) return SandboxFailure{SandboxStep::kCgroupJoin, saved};
  }

  if (plan.new_netns) {
    if (::unshare(CLONE_NEWNET) != 0) return failed(SandboxStep::kNetns);
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return failed(SandboxStep::kLoopback);
    ifreq request;
    std::memset(&request, 0, sizeof request);
    std::memcpy(request.ifr_name, "lo", 3);
    bool ok = ::ioctl(fd, SIOCGIFFLAGS, &request) == 0;
    if (ok) {
      request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
      ok = ::ioctl(fd, SIOCSIFFLAGS, &request) == 0;
    }
    const int saved = errno;
    ::close(fd);
    if (!ok) return SandboxFailure{SandboxStep::kLoopback, saved};
  }

  if (plan.private_tmp) {
    if (const SandboxFailure failure = mount_private_tmp(plan); !failure.ok()) return failure;
  }

  for (std::uint8_t i = 0; i < plan.rlimit_count; ++i) {
    const auto& limit = plan.rlimits[i];
    const rlimit value{limit.soft, limit.hard};
    if (::setrlimit(static_cast<__rlimit_resource_t>(limit.resource), &value) != 0)
      return failed(SandboxStep::kRlimit);
  }

  if (plan.switch_user) {
    if (::syscall(SYS_setgroups, 0, nullptr) != 0) return failed(SandboxStep::kSetgroups);
    if (::syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid) != 0)
      return failed(SandboxStep::kSetgid);
    if (::syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid) != 0)
      return failed(SandboxStep::kSetuid);
  }

  if (plan.no_new_privs && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return failed(SandboxStep::kNoNewPrivs);

  if (plan.seccomp_filter != nullptr) {
    sock_fprog program{plan.seccomp_length, const_cast<sock_filter*>(plan.seccomp_filter)};
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) != 0)
      return failed(SandboxStep::kSeccomp);
  }
  return {};
}

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
            !copy_path(plan.cgroup_procs[plan.cgroup_count++], file)) {
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
