// ExecutorRegistry; see executor.hpp.
#include "worker/core/executor.hpp"

#include <algorithm>
#include <stdexcept>

namespace zfleet::worker {

void ExecutorRegistry::add(std::string kind, Executor& executor, bool advertised) {
  if (find(kind) != nullptr) throw std::invalid_argument("task kind registered twice: " + kind);
  if (std::find(executors_.begin(), executors_.end(), &executor) == executors_.end()) {
    executors_.push_back(&executor);
  }
  entries_.push_back({std::move(kind), &executor, advertised});
}

Executor* ExecutorRegistry::find(std::string_view kind) const {
  for (const auto& e : entries_) {
    if (e.kind == kind) return e.executor;
  }
  return nullptr;
}

std::vector<std::string> ExecutorRegistry::kinds() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) {
    if (e.advertised) out.push_back(e.kind);
  }
  return out;
}

std::size_t ExecutorRegistry::running() const {
  std::size_t n = 0;
  for (const Executor* e : executors_)
    n += e->running();
  return n;
}

Executor* ExecutorRegistry::holder(std::uint64_t task_id, std::uint32_t attempt) const {
  for (Executor* e : executors_) {
    if (e->holds(task_id, attempt)) return e;
  }
  return nullptr;
}

bool ExecutorRegistry::holds(std::uint64_t task_id, std::uint32_t attempt) const {
  return holder(task_id, attempt) != nullptr;
}

bool ExecutorRegistry::cancel(std::uint64_t task_id, std::uint32_t attempt, TimePoint now) {
  Executor* e = holder(task_id, attempt);
  return e != nullptr && e->cancel(task_id, attempt, now);
}

bool ExecutorRegistry::suspend(std::uint64_t task_id, std::uint32_t attempt, TimePoint now) {
  Executor* e = holder(task_id, attempt);
  return e != nullptr && e->suspend(task_id, attempt, now);
}

bool ExecutorRegistry::resume(std::uint64_t task_id, std::uint32_t attempt, TimePoint now) {
  Executor* e = holder(task_id, attempt);
  return e != nullptr && e->resume(task_id, attempt, now);
}

}  // namespace zfleet::worker
