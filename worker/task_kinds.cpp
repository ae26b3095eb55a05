// TaskKinds; see task_kinds.hpp.
#include "worker/task_kinds.hpp"

#include <algorithm>

namespace zfleet::worker {

namespace {

RunnerOptions runner_options(const WorkerConfig& config) {
  RunnerOptions o;
  o.default_timeout = Millis(config.default_timeout_ms);
  o.grace = Millis(config.grace_ms);
  o.http_fetch = config.http_fetch;
  return o;
}

ModulePoolOptions module_options(const WorkerConfig& config) {
  ModulePoolOptions o;
  o.modules_dir = config.modules_dir;
  o.runner_path = config.module_runner;
  // Under the work directory, not a fresh one in /tmp: a worker killed
  // with SIGKILL cannot remove what it made, and its next life sweeps here.
  o.work_dir = config.work_dir + "/modules";
  o.max_tasks_per_runner = config.module_max_tasks;
  o.max_runner_rss_kb = config.module_max_rss_mb * 1024;
  o.max_idle_runners = std::max<std::size_t>(2, config.slots);
  return o;
}

ModuleExecutorOptions module_executor_options(const WorkerConfig& config) {
  ModuleExecutorOptions o;
  o.default_timeout = Millis(config.default_timeout_ms);
  o.sandbox = config.sandbox;
  return o;
}

}  // namespace

TaskKinds::TaskKinds(const ExecutorContext& c)
    : children_(c.clock, runner_options(c.config), c.area, c.env, c.sandbox, c.uids, c.spawner,
                c.policy),
      modules_(c.clock, module_options(c.config), module_executor_options(c.config), c.sandbox,
               c.policy) {
  const WorkerConfig& config = c.config;
  registry_.add("shell", children_);
  registry_.add("module", modules_, !config.modules_dir.empty() && !config.module_runner.empty());
  registry_.add("http", children_, !config.http_fetch.empty());
}

std::unique_ptr<ExecutorSet> make_task_kinds(const ExecutorContext& context) {
  return std::make_unique<TaskKinds>(context);
}

}  // namespace zfleet::worker
