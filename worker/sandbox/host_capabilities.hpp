// HostCapabilities: which sandbox layers this host can apply, probed once at
// start-up by trying each in a short-lived child (a kernel option, a missing
// capability or a container's seccomp profile all show up the same way: the
// probe fails). The worker logs describe() at start and reports
// layer_names() in its stats; Sandbox::prepare() consults it to apply what
// it can and to refuse a task whose `required` layer is missing.
#pragma once

#include <string>
#include <vector>

#include "worker/sandbox/cgroup.hpp"

namespace zfleet::worker {

struct HostCapabilities {
  bool rlimits = false;
  bool no_new_privs = false;
  bool seccomp = false;      // the kernel filters and libseccomp builds a program
  bool netns = false;        // unshare(CLONE_NEWNET) and bringing loopback up
  bool private_tmp = false;  // unshare(CLONE_NEWNS) and tmpfs mounts in it
  bool uid_switch = false;   // root, able to drop to another uid
  CgroupSetup cgroup;
  // Why a layer is missing, for the start-up log.
  std::vector<std::string> notes;

  // Probes this host. Forks short-lived children: call it at start-up,
  // before any threads exist. `cgroup_dir` names our directory in each
  // cgroup hierarchy.
  static HostCapabilities detect(const std::string& cgroup_dir = "zfleet");

  // e.g. {"rlimits", "no_new_privs", "seccomp", "netns", "private_tmp", "uid",
  //       "cgroup-v1(memory,pids,cpu)"}
  std::vector<std::string> layer_names() const;
  // The names joined with ',', then the notes: one line for the log.
  std::string describe() const;
};

}  // namespace zfleet::worker
