// Ending the children of a previous life. A worker killed with -9 leaves its
// task children running (each called setsid()). When it starts again
// with the same state file, it reads the records of that life and, for each
// one whose pid is alive with the recorded start time, kills the whole
// process group and waits (bounded) for it to go. A pid whose start time
// differs belongs to another process now and is never touched. The broker
// requeues those tasks: the new registration does not list them.
#pragma once

#include <cstddef>
#include <vector>

#include "common/clock.hpp"
#include "worker/core/state_file.hpp"

namespace zfleet::worker {

struct LeftoverReport {
  std::size_t killed = 0;    // groups whose leader was still ours: SIGKILLed
  std::size_t gone = 0;      // already ended
  std::size_t reused = 0;    // the pid names another process now: left alone
  std::size_t unknown = 0;   // no start time was recorded: left alone
  std::size_t survived = 0;  // killed but still alive after `wait_limit`
};

// Kills what is left of `records` and waits up to `wait_limit` for it to go.
// Logs each finding. Start-up only: it polls /proc with short sleeps.
LeftoverReport end_leftover_children(const std::vector<ChildRecord>& records, Millis wait_limit);

}  // namespace zfleet::worker
