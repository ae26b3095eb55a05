// SandboxPolicy says how tightly a task child is confined: rlimits, no_new_privs,
// the uid it runs as, its network, a seccomp filter, a private /tmp and a
// cgroup leaf. Each
// layer is `required` (the task fails rather than run without it) or
// `optional` (applied where the host allows, reported otherwise). The worker
// holds one policy; projects and tasks may only tighten it (tighten()), never
// loosen it, so a task can ask for less but not for more.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace zfleet::worker {

enum class Need : std::uint8_t { kOptional, kRequired };

enum class NetworkMode : std::uint8_t {
  kNone,  // a new, empty network namespace (loopback only)
  kHost,  // the worker's own network
};

// setrlimit(2) limits for the child; unset means "inherit the worker's".
struct RlimitLayer {
  std::optional<std::uint64_t> cpu_seconds;          // RLIMIT_CPU: SIGXCPU, then SIGKILL 1 s later
  std::optional<std::uint64_t> address_space_bytes;  // RLIMIT_AS
  std::optional<std::uint64_t> open_files;           // RLIMIT_NOFILE
  // RLIMIT_NPROC counts every process of the uid, not of the task: with all
  // tasks sharing "nobody" it is a cap for them together. pids_max (cgroup)
  // is the per-task limit.
  std::optional<std::uint64_t> processes;
  std::optional<std::uint64_t> file_size_bytes;  // RLIMIT_FSIZE
  bool core_dumps = false;                       // false: RLIMIT_CORE 0
  Need need = Need::kRequired;
};

struct CpuMax {
  std::uint64_t quota_us = 0;   // CPU time allowed per period, microseconds
  std::uint64_t period_us = 0;  // microseconds
  friend bool operator==(const CpuMax&, const CpuMax&) = default;
};

struct CgroupLayer {
  std::optional<std::uint64_t> memory_max_bytes;
  std::optional<std::uint64_t> pids_max;
  std::optional<CpuMax> cpu_max;
  Need need = Need::kOptional;
  bool any() const { return memory_max_bytes || pids_max || cpu_max; }
};

struct SandboxPolicy {
  RlimitLayer rlimits;
  bool no_new_privs = true;
  Need no_new_privs_need = Need::kRequired;
  // Empty: keep the worker's uid. Only a worker running as root can switch.
  std::string run_as_user;
  Need run_as_user_need = Need::kRequired;
  NetworkMode network = NetworkMode::kNone;
  Need network_need = Need::kOptional;
  // Denies dangerous system calls with EPERM; implies no_new_privs, which the
  // kernel demands of a process that loads a filter without CAP_SYS_ADMIN.
  bool seccomp = true;
  Need seccomp_need = Need::kOptional;
  // A mount namespace of its own with fresh tmpfs mounts on /tmp, /var/tmp
  // and /dev/shm, each capped at tmp_size_bytes (pages count against the
  // task's memory cgroup): files one task leaves there are invisible to the
  // next, and the host's temporary files are invisible to all.
  bool private_tmp = true;
  Need private_tmp_need = Need::kOptional;
  std::uint64_t tmp_size_bytes = std::uint64_t{256} << 20;
  CgroupLayer cgroup;

  // The worker-wide default: every layer on, "nobody" when running as root.
  static SandboxPolicy defaults(bool running_as_root);
};

// The policy `request` may ask for, bounded by `base`: the smaller of each
// limit, network none over host, seccomp and no_new_privs on over off,
// required over optional. The user is always the base's: a task choosing
// whom it runs as would be a privilege, not a restriction.
SandboxPolicy tighten(const SandboxPolicy& base, const SandboxPolicy& request);

// One line for logs, e.g. "cpu=10s as=1073741824B nofile=1024 ... net=none".
std::string describe(const SandboxPolicy& policy);

}  // namespace zfleet::worker
