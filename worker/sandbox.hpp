// Sandbox confines task children (DESIGN.md principle 7). It is split in two
// halves because children are spawned with vfork:
//  - Sandbox::prepare() runs in the worker before the spawn and may allocate:
//    it resolves the uid, picks the rlimits, points at the seccomp program
//    (built once per worker) and creates the attempt's cgroup leaves. Its
//    result is a SandboxPlan, plain data with fixed-size fields, and a
//    CgroupLease that removes the leaves after the attempt.
//  - apply_in_child() runs in the vfork child between fork and exec and makes
//    only raw system calls on the plan: no allocation, no locks, no logging.
// A layer the policy marks `required` that this host cannot apply makes
// prepare() fail with the reason; an `optional` one is skipped and named.
#pragma once

#include <linux/filter.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "worker/cgroup.hpp"
#include "worker/host_capabilities.hpp"
#include "worker/sandbox_policy.hpp"
#include "worker/seccomp_filter.hpp"

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

// One attempt's sandbox: the plan for the child, the cgroup leaves to remove
// afterwards, and what was applied or skipped (for the result and the log).
struct PreparedSandbox {
  SandboxPlan plan;
  CgroupLease cgroup;
  std::string applied;  // e.g. "rlimits,no_new_privs,seccomp,netns,private_tmp,uid,cgroup-v1"
  std::string skipped;  // optional layers this host lacks, with why
  // The memory limit is held per process by RLIMIT_DATA, for want of a
  // memory cgroup: a task past it sees allocations fail, not a kill.
  bool memory_rlimit = false;
};

class Sandbox {
 public:
  explicit Sandbox(HostCapabilities host);
  // Removes our cgroup directories if no leaf is left in them.
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  const HostCapabilities& host() const { return host_; }

  // Prepares `policy` (already tightened) for one attempt. nullopt with
  // `error` when a required layer is missing or a step fails.
  std::optional<PreparedSandbox> prepare(const SandboxPolicy& policy, const std::string& task_id,
                                         std::uint32_t attempt, std::string& error);

 private:
  bool resolve_user(const std::string& name, uid_t& uid, gid_t& gid, std::string& error);
  const SeccompProgram* seccomp_program(std::string& error);

  HostCapabilities host_;
  int worker_pid_;
  std::optional<SeccompProgram> seccomp_;
  std::map<std::string, std::pair<uid_t, gid_t>> users_;
};

}  // namespace zfleet::worker
