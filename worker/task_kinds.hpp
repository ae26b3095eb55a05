// TaskKinds: the kinds of task this worker runs, each registered by name in
// an ExecutorRegistry: "shell" and "http" on one ChildExecutor (a child
// process each), "module" on a ModuleExecutor (long-lived runners). The one
// file that names the kinds the Reactor routes; "noop" is the Reactor's own
// special case (no executor: it completes at once). A kind this worker
// cannot serve (no --http-fetch, no modules) stays routed, so its start
// fails saying why, but is not advertised in READY.
#pragma once

#include <vector>

#include "worker/child_executor.hpp"
#include "worker/executor.hpp"
#include "worker/module_executor.hpp"
#include "worker/worker_config.hpp"

namespace zfleet::worker {

class TaskKinds {
 public:
  // The references must outlive this object; `sandbox`, `uids` and
  // `spawner` may be null (see TaskRunner).
  TaskKinds(const WorkerConfig& config, const Clock& clock, WorkArea& area, TaskEnvironment& env,
            Sandbox* sandbox, UidPool* uids, Spawner* spawner, const WorkerPolicy& policy);
  TaskKinds(const TaskKinds&) = delete;
  TaskKinds& operator=(const TaskKinds&) = delete;

  ExecutorRegistry& registry() { return registry_; }
  const ExecutorRegistry& registry() const { return registry_; }

 private:
  ChildExecutor children_;
  ModuleExecutor modules_;
  ExecutorRegistry registry_;
};

}  // namespace zfleet::worker
