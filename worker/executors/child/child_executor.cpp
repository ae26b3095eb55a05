// ChildExecutor; see child_executor.hpp.
#include "worker/executors/child/child_executor.hpp"

namespace zfleet::worker {

ChildExecutor::ChildExecutor(const Clock& clock, RunnerOptions options, WorkArea& area,
                             TaskEnvironment& env, Sandbox* sandbox, UidPool* uids,
                             Spawner* spawner, const WorkerPolicy& policy)
    : runner_(clock, std::move(options), area, env, sandbox, uids, spawner), policy_(policy) {}

StartResult ChildExecutor::start(const msg::TaskAssignment& task) {
  return runner_.start(task, policy_.resolve(task.spec.project, task.spec.sandbox,
                                             task.spec.http.allow, task.spec.http.deny));
}

void ChildExecutor::leases(std::vector<msg::LeaseRef>& out) const {
  const auto mine = runner_.leases();
  out.insert(out.end(), mine.begin(), mine.end());
}

void ChildExecutor::children(std::vector<ChildRecord>& out) const {
  // TaskRunner::children() replaces its argument; executors append.
  std::vector<ChildRecord> mine;
  runner_.children(mine);
  out.insert(out.end(), mine.begin(), mine.end());
}

}  // namespace zfleet::worker
