// TaskStore: where task records live. The broker core reads and changes tasks
// only through this interface, and calls saved() after every change of state,
// so a durable store (a journal) can sit under it without the core changing.
// MemoryTaskStore keeps everything in memory: tasks do not survive a restart.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "broker/task.hpp"

namespace zfleet::broker {

class TaskStore {
 public:
  virtual ~TaskStore() = default;
  // Assigns the next id to `task` and stores it.
  virtual Task& insert(Task task) = 0;
  virtual Task* find(std::uint64_t id) = 0;
  // `task` (returned by insert/find) changed; a durable store records it.
  virtual void saved(const Task& task) = 0;
  virtual void erase(std::uint64_t id) = 0;
  virtual std::size_t size() const = 0;
};

class MemoryTaskStore final : public TaskStore {
 public:
  Task& insert(Task task) override {
    task.id = next_id_++;
    auto [it, inserted] = tasks_.emplace(task.id, std::move(task));
    return it->second;
  }
  Task* find(std::uint64_t id) override {
    auto it = tasks_.find(id);
    return it == tasks_.end() ? nullptr : &it->second;
  }
  void saved(const Task&) override {}
  void erase(std::uint64_t id) override { tasks_.erase(id); }
  std::size_t size() const override { return tasks_.size(); }

 private:
  std::unordered_map<std::uint64_t, Task> tasks_;
  std::uint64_t next_id_ = 1;
};

}  // namespace zfleet::broker
