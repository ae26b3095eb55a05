// Attempt: everything the TaskRunner holds for one running attempt — its
// child, pipes and output, its sandbox (cgroup leaves, directory, uid), the
// monitor watching it, and what is due to the broker (events, output
// chunks). Plain state: the TaskRunner's files own the behaviour.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/messages.hpp"
#include "worker/monitor/output_tail.hpp"
#include "worker/monitor/progress_parser.hpp"
#include "worker/monitor/task_monitor.hpp"
#include "worker/sandbox/child_process.hpp"
#include "worker/sandbox/sandbox.hpp"
#include "worker/sandbox/termination_schedule.hpp"
#include "worker/sandbox/unique_fd.hpp"

namespace zfleet::worker {

// One output stream of the child.
struct StreamState {
  explicit StreamState(std::size_t cap) : tail(cap) {}
  UniqueFd fd;
  OutputTail tail;
  ProgressParser progress;
  bool live = true;     // streamed to the broker and parsed for markers
  std::string pending;  // read since the last OUTPUT chunk, at most one chunk
  std::uint64_t pending_offset = 0;
  bool polled = false;
};

struct Attempt {
  Attempt(std::uint64_t task, std::uint32_t number, std::size_t cap,
          TerminationSchedule termination, MonitorPolicy monitor_policy, TimePoint now)
      : task_id(task),
        attempt(number),
        out(cap),
        err(cap),
        schedule(termination),
        monitor_policy(monitor_policy),
        monitor(monitor_policy, now) {}

  std::uint64_t task_id;
  std::uint32_t attempt;
  std::string type;  // shell or http
  std::optional<ChildProcess> child;
  UniqueFd stdin_fd;
  std::string stdin_data;
  std::size_t stdin_offset = 0;
  StreamState out;
  StreamState err;
  TerminationSchedule schedule;
  MonitorPolicy monitor_policy;
  TaskMonitor monitor;

  std::string work_dir;  // ours to remove; empty when the task named its cwd and sent no files
  std::optional<PreparedSandbox> sandbox;
  std::optional<uid_t> pool_uid;  // returned to the UidPool after the reap
  std::optional<std::uint64_t> cpu_limit_s;
  std::uint64_t memory_limit_bytes = 0;  // the limit it runs under, for the outcome; 0: none
  Millis timeout{0};                     // 0: none

  std::int64_t started_at_ms = 0;
  std::optional<TimePoint> suspended_at;
  std::string killed_by;  // memory, stall, cpu, oom
  bool shutdown = false;
  bool cancelled = false;
  bool done = false;
  bool polled_stdin = false;
  bool polled_exit = false;
};

}  // namespace zfleet::worker
