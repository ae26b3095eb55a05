// Placement: which workers may run a task, and the tasks no connected worker
// can run. A worker runs a task only if it serves the task's type ("shell",
// "module", "http", "noop", as listed in its READY) and, for a module task,
// has that module. A worker that lists no task types is taken to run
// everything (it predates the field).
//
// PlacementHold keeps queued tasks that no connected worker can run out of
// the TaskQueue, so dispatch does not pop them again every turn; they go back
// to the head of the queue, in the order they were held, when a worker that
// can run them registers. Invariant: a task id is held at most once, and a
// held task is in the kQueued state and not in the TaskQueue.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/worker_registry.hpp"
#include "common/messages.hpp"

namespace zfleet::broker {

bool can_run(const WorkerRecord& worker, const msg::TaskSpec& spec);

// Why no connected worker can take `spec`, for STATUS ("no connected worker
// has module 'x'").
std::string unplaced_reason(const msg::TaskSpec& spec, const WorkerRegistry& workers);

// What a task needs from a worker, as one comparable word: "shell",
// "module:hash"... Tasks with the same key are placeable by the same workers.
std::string placement_key(const msg::TaskSpec& spec);

class PlacementHold {
 public:
  struct Held {
    std::uint64_t id;
    std::string project;
    std::uint32_t priority;
  };

  void hold(const msg::TaskSpec& spec, std::uint64_t id);
  // Takes out every held task whose key `runnable` accepts, oldest first.
  std::vector<Held> release_if(const std::function<bool(const msg::TaskSpec&)>& runnable);
  // A held task was cancelled; false if it was not held.
  bool remove(std::uint64_t id);
  std::size_t size() const { return size_; }
  std::uint64_t held_in(const std::string& project) const;

 private:
  struct Group {
    msg::TaskSpec spec;  // a representative spec of this key (type, module)
    std::deque<Held> tasks;
  };
  std::map<std::string, Group> by_key_;
  std::unordered_map<std::uint64_t, std::string> key_of_;
  std::unordered_map<std::string, std::uint64_t> by_project_;
  std::size_t size_ = 0;
};

}  // namespace zfleet::broker
