// Sandbox confines task children (DESIGN.md principle 7). It is split in two
// halves because children are spawned with vfork:
//  - Sandbox::prepare() runs in the worker before the spawn and may allocate:
//    it resolves the uid, picks the rlimits, points at the seccomp program
//    (built once per worker) and creates the attempt's cgroup leaves. Its
//    result is a SandboxPlan, plain data with fixed-size fields, and a
//    CgroupLease that removes the leaves after the attempt.
//  - apply_in_child() (sandbox_plan.hpp) runs in the vfork child between
//    fork and exec and makes only raw system calls on the plan: no
//    allocation, no locks, no logging.
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

#include "worker/sandbox/cgroup.hpp"
#include "worker/sandbox/host_capabilities.hpp"
#include "worker/sandbox/sandbox_plan.hpp"
#include "worker/sandbox/sandbox_policy.hpp"
#include "worker/sandbox/seccomp_filter.hpp"

namespace zfleet::worker {

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
