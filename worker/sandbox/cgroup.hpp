// Cgroup leaves for task children. All leaves live under a directory of our
// own (`zfleet`, by default) in each hierarchy: on cgroup v2 one leaf
// <mount>/zfleet/<leaf> with memory, pids and cpu enabled by
// zfleet/cgroup.subtree_control; on v1 one leaf per controller hierarchy
// (memory/zfleet/<leaf>, pids/zfleet/<leaf>, cpu/zfleet/<leaf>). Nothing
// outside those directories is ever created, written or removed.
// A CgroupLease owns a task's leaves: on release it kills whatever is still
// in them (cgroup.kill on v2, SIGKILL to each pid of cgroup.procs on v1),
// which also reaches processes that left the task's process group, then
// removes them. Leaf names start with "w<worker pid>-" so that a later worker
// can tell the leaves of a dead one from those of a live neighbour.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "worker/sandbox/sandbox_policy.hpp"

namespace zfleet::worker {

enum class CgroupVersion : std::uint8_t { kNone, kV1, kV2 };

// What detect_cgroups() found usable; plain data, copied freely.
struct CgroupSetup {
  CgroupVersion version = CgroupVersion::kNone;
  // v2: the zfleet directory; v1: one per controller, empty when missing.
  std::string v2_dir;
  std::string v1_memory_dir;
  std::string v1_pids_dir;
  std::string v1_cpu_dir;
  bool memory = false;
  bool pids = false;
  bool cpu = false;
  bool kill_file = false;  // v2 cgroup.kill (Linux 5.14)

  // Every directory a leaf is created in (one for v2, up to three for v1).
  std::vector<std::string> parent_dirs() const;
  // "cgroup-v1(memory,pids,cpu)", or "" without cgroups.
  std::string layer_name() const;
};

// Probes the mounts in /proc/self/mountinfo: v2 when its zfleet directory can
// have memory and pids, else the v1 hierarchies where a zfleet directory can
// be made. Probing creates and removes a leaf, and removes the zfleet
// directory again if it made it. `notes` collects why a version was passed over.
CgroupSetup detect_cgroups(const std::string& dir_name, std::vector<std::string>& notes);

class CgroupLease {
 public:
  CgroupLease() = default;
  // Creates the leaf `name` (validated: [A-Za-z0-9._-]) under every parent and
  // writes the limits. On failure nothing is left behind.
  static std::optional<CgroupLease> create(const CgroupSetup& setup, const std::string& name,
                                           const CgroupLayer& limits, std::string& error);
  CgroupLease(CgroupLease&& other) noexcept;
  CgroupLease& operator=(CgroupLease&& other) noexcept;
  CgroupLease(const CgroupLease&) = delete;
  CgroupLease& operator=(const CgroupLease&) = delete;
  ~CgroupLease();

  bool active() const { return !dirs_.empty(); }
  const std::vector<std::string>& dirs() const { return dirs_; }
  // The cgroup.procs files a child writes itself into.
  std::vector<std::string> procs_files() const;
  // Processes in the leaf now (v1: the union over hierarchies).
  std::vector<int> pids() const;
  // How often the kernel's OOM killer struck inside the leaf.
  std::optional<std::uint64_t> oom_kills() const;
  // Kills everything in the leaves and removes them. Waits at most ~0.5 s
  // for the killed processes to exit; false with `error` if a leaf remains.
  bool release(std::string* error = nullptr);

 private:
  friend std::size_t sweep_stale_cgroup_leaves(const CgroupSetup& setup);

  CgroupVersion version_ = CgroupVersion::kNone;
  bool kill_file_ = false;
  std::string memory_dir_;  // the leaf that has memory.* files, if any
  std::vector<std::string> dirs_;
};

// The leaf name for an attempt: "w<pid>-<task id, sanitised>-<attempt>".
std::string cgroup_leaf_name(int worker_pid, const std::string& task_id, std::uint32_t attempt);

// Kills and removes leaves left by workers that are no longer running (a
// crash skips the leases' destructors). Returns how many were removed.
std::size_t sweep_stale_cgroup_leaves(const CgroupSetup& setup);

}  // namespace zfleet::worker
