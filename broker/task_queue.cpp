// TaskQueue: priority order, project fairness and limits; see task_queue.hpp.
#include "broker/task_queue.hpp"

#include <algorithm>

#include "common/check.hpp"

namespace zfleet::broker {

TaskQueue::Project& TaskQueue::project_for(const std::string& name) {
  auto it = projects_.find(name);
  if (it == projects_.end()) {
    auto p = std::make_unique<Project>();
    p->name = name;
    p->counters.limit = default_limit_;
    it = projects_.emplace(name, std::move(p)).first;
  }
  return *it->second;
}

void TaskQueue::enter_rings(Project& p) {
  if (p.at_limit()) return;
  for (std::size_t prio = 0; prio < kPriorityLevels; ++prio) {
    if (!p.by_priority[prio].empty() && !p.in_ring[prio]) {
      rings_[prio].push_back(&p);
      p.in_ring[prio] = true;
    }
  }
}

void TaskQueue::push(const std::string& project, std::uint32_t priority, std::uint64_t id) {
  ZFLEET_CHECK(priority < kPriorityLevels, "a queued priority indexes by_priority");
  Project& p = project_for(project);
  p.by_priority[priority].push_back(id);
  ++p.counters.queued;
  ++queued_;
  enter_rings(p);
}

void TaskQueue::push_front(const std::string& project, std::uint32_t priority, std::uint64_t id) {
  ZFLEET_CHECK(priority < kPriorityLevels, "a queued priority indexes by_priority");
  Project& p = project_for(project);
  p.by_priority[priority].push_front(id);
  ++p.counters.queued;
  ++queued_;
  enter_rings(p);
}

std::optional<TaskQueue::Popped> TaskQueue::pop() {
  for (std::size_t prio = kPriorityLevels; prio-- > 0;) {
    auto& ring = rings_[prio];
    while (!ring.empty()) {
      Project* p = ring.front();
      ring.pop_front();
      p->in_ring[prio] = false;
      auto& queue = p->by_priority[prio];
      if (queue.empty() || p->at_limit()) continue;  // stale entry: dropped
      const std::uint64_t id = queue.front();
      queue.pop_front();
      --p->counters.queued;
      --queued_;
      ++p->counters.running;
      if (p->counters.running > p->counters.peak_running) {
        p->counters.peak_running = p->counters.running;
      }
      // Back of the ring: the next pop at this priority serves another project.
      if (!queue.empty() && !p->at_limit()) {
        ring.push_back(p);
        p->in_ring[prio] = true;
      }
      return Popped{id, p->name};
    }
  }
  return std::nullopt;
}

void TaskQueue::release(const std::string& project) {
  Project& p = project_for(project);
  // Tolerated, not checked: the broker releases on every ending path, and a
  // stray release must not take the daemon down; it only cannot go below 0.
  if (p.counters.running > 0) --p.counters.running;
  enter_rings(p);
}

bool TaskQueue::remove(const std::string& project, std::uint32_t priority, std::uint64_t id) {
  auto it = projects_.find(project);
  if (it == projects_.end() || priority >= kPriorityLevels) return false;
  Project& p = *it->second;
  auto& queue = p.by_priority[priority];
  auto pos = std::find(queue.begin(), queue.end(), id);
  if (pos == queue.end()) return false;
  queue.erase(pos);  // a ring entry left for an emptied queue is dropped lazily
  --p.counters.queued;
  --queued_;
  return true;
}

void TaskQueue::adopt(const std::string& project) {
  Project& p = project_for(project);
  ++p.counters.running;
  p.counters.peak_running = std::max(p.counters.peak_running, p.counters.running);
}

void TaskQueue::record_final(const std::string& project, msg::TaskState state) {
  ProjectCounters& c = project_for(project).counters;
  switch (state) {
    case msg::TaskState::kSucceeded:
      ++c.succeeded;
      break;
    case msg::TaskState::kFailed:
      ++c.failed;
      break;
    case msg::TaskState::kDead:
      ++c.dead;
      break;
    case msg::TaskState::kCancelled:
      ++c.cancelled;
      break;
    default:
      break;
  }
}

void TaskQueue::set_limit(const std::string& project, std::uint32_t limit) {
  Project& p = project_for(project);
  p.counters.limit = limit;
  enter_rings(p);  // a raised limit may unpark it; a lowered one parks lazily
}

std::vector<std::pair<std::string, ProjectCounters>> TaskQueue::projects() const {
  std::vector<std::pair<std::string, ProjectCounters>> out;
  out.reserve(projects_.size());
  for (const auto& [name, p] : projects_)
    out.emplace_back(name, p->counters);
  return out;
}

const ProjectCounters* TaskQueue::project(const std::string& name) const {
  auto it = projects_.find(name);
  return it == projects_.end() ? nullptr : &it->second->counters;
}

}  // namespace zfleet::broker
