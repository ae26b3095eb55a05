// ModuleExecutor: the Executor for module tasks, over a ModulePool. It turns
// a TaskAssignment into a ModuleJob (timeout, pool key by project and
// sandbox policy), module progress into events and a ModuleOutcome into the
// FinishedAttempt every kind reports. Module tasks cannot be suspended.
#pragma once

#include "worker/core/executor.hpp"
#include "worker/executors/module/module_pool.hpp"
#include "worker/policy/worker_policy.hpp"

namespace zfleet::worker {

struct ModuleExecutorOptions {
  Millis default_timeout{0};  // for tasks with timeout_ms 0; 0: none
  bool sandbox = true;        // --sandbox: confine runners by the attempt's policy
};

class ModuleExecutor final : public Executor {
 public:
  // `policy` must outlive the executor.
  ModuleExecutor(const Clock& clock, ModulePoolOptions pool, ModuleExecutorOptions options,
                 Sandbox* sandbox, const WorkerPolicy& policy);

  StartResult start(const msg::TaskAssignment& task) override;
  std::size_t running() const override { return pool_.running(); }
  bool holds(std::uint64_t task_id, std::uint32_t attempt) const override {
    return pool_.holds(task_id, attempt);
  }
  bool cancel(std::uint64_t task_id, std::uint32_t attempt, TimePoint) override {
    return pool_.cancel(task_id, attempt);
  }
  // Runners are killed, not stopped gracefully, whatever `kill_now` says.
  void stop_all(bool) override { pool_.stop_all(); }

  void append_poll_items(std::vector<zmq_pollitem_t>& items) override {
    pool_.append_poll_items(items);
  }
  void on_poll(const zmq_pollitem_t* items, std::size_t count) override {
    pool_.on_poll(items, count);
  }
  void check_exits() override { pool_.check_exits(); }
  void on_timer(TimePoint now) override { pool_.on_timer(now); }
  std::optional<TimePoint> next_deadline() const override { return pool_.next_deadline(); }

  void take_finished(std::vector<FinishedAttempt>& out) override;
  void take_events(std::vector<msg::Event>& out) override;
  void leases(std::vector<msg::LeaseRef>& out) const override;
  void children(std::vector<ChildRecord>& out) const override { pool_.children(out); }
  // A runner started since the last call (idle runners are in the file too).
  bool take_children_changed() override;

 private:
  const Clock& clock_;
  ModulePool pool_;
  ModuleExecutorOptions options_;
  const WorkerPolicy& policy_;
  std::string modules_dir_;
  std::uint64_t runners_seen_ = 0;
  std::vector<ModuleOutcome> done_;       // reused
  std::vector<ModuleProgress> progress_;  // reused
};

}  // namespace zfleet::worker
