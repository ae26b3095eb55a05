// TaskQueue decides what runs next. It holds the ids of queued tasks by
// project and priority, and each project's concurrency limit and running count.
//
// Order: the highest priority first (10..0); FIFO within one project and
// priority; round-robin between the projects that have work at the same
// priority. A project at its limit is parked: it keeps its queue but is out
// of the rotation until one of its tasks finishes. pop() therefore costs
// O(priorities) however many tasks or parked projects there are; it never
// scans the queue.
//
// Invariant: a project is in rings_[p] at most once (in_ring[p]); entries
// for parked or emptied projects are dropped lazily when they reach the front.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/messages.hpp"
#include "common/protocol.hpp"

namespace zfleet::broker {

inline constexpr std::size_t kPriorityLevels = proto::kMaxPriority + 1;

struct ProjectCounters {
  std::uint32_t limit = 0;  // 0: unlimited
  std::uint64_t queued = 0;
  std::uint64_t running = 0;
  std::uint64_t peak_running = 0;
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;
  std::uint64_t dead = 0;
  std::uint64_t cancelled = 0;
};

class TaskQueue {
 public:
  struct Popped {
    std::uint64_t id;
    std::string project;
  };

  explicit TaskQueue(std::uint32_t default_limit) : default_limit_(default_limit) {}

  void push(const std::string& project, std::uint32_t priority, std::uint64_t id);
  // Puts a task back at the head of its priority (a requeued attempt was
  // taken earliest, so it goes first).
  void push_front(const std::string& project, std::uint32_t priority, std::uint64_t id);
  // Takes the next task to dispatch and counts it as running in its project.
  std::optional<Popped> pop();
  // Takes a queued task out (cancelled, or adopted from a reconnecting
  // worker); O(tasks of that project and priority). False if it is not there.
  bool remove(const std::string& project, std::uint32_t priority, std::uint64_t id);
  // Counts a task as running without popping it (an adopted attempt).
  void adopt(const std::string& project);
  // A running task of `project` ended (finished, failed or was requeued).
  void release(const std::string& project);
  // Counts a task's final state (succeeded, failed, dead, cancelled).
  void record_final(const std::string& project, msg::TaskState state);

  void set_limit(const std::string& project, std::uint32_t limit);
  void set_default_limit(std::uint32_t limit) { default_limit_ = limit; }

  std::uint64_t queued() const { return queued_; }
  std::vector<std::pair<std::string, ProjectCounters>> projects() const;
  const ProjectCounters* project(const std::string& name) const;

 private:
  struct Project {
    std::string name;
    ProjectCounters counters;
    std::array<std::deque<std::uint64_t>, kPriorityLevels> by_priority;
    std::array<bool, kPriorityLevels> in_ring{};
    bool at_limit() const { return counters.limit != 0 && counters.running >= counters.limit; }
  };

  Project& project_for(const std::string& name);
  void enter_rings(Project& p);

  std::uint32_t default_limit_;
  std::map<std::string, std::unique_ptr<Project>> projects_;
  std::array<std::deque<Project*>, kPriorityLevels> rings_;
  std::uint64_t queued_ = 0;
};

}  // namespace zfleet::broker
