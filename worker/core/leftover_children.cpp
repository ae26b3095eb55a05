// Ending a previous life's children; see leftover_children.hpp.
#include "worker/core/leftover_children.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <thread>

#include <spdlog/spdlog.h>

#include "worker/sandbox/proc_stat.hpp"
#include "worker/sandbox/unique_fd.hpp"

namespace zfleet::worker {

namespace {

// pidfd_send_signal(2) flag (Linux 6.9): signal the process group of the
// pidfd's process. Older kernels answer EINVAL and kill(-pid) is used.
constexpr unsigned kSignalProcessGroup = 1U << 2;
constexpr Millis kPollInterval{10};

// True when `pid` still names the process recorded: alive (not a zombie)
// and started at `start_time`.
bool is_ours(pid_t pid, std::uint64_t start_time) {
  const auto stat = read_proc_stat(pid);
  return stat && !stat->dead() && stat->start_time == start_time;
}

// SIGKILLs the group led by `pid`, which was checked to be ours. A pidfd
// pins that exact process, so on kernels that can signal a group through it
// no reused pid can be hit; otherwise kill(-pid) is sent while the leader is
// alive, and a live leader keeps its group id from being reused.
void kill_group(pid_t pid, std::uint64_t start_time) {
#if defined(SYS_pidfd_open) && defined(SYS_pidfd_send_signal)
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd) {
    // Checked again after the pidfd is taken: it now names this process.
    if (!is_ours(pid, start_time)) return;
    if (::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, kSignalProcessGroup) == 0) {
      return;
    }
    // Older kernel: the leader was alive just above, so the group id is its.
    ::kill(-pid, SIGKILL);
    ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0U);
    return;
  }
#endif
  if (!is_ours(pid, start_time)) return;
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
}

// The groups among `groups` that still have a live member. One pass over
// /proc; start-up only.
std::vector<pid_t> live_groups(const std::vector<pid_t>& groups) {
  std::vector<pid_t> live;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return live;
  while (const dirent* entry = ::readdir(dir)) {
    pid_t pid = 0;
    const char* end = entry->d_name + std::strlen(entry->d_name);
    if (std::from_chars(entry->d_name, end, pid).ptr != end) continue;
    const auto stat = read_proc_stat(pid);
    if (!stat || stat->dead()) continue;
    if (std::find(groups.begin(), groups.end(), stat->pgrp) != groups.end() &&
        std::find(live.begin(), live.end(), stat->pgrp) == live.end()) {
      live.push_back(stat->pgrp);
    }
  }
  ::closedir(dir);
  return live;
}

}  // namespace

LeftoverReport end_leftover_children(const std::vector<ChildRecord>& records, Millis wait_limit) {
  LeftoverReport report;
  std::vector<pid_t> killed;
  for (const auto& r : records) {
    const auto stat = read_proc_stat(r.pid);
    if (!stat || stat->dead()) {
      ++report.gone;
      spdlog::info("previous life: task {} attempt {} (pid {}) has ended", r.task_id, r.attempt,
                   r.pid);
      continue;
    }
    if (r.start_time == 0 || r.pid <= 1 || r.pid == ::getpid()) {
      ++report.unknown;
      spdlog::warn(
          "previous life: task {} attempt {} (pid {}) has no usable start time; left alone",
          r.task_id, r.attempt, r.pid);
      continue;
    }
    if (stat->start_time != r.start_time) {
      ++report.reused;
      spdlog::info("previous life: pid {} of task {} is another process now; left alone", r.pid,
                   r.task_id);
      continue;
    }
    spdlog::warn("previous life: task {} attempt {} still runs as pid {}; killing its group",
                 r.task_id, r.attempt, r.pid);
    kill_group(r.pid, r.start_time);
    killed.push_back(r.pid);
    ++report.killed;
  }
  if (killed.empty()) return report;

  // They are not our children (init reaps them): watch /proc until every
  // leader and every member of its group is gone or a zombie.
  const auto deadline = std::chrono::steady_clock::now() + wait_limit;
  std::vector<pid_t> left = killed;
  for (;;) {
    left = live_groups(left);
    if (left.empty() || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(kPollInterval);
  }
  report.survived = left.size();
  for (pid_t pgid : left)
    spdlog::error("previous life: process group {} survived SIGKILL for {} ms", pgid,
                  wait_limit.count());
  return report;
}

}  // namespace zfleet::worker
