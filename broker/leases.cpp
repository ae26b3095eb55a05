// See leases.hpp.
#include "broker/leases.hpp"

namespace zfleet::broker {

Task* Leases::held(const WorkerRecord& w, std::uint64_t task_id, std::uint32_t attempt) const {
  Task* task = store_.find(task_id);
  const bool current =
      task != nullptr && task->worker_identity == w.identity && task->attempts == attempt &&
      (task->state == msg::TaskState::kRunning || task->state == msg::TaskState::kCancelled);
  return current ? task : nullptr;
}

std::uint32_t Leases::grant(WorkerRecord& w, Task& task) {
  ++task.attempts;
  task.state = msg::TaskState::kRunning;
  task.worker_identity = w.identity;
  task.worker_name = w.name;
  task.started_at_ms = 0;
  store_.saved(task);
  workers_.lease(w, task.id);
  return task.attempts;
}

void Leases::adopt(WorkerRecord& w, Task& task) {
  task.state = msg::TaskState::kRunning;
  task.worker_identity = w.identity;
  task.worker_name = w.name;
  store_.saved(task);
  w.leases.insert(task.id);
}

Task* Leases::settle(WorkerRecord& w, std::uint64_t task_id, std::uint32_t attempt,
                     std::uint32_t credit) {
  Task* task = held(w, task_id, attempt);
  workers_.unlease(w, task_id);
  workers_.add_credit(w, credit);
  return task;
}

}  // namespace zfleet::broker
