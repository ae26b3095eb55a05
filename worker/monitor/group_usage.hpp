// Resource use of a whole task: the memory and CPU of every process in its
// process group (or of a list of pids, when a cgroup names them), read from
// /proc. Stateless: each call is one fresh sample.
//
// Cost: sample_process_group() reads the /proc directory once and, per
// process on the host, one small stat read; per member of the group one more
// (statm). The worker samples each task about every 500 ms, so a host with a
// few thousand processes costs a few ms of CPU per task per second; when a
// cgroup lists the task's pids, sample_pids() avoids the scan.
//
// The figures are estimates:
//   rss_kb  sums each member's resident set, so pages shared between members
//           (libraries, fork copy-on-write) count once per member; a cgroup's
//           memory.current is exact when one exists.
//   cpu_ms  sums user + system time of the members (stat fields 14, 15) plus
//           the time of their children they already reaped (fields 16, 17),
//           so the work of a short-lived helper a shell waited for is not
//           lost the moment it exits. Time of a member reaped by a process
//           outside the group is lost.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zfleet::worker {

struct GroupUsage {
  std::uint64_t rss_kb = 0;     // resident memory, KiB
  std::uint64_t cpu_ms = 0;     // CPU time used so far, ms
  std::uint32_t processes = 0;  // live (not zombie) members
};

// Every process whose process group is `pgid`. nullopt when `proc_root`
// cannot be read; a group with no processes left gives all zeros. Processes
// that vanish mid-scan are skipped.
std::optional<GroupUsage> sample_process_group(pid_t pgid, const std::string& proc_root = "/proc");

// The listed processes; pids that no longer exist are skipped. nullopt when
// `proc_root` cannot be read.
std::optional<GroupUsage> sample_pids(const std::vector<int>& pids,
                                      const std::string& proc_root = "/proc");

}  // namespace zfleet::worker
