// TaskEnvironment builds the environment block a child receives: the worker's
// own environment (snapshot at start) plus the task's additions, which win
// over inherited variables of the same name. Kept on its own because it is
// where scrubbing and policy will grow. The block is built in the parent,
// before the vfork, so the child only reads prepared memory.
#pragma once

#include <string>
#include <vector>

#include "common/codec.hpp"

namespace zfleet::worker {

class TaskEnvironment {
 public:
  // Snapshot of the worker's environment.
  TaskEnvironment();
  // A fixed base of "NAME=value" entries (tests).
  explicit TaskEnvironment(std::vector<std::string> base);
  TaskEnvironment(const TaskEnvironment&) = delete;
  TaskEnvironment& operator=(const TaskEnvironment&) = delete;

  // A NULL-terminated envp for execve, valid until the next call. Without
  // additions it is the prepared base and costs nothing per task.
  char** build(const codec::StringPairs& additions);

 private:
  static void point_at(std::vector<std::string>& entries, std::vector<char*>& pointers);

  std::vector<std::string> base_;
  std::vector<char*> base_pointers_;
  // Reused across tasks so that building an environment rarely allocates.
  std::vector<std::string> merged_;
  std::vector<char*> merged_pointers_;
};

}  // namespace zfleet::worker
