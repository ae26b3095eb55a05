// TaskKinds: the kinds of task this worker runs, each registered by name in
// an ExecutorRegistry: "shell" and "http" on one ChildExecutor (a child
// process each), "module" on a ModuleExecutor (long-lived runners). The one
// file that names the kinds the Reactor routes; "noop" is the Reactor's own
// special case (no executor: it completes at once). A kind this worker
// cannot serve (no --http-fetch, no modules) stays routed, so its start
// fails saying why, but is not advertised in READY. The daemon hands
// make_task_kinds to the Reactor as its ExecutorFactory, so the worker core
// below this file knows no kind by name.
#pragma once

#include <memory>

#include "worker/core/executor.hpp"
#include "worker/core/executor_factory.hpp"
#include "worker/core/worker_config.hpp"
#include "worker/executors/child/child_executor.hpp"
#include "worker/executors/module/module_executor.hpp"

namespace zfleet::worker {

class TaskKinds final : public ExecutorSet {
 public:
  // What `context` refers to must outlive this object.
  explicit TaskKinds(const ExecutorContext& context);
  TaskKinds(const TaskKinds&) = delete;
  TaskKinds& operator=(const TaskKinds&) = delete;

 private:
  ChildExecutor children_;
  ModuleExecutor modules_;
};

// The ExecutorFactory of the zfleet-worker daemon.
std::unique_ptr<ExecutorSet> make_task_kinds(const ExecutorContext& context);

}  // namespace zfleet::worker
