// Executor: what the worker core needs from any kind of task (start an
// attempt, cancel, suspend/resume, poll its fds and deadlines, collect what
// finished, sample usage for heartbeats, list its children for the state
// file), and ExecutorRegistry, which maps each kind (TaskSpec::type) to the
// executor that runs it. The Reactor routes through the registry only, so a
// new kind is a new Executor registered in task_kinds.cpp.
// Invariants: an executor is single-threaded and non-blocking, driven by the
// reactor's loop; one executor may serve several kinds (shell and http share
// the TaskRunner), and the registry then lists it once in executors().
#pragma once

#include <zmq.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "common/messages.hpp"
#include "worker/core/state_file.hpp"

namespace zfleet::worker {

struct StartResult {
  bool started = false;
  std::uint64_t pid = 0;
  std::int64_t started_at_ms = 0;
  std::string error;  // why it did not start
  // Another attempt would fail the same way (missing program, not
  // executable, refused by policy): reported as cannot_exec, not retried.
  bool permanent = false;
};

struct FinishedAttempt {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  bool shutdown = false;  // ended by the worker's own shutdown, not by the task
                          // (outcome.cancelled: ended because the broker cancelled it)
  msg::Outcome outcome;
};

class Executor {
 public:
  virtual ~Executor() = default;

  // Starts the attempt (STARTED follows when `started`).
  virtual StartResult start(const msg::TaskAssignment& task) = 0;
  virtual std::size_t running() const = 0;
  virtual bool holds(std::uint64_t task_id, std::uint32_t attempt) const = 0;
  // False when the attempt is not running here. A cancelled attempt still
  // finishes through take_finished(), with outcome.cancelled set.
  virtual bool cancel(std::uint64_t task_id, std::uint32_t attempt, TimePoint now) = 0;
  // False when not running here, already in that state, or the kind cannot
  // be suspended.
  virtual bool suspend(std::uint64_t, std::uint32_t, TimePoint) { return false; }
  virtual bool resume(std::uint64_t, std::uint32_t, TimePoint) { return false; }
  // Worker shutdown: the attempts finish with `shutdown` set.
  virtual void stop_all(bool kill_now) = 0;

  // Appends the fds to watch; on_poll() then gets the same items back
  // (after zmq::poll) before anything else changes the executor.
  virtual void append_poll_items(std::vector<zmq_pollitem_t>&) {}
  virtual void on_poll(const zmq_pollitem_t*, std::size_t) {}
  // Without pidfds: a SIGCHLD arrived, look for exits.
  virtual void check_exits() {}
  virtual void on_timer(TimePoint) {}
  virtual std::optional<TimePoint> next_deadline() const { return std::nullopt; }
  // Whether it has live output due at the next output flush.
  virtual bool streams_output() const { return false; }

  // Each appends what happened since the last call.
  virtual void take_finished(std::vector<FinishedAttempt>& out) = 0;
  virtual void take_events(std::vector<msg::Event>&) {}
  virtual void take_output(std::vector<msg::OutputChunk>&) {}
  // One entry per running attempt, for the heartbeat.
  virtual void activity(TimePoint, std::vector<msg::TaskActivity>&) const {}
  // The attempts held, for READY.
  virtual void leases(std::vector<msg::LeaseRef>& out) const = 0;

  // The live children, for the state file (appending).
  virtual void children(std::vector<ChildRecord>&) const {}
  // Whether the children changed since the last call.
  virtual bool take_children_changed() { return false; }
};

class ExecutorRegistry {
 public:
  // Routes `kind` to `executor`, which must outlive the registry. An
  // unadvertised kind is still routed (its start can say why it fails
  // here) but is left out of kinds(). Throws std::invalid_argument for a
  // kind registered twice.
  void add(std::string kind, Executor& executor, bool advertised = true);

  // Null when no executor runs `kind`.
  Executor* find(std::string_view kind) const;
  // The advertised kinds, in registration order (READY's task_types).
  std::vector<std::string> kinds() const;
  // Every executor once, in registration order.
  const std::vector<Executor*>& executors() const { return executors_; }

  // Across every executor.
  std::size_t running() const;
  bool holds(std::uint64_t task_id, std::uint32_t attempt) const;
  // The first executor holding the attempt acts; false when none does.
  bool cancel(std::uint64_t task_id, std::uint32_t attempt, TimePoint now);
  bool suspend(std::uint64_t task_id, std::uint32_t attempt, TimePoint now);
  bool resume(std::uint64_t task_id, std::uint32_t attempt, TimePoint now);

 private:
  // The executor running the attempt, or nullptr.
  Executor* holder(std::uint64_t task_id, std::uint32_t attempt) const;

  struct Entry {
    std::string kind;
    Executor* executor;
    bool advertised;
  };
  std::vector<Entry> entries_;
  std::vector<Executor*> executors_;
};

}  // namespace zfleet::worker
