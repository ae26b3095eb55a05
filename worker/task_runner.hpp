// TaskRunner owns the attempts running on this worker: it spawns each task's
// child with its pipes and directory, feeds stdin, collects the output tails,
// enforces timeouts through a TerminationSchedule, and turns an exit into a
// finished result. It knows no sockets: the reactor polls the fds it lists
// and hands back what became ready, and takes the finished results.
#pragma once

#include <zmq.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "common/messages.hpp"
#include "worker/child_process.hpp"
#include "worker/output_tail.hpp"
#include "worker/state_file.hpp"
#include "worker/task_environment.hpp"
#include "worker/termination_schedule.hpp"
#include "worker/unique_fd.hpp"
#include "worker/work_area.hpp"

namespace zfleet::worker {

struct RunnerOptions {
  Millis default_timeout{0};             // for tasks with timeout_ms 0; 0: none
  Millis grace{5000};                    // for tasks with grace_ms 0
  std::size_t read_budget = 256 * 1024;  // bytes per stream per loop turn
};

struct StartResult {
  bool started = false;
  std::uint64_t pid = 0;
  std::int64_t started_at_ms = 0;
  std::string error;  // why it did not start
};

struct FinishedAttempt {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  bool shutdown = false;  // ended by the worker's own shutdown, not by the task
                          // (outcome.cancelled: ended because the broker cancelled it)
  msg::Outcome outcome;
};

class TaskRunner {
 public:
  TaskRunner(const Clock& clock, RunnerOptions options, WorkArea& area, TaskEnvironment& env);
  ~TaskRunner();
  TaskRunner(const TaskRunner&) = delete;
  TaskRunner& operator=(const TaskRunner&) = delete;

  StartResult start(const msg::TaskAssignment& task);

  std::size_t running() const { return attempts_.size(); }
  bool holds(std::uint64_t task_id, std::uint32_t attempt) const;
  std::vector<msg::LeaseRef> leases() const;

  // Appends one poll item per fd to watch; on_poll() must then get the same
  // items back (after zmq::poll) before anything else changes the runner.
  void append_poll_items(std::vector<zmq_pollitem_t>& items);
  void on_poll(const zmq_pollitem_t* items, std::size_t count);
  // Without pidfds: a SIGCHLD arrived, look for exits.
  void check_exits();
  void on_timer(TimePoint now);
  std::optional<TimePoint> next_deadline() const;

  // Worker shutdown: SIGTERM every group now (SIGKILL after the grace), or
  // SIGKILL at once. The attempts finish with `shutdown` set.
  void stop_all(bool kill_now);
  // The broker cancelled this attempt: SIGTERM its group now and SIGKILL it
  // after its grace period, as at a timeout (an escalation already under way
  // keeps its pace). It finishes with outcome.cancelled set. False when the
  // attempt is not running here.
  bool cancel(std::uint64_t task_id, std::uint32_t attempt, TimePoint now);

  // The running children, for the state file.
  void children(std::vector<ChildRecord>& out) const;
  // Whether a child started or ended since the last call.
  bool take_children_changed() { return std::exchange(children_changed_, false); }

  // Moves the results finished so far to `out` (appending).
  void take_finished(std::vector<FinishedAttempt>& out);

 private:
  struct Attempt;
  void finish(Attempt& attempt, const ExitStatus& status);
  void feed_stdin(Attempt& attempt);
  static void apply(Attempt& attempt, KillStep step);

  const Clock& clock_;
  RunnerOptions options_;
  WorkArea& area_;
  TaskEnvironment& env_;
  std::vector<std::unique_ptr<Attempt>> attempts_;
  std::vector<FinishedAttempt> finished_;
  bool children_changed_ = false;
};

}  // namespace zfleet::worker
