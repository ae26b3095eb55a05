// ExecutorFactory: how the Reactor gets an executor for every kind of task
// without naming one. The daemon's top layer (task_kinds.cpp) supplies the
// factory; ExecutorContext is what the Reactor owns and lends to the
// executors, and ExecutorSet owns them with the registry that routes to them.
// Invariants: everything the context refers to outlives the set the factory
// returns (the Reactor declares it after them); a set's registry only points
// at executors the set itself owns.
#pragma once

#include <functional>
#include <memory>

#include "common/clock.hpp"
#include "worker/core/executor.hpp"
#include "worker/core/worker_config.hpp"
#include "worker/policy/worker_policy.hpp"
#include "worker/sandbox/spawner.hpp"
#include "worker/sandbox/task_environment.hpp"
#include "worker/sandbox/uid_pool.hpp"
#include "worker/sandbox/work_area.hpp"

namespace zfleet::worker {

class Sandbox;

struct ExecutorContext {
  const WorkerConfig& config;
  const Clock& clock;
  WorkArea& area;
  TaskEnvironment& env;
  Sandbox* sandbox;  // null: tasks run unconfined (--no-sandbox)
  UidPool* uids;     // null: tasks keep the worker's uid or 'nobody'
  Spawner* spawner;  // null: the real one
  const WorkerPolicy& policy;
};

class ExecutorSet {
 public:
  virtual ~ExecutorSet() = default;
  ExecutorRegistry& registry() { return registry_; }
  const ExecutorRegistry& registry() const { return registry_; }

 protected:
  ExecutorRegistry registry_;
};

using ExecutorFactory = std::function<std::unique_ptr<ExecutorSet>(const ExecutorContext&)>;

}  // namespace zfleet::worker
