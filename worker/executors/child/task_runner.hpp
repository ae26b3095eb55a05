// TaskRunner owns the attempts running on this worker as child processes
// (shell and http tasks): it confines each child in its Sandbox, spawns it
// with its pipes and private directory, feeds stdin, collects the output
// tails, enforces timeouts through a TerminationSchedule, watches it with a
// TaskMonitor (progress markers, output activity, stalls, memory and CPU of
// the whole group), suspends and resumes it, and turns an exit into a
// finished result. It knows no sockets: the reactor polls the fds it lists,
// hands back what became ready, and takes results, events and output chunks.
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
#include "worker/core/executor.hpp"
#include "worker/core/state_file.hpp"
#include "worker/executors/child/attempt.hpp"
#include "worker/policy/worker_policy.hpp"
#include "worker/sandbox/sandbox.hpp"
#include "worker/sandbox/spawner.hpp"
#include "worker/sandbox/task_environment.hpp"
#include "worker/sandbox/task_home.hpp"
#include "worker/sandbox/uid_pool.hpp"
#include "worker/sandbox/work_area.hpp"

namespace zfleet::worker {

struct RunnerOptions {
  Millis default_timeout{0};                            // for tasks with timeout_ms 0; 0: none
  Millis grace{5000};                                   // for tasks with grace_ms 0
  std::size_t read_budget = 256 * 1024;                 // bytes per stream per loop turn
  std::string http_fetch;                               // the zfleet-http-fetch binary
  std::size_t chunk_cap = proto::kMaxOutputChunkBytes;  // live output per stream per flush
};

class TaskRunner {
 public:
  // `sandbox` and `uids` may be null: children then run unconfined (beyond
  // their own session) as the worker's uid, with the worker's environment.
  // `spawner` starts the children; null: the real one (process_spawner()).
  TaskRunner(const Clock& clock, RunnerOptions options, WorkArea& area, TaskEnvironment& env,
             Sandbox* sandbox = nullptr, UidPool* uids = nullptr, Spawner* spawner = nullptr);
  ~TaskRunner();
  TaskRunner(const TaskRunner&) = delete;
  TaskRunner& operator=(const TaskRunner&) = delete;

  // Starts a shell or http task under `policy`.
  StartResult start(const msg::TaskAssignment& task, const AttemptPolicy& policy);
  // Without a policy: unconfined, no monitor marks (tests, --sandbox off).
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
  // Timeouts, usage samples, stall checks.
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
  // SIGSTOP / SIGCONT of the attempt's group. Time suspended counts neither
  // towards its timeout nor towards a stall. False when not running here (or
  // already in that state).
  bool suspend(std::uint64_t task_id, std::uint32_t attempt, TimePoint now);
  bool resume(std::uint64_t task_id, std::uint32_t attempt, TimePoint now);

  // The running children, for the state file.
  void children(std::vector<ChildRecord>& out) const;
  // Whether a child started or ended since the last call.
  bool take_children_changed() { return std::exchange(children_changed_, false); }

  // Moves the results finished so far to `out` (appending).
  void take_finished(std::vector<FinishedAttempt>& out);
  // Events since the last call (progress, stalled, active, resource_warning,
  // killed, suspended, resumed), oldest first.
  void take_events(std::vector<msg::Event>& out);
  // Output read since the last call, at most chunk_cap bytes per stream (the
  // rest is skipped: the next chunk's offset shows the gap).
  void take_output(std::vector<msg::OutputChunk>& out);
  // One entry per running attempt, for the heartbeat.
  void activity(TimePoint now, std::vector<msg::TaskActivity>& out) const;

 private:
  void finish(Attempt& attempt, const ExitStatus& status);
  void release_resources(Attempt& attempt);
  void feed_stdin(Attempt& attempt);
  void read_stream(Attempt& attempt, StreamState& stream, std::size_t budget, TimePoint now);
  void watch(Attempt& attempt, TimePoint now);
  // Turns what the monitor found into events (and kills, while it runs).
  void drain_monitor(Attempt& attempt, TimePoint now);
  void kill_for(Attempt& attempt, const char* reason, const std::string& message, bool at_once,
                TimePoint now);
  void event(const Attempt& attempt, std::string kind, std::string message = {});
  static void apply(Attempt& attempt, KillStep step);
  bool prepare_confinement(Attempt& attempt, const AttemptPolicy& policy, const std::string& cwd,
                           std::string& error);

  const Clock& clock_;
  RunnerOptions options_;
  WorkArea& area_;
  TaskEnvironment& env_;
  Sandbox* sandbox_;
  UidPool* uids_;
  Spawner& spawner_;
  ScrubbedEnvironment scrubbed_;
  std::vector<std::unique_ptr<Attempt>> attempts_;
  std::vector<FinishedAttempt> finished_;
  std::vector<msg::Event> events_;
  std::vector<MonitorEvent> monitor_events_;  // reused
  std::vector<ProgressMark> marks_;           // reused
  bool children_changed_ = false;
};

}  // namespace zfleet::worker
