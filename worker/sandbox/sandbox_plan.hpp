// SandboxPlan: what one child's sandbox is, as plain data with fixed-size
// fields, and apply_in_child(), which applies it between vfork and exec with
// raw system calls only. Split from sandbox.hpp so that HostCapabilities can
// probe the layers with the same code tasks get, without depending on the
// Sandbox that consults it.
// Invariants: SandboxPlan stays trivially copyable and destructible (a vfork
// child may read it, never free it); nothing here allocates after the fork.
#pragma once

#include <linux/filter.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace zfleet::worker {

struct SandboxPlan {
  static constexpr std::size_t kMaxCgroups = 3;  // v1: memory, pids, cpu
  static constexpr std::size_t kMaxPath = 256;
  static constexpr std::size_t kMaxRlimits = 7;

  struct Limit {
    int resource = 0;  // RLIMIT_*
    rlim_t soft = 0;
    rlim_t hard = 0;
  };

  // cgroup.procs files to write "0" (this process) into.
  std::array<std::array<char, kMaxPath>, kMaxCgroups> cgroup_procs{};
  std::uint8_t cgroup_count = 0;
  bool new_netns = false;  // unshare(CLONE_NEWNET), then loopback up
  // unshare(CLONE_NEWNS), then a tmpfs (mounted with tmpfs_options) on each
  // of kPrivateTmpDirs. Each of `kept` that lies under one of them is bound
  // back at its own path: the task's directory (writable), and the helper
  // programs and module it needs (read-only), so a worker installed or
  // working under /tmp still runs. The child then re-enters `cwd`, since
  // its old one is on a covered mount.
  struct KeptPath {
    std::array<char, kMaxPath> path{};
    bool read_only = false;
  };
  static constexpr std::size_t kMaxKept = 3;
  bool private_tmp = false;
  std::array<char, 48> tmpfs_options{};
  std::array<KeptPath, kMaxKept> kept{};
  std::uint8_t kept_count = 0;
  std::array<char, kMaxPath> cwd{};
  std::array<Limit, kMaxRlimits> rlimits{};
  std::uint8_t rlimit_count = 0;
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  bool no_new_privs = false;
  // Owned by the Sandbox that made the plan, which must outlive the spawn.
  const sock_filter* seccomp_filter = nullptr;
  std::uint16_t seccomp_length = 0;
};
static_assert(std::is_trivially_copyable_v<SandboxPlan> &&
              std::is_trivially_destructible_v<SandboxPlan>);

// The directories a private /tmp covers, in the order they are mounted.
inline constexpr const char* kPrivateTmpDirs[] = {"/tmp", "/var/tmp", "/dev/shm"};

// Points `plan`'s private /tmp at what the child must still reach: the
// task's directory `home`, its starting directory `cwd` and up to two
// read-only `files` (a helper program, a module). All absolute. False with
// `error` when a path is too long or not absolute.
bool keep_task_paths(SandboxPlan& plan, const std::string& home, const std::string& cwd,
                     std::string& error, const std::vector<std::string>& files = {});

// apply_in_child()'s steps, in the order they run.
enum class SandboxStep : std::uint8_t {
  kNone,
  kCgroupJoin,
  kNetns,
  kLoopback,
  kMountns,
  kPrivateMounts,
  kPrivateTmp,
  kKeepPath,
  kReenterCwd,
  kRlimit,
  kSetgroups,
  kSetgid,
  kSetuid,
  kNoNewPrivs,
  kSeccomp,
};

// A static string ("sandbox: seccomp"), safe to point at from a vfork child.
const char* step_name(SandboxStep step) noexcept;

struct SandboxFailure {
  SandboxStep step = SandboxStep::kNone;
  int error = 0;  // errno
  bool ok() const noexcept { return step == SandboxStep::kNone; }
};

// Applies `plan` to the calling process. Raw system calls only, so it may run
// in a vfork child; on failure the caller reports the step and errno and
// _exit()s. The order matters:
//  1. join the cgroup leaves first, while still root (the files are root's)
//     and before anything else, so all the task ever uses is counted there;
//  2. new network namespace (needs CAP_SYS_ADMIN, so before the uid drop),
//     with loopback brought up as Docker's "none" network does: the task
//     reaches nothing outside, but programs that talk to 127.0.0.1 work;
//  3. new mount namespace, made private before anything is mounted so no
//     mount propagates back to the host, with fresh tmpfs mounts on /tmp,
//     /var/tmp and /dev/shm (also needs CAP_SYS_ADMIN);
//  4. rlimits (only lowered, which needs no capability);
//  5. supplementary groups, gid, then uid, via syscall(): glibc's wrappers
//     would try to signal the parent's threads, which the vfork child must
//     not do. Dropping every uid also drops the capabilities;
//  5. no_new_privs, which lets an unprivileged process load a filter;
//  6. the seccomp filter last: it denies unshare and the like, which step 2
//     needs, and it allows execve, which comes next.
SandboxFailure apply_in_child(const SandboxPlan& plan) noexcept;

// Copies `path` with its NUL into `out`; false when it does not fit.
bool copy_plan_path(std::array<char, SandboxPlan::kMaxPath>& out, const std::string& path);

}  // namespace zfleet::worker
