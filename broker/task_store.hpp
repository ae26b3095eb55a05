// TaskStore: where task records and project settings live. The broker core
// reads and changes tasks only through this interface, calls saved() after
// every change, and commit() once per loop turn before any reply that depends
// on those changes is sent. MemoryTaskStore keeps everything in memory (a
// restart forgets it); JournalTaskStore also writes it to the Journal.
#pragma once

#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

#include "broker/journal.hpp"
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
  // Every task, in id order (recovery at start-up).
  virtual void for_each(const std::function<void(Task&)>& fn) = 0;
  virtual void save_project(const ProjectSettings&) {}
  virtual std::vector<ProjectSettings> projects() const { return {}; }
  // Makes everything saved so far durable. Throws JournalError on failure.
  virtual void commit() {}
  // Where the store keeps its data, for messages.
  virtual std::string location() const { return "(memory)"; }
};

class MemoryTaskStore : public TaskStore {
 public:
  Task& insert(Task task) override;
  Task* find(std::uint64_t id) override {
    auto it = tasks_.find(id);
    return it == tasks_.end() ? nullptr : &it->second;
  }
  void saved(const Task&) override {}
  void erase(std::uint64_t id) override { tasks_.erase(id); }
  std::size_t size() const override { return tasks_.size(); }
  void for_each(const std::function<void(Task&)>& fn) override;

 protected:
  // Keeps a task read back from the journal under its own id.
  void restore(Task task);

  std::unordered_map<std::uint64_t, Task> tasks_;
  std::uint64_t next_id_ = 1;
};

class JournalTaskStore final : public MemoryTaskStore {
 public:
  // Opens the journal (through the SQLite VFS `vfs`, if named) and loads
  // everything it holds; throws JournalError.
  JournalTaskStore(const std::string& path, Journal::Sync sync, const std::string& vfs = {});

  Task& insert(Task task) override;
  void saved(const Task& task) override { dirty_.push_back(task.id); }
  void erase(std::uint64_t id) override;
  void save_project(const ProjectSettings& settings) override;
  std::vector<ProjectSettings> projects() const override { return projects_; }
  // On failure the staged changes stay staged: the next commit() writes them.
  void commit() override;
  std::string location() const override { return journal_.path(); }

 private:
  Journal journal_;
  std::vector<std::uint64_t> dirty_;  // may repeat; written once each at commit
  std::vector<std::uint64_t> erased_;
  std::vector<ProjectSettings> projects_;
  std::vector<ProjectSettings> dirty_projects_;
};

}  // namespace zfleet::broker
