// ChildExecutor: the Executor for tasks that run as one child process each
// (shell and http), over a TaskRunner. It resolves each attempt's policy
// from the worker policy (with --sandbox off the policy still carries the
// monitor's marks) and otherwise forwards to the runner.
#pragma once

#include "worker/core/executor.hpp"
#include "worker/executors/child/task_runner.hpp"
#include "worker/policy/worker_policy.hpp"

namespace zfleet::worker {

class ChildExecutor final : public Executor {
 public:
  // `policy` must outlive the executor.
  ChildExecutor(const Clock& clock, RunnerOptions options, WorkArea& area, TaskEnvironment& env,
                Sandbox* sandbox, UidPool* uids, Spawner* spawner, const WorkerPolicy& policy);

  StartResult start(const msg::TaskAssignment& task) override;
  std::size_t running() const override { return runner_.running(); }
  bool holds(std::uint64_t task_id, std::uint32_t attempt) const override {
    return runner_.holds(task_id, attempt);
  }
  bool cancel(std::uint64_t task_id, std::uint32_t attempt, TimePoint now) override {
    return runner_.cancel(task_id, attempt, now);
  }
  bool suspend(std::uint64_t task_id, std::uint32_t attempt, TimePoint now) override {
    return runner_.suspend(task_id, attempt, now);
  }
  bool resume(std::uint64_t task_id, std::uint32_t attempt, TimePoint now) override {
    return runner_.resume(task_id, attempt, now);
  }
  void stop_all(bool kill_now) override { runner_.stop_all(kill_now); }

  void append_poll_items(std::vector<zmq_pollitem_t>& items) override {
    runner_.append_poll_items(items);
  }
  void on_poll(const zmq_pollitem_t* items, std::size_t count) override {
    runner_.on_poll(items, count);
  }
  void check_exits() override { runner_.check_exits(); }
  void on_timer(TimePoint now) override { runner_.on_timer(now); }
  std::optional<TimePoint> next_deadline() const override { return runner_.next_deadline(); }
  bool streams_output() const override { return runner_.running() > 0; }

  void take_finished(std::vector<FinishedAttempt>& out) override { runner_.take_finished(out); }
  void take_events(std::vector<msg::Event>& out) override { runner_.take_events(out); }
  void take_output(std::vector<msg::OutputChunk>& out) override { runner_.take_output(out); }
  void activity(TimePoint now, std::vector<msg::TaskActivity>& out) const override {
    runner_.activity(now, out);
  }
  void leases(std::vector<msg::LeaseRef>& out) const override;
  void children(std::vector<ChildRecord>& out) const override;
  bool take_children_changed() override { return runner_.take_children_changed(); }

 private:
  TaskRunner runner_;
  const WorkerPolicy& policy_;
};

}  // namespace zfleet::worker
