// Leases: which attempt of which task a worker holds, and the fence built on
// it: only the holder of a task's current attempt may report on it or end it.
//
// A lease is written in two places on purpose, and this class keeps them in
// step: the task names its holder (worker_identity) and its current attempt
// (attempts), which the journal records; the holder's WorkerRecord lists the
// task (leases), so losing a worker finds its attempts and credit never
// exceeds the free slots. An attempt is held while its task is running, or
// cancelled with the attempt not yet ended (worker_identity still set).
#pragma once

#include <cstdint>

#include "broker/task_store.hpp"
#include "broker/worker_registry.hpp"

namespace zfleet::broker {

class Leases {
 public:
  Leases(TaskStore& store, WorkerRegistry& workers) : store_(store), workers_(workers) {}

  // The task whose current attempt `attempt` `w` holds, or nullptr.
  Task* held(const WorkerRecord& w, std::uint64_t task_id, std::uint32_t attempt) const;
  // Starts the next attempt of queued `task` on `w`, using one of its
  // credits; returns the attempt's number. The caller sends TASK.
  std::uint32_t grant(WorkerRecord& w, Task& task);
  // `w` runs the current attempt of `task`, which waited in the queue (its
  // worker was given up for lost, or the broker restarted): `w` holds it
  // now, as the same attempt, without using credit. The caller has taken
  // the task out of the queue.
  void adopt(WorkerRecord& w, Task& task);
  // `w` still runs the attempt it holds (after a reconnect): listed again.
  void keep(WorkerRecord& w, const Task& task) { w.leases.insert(task.id); }
  // `w` reported the end of an attempt (DONE, FAILED, REJECT): its lease
  // ends and the credit it returns counts whatever the attempt was, since
  // the slot is free either way. Returns the task if the attempt was the
  // current one `w` held, else nullptr (a stale report).
  Task* settle(WorkerRecord& w, std::uint64_t task_id, std::uint32_t attempt, std::uint32_t credit);

 private:
  TaskStore& store_;
  WorkerRegistry& workers_;
};

}  // namespace zfleet::broker
