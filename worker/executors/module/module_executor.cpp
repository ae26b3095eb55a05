// ModuleExecutor; see module_executor.hpp.
#include "worker/executors/module/module_executor.hpp"

#include <algorithm>

namespace zfleet::worker {

ModuleExecutor::ModuleExecutor(const Clock& clock, ModulePoolOptions pool,
                               ModuleExecutorOptions options, Sandbox* sandbox,
                               const WorkerPolicy& policy)
    : clock_(clock),
      pool_(clock, pool, sandbox),
      options_(options),
      policy_(policy),
      modules_dir_(pool.modules_dir) {}

StartResult ModuleExecutor::start(const msg::TaskAssignment& task) {
  StartResult started;
  if (modules_dir_.empty()) {
    started.error = "this worker serves no modules (--modules-dir)";
    started.started_at_ms = clock_.wall_ms();
    return started;
  }
  const auto policy = policy_.resolve(task.spec.project, task.spec.sandbox);
  ModuleJob job;
  job.task_id = task.task_id;
  job.attempt = task.attempt;
  job.module = task.spec.module;
  // An absent args field means nil.
  job.args = task.spec.args.empty() ? std::string(1, '\xc0') : task.spec.args;
  job.timeout = task.spec.timeout_ms != 0 ? Millis(task.spec.timeout_ms) : options_.default_timeout;
  // A runner serves one project under one policy: tasks of other projects
  // never share its memory.
  job.pool_key = task.spec.project + "|" + describe(policy.sandbox);
  job.policy = options_.sandbox ? &policy.sandbox : nullptr;
  started.started = pool_.start(job, started.error);
  started.started_at_ms = clock_.wall_ms();
  return started;
}

void ModuleExecutor::take_finished(std::vector<FinishedAttempt>& out) {
  done_.clear();
  pool_.take_finished(done_);
  for (auto& m : done_) {
    FinishedAttempt f;
    f.task_id = m.task_id;
    f.attempt = m.attempt;
    f.shutdown = m.shutdown;
    auto& o = f.outcome;
    o.exit_code = m.ok ? 0 : 1;
    if (m.runner_signal) {
      o.exit_code.reset();
      o.signal = m.runner_signal;
    }
    o.timed_out = m.timed_out;
    o.cancelled = m.cancelled;
    o.result = std::move(m.result);
    o.stderr_tail = std::move(m.stderr_tail);
    if (!m.ok && !m.error.empty()) {
      if (!o.stderr_tail.empty() && o.stderr_tail.back() != '\n') o.stderr_tail += '\n';
      o.stderr_tail += m.error + "\n";
    }
    o.stderr_bytes = o.stderr_tail.size();
    o.started_at_ms = m.started_at_ms;
    o.finished_at_ms = m.finished_at_ms;
    o.user_cpu_ms = m.cpu_ms;
    o.max_rss_kb = o.peak_rss_kb = m.rss_kb;
    out.push_back(std::move(f));
  }
}

void ModuleExecutor::take_events(std::vector<msg::Event>& out) {
  progress_.clear();
  pool_.take_progress(progress_);
  for (auto& p : progress_) {
    msg::Event e;
    e.kind = "progress";
    e.at_ms = clock_.wall_ms();
    e.task_id = p.task_id;
    e.attempt = p.attempt;
    e.percent = std::clamp(p.percent, 0, 100);
    e.message = std::move(p.message);
    out.push_back(std::move(e));
  }
}

void ModuleExecutor::leases(std::vector<msg::LeaseRef>& out) const {
  std::vector<ChildRecord> runners;
  pool_.children(runners);
  for (const auto& c : runners) {
    if (c.task_id != 0) out.push_back({c.task_id, c.attempt});
  }
}

bool ModuleExecutor::take_children_changed() {
  if (pool_.runners_started() == runners_seen_) return false;
  runners_seen_ = pool_.runners_started();
  return true;
}

}  // namespace zfleet::worker
