// MemoryTaskStore and JournalTaskStore; see task_store.hpp.
#include "broker/task_store.hpp"

#include <algorithm>
#include <unordered_set>

namespace zfleet::broker {

Task& MemoryTaskStore::insert(Task task) {
  task.id = next_id_++;
  auto [it, inserted] = tasks_.emplace(task.id, std::move(task));
  return it->second;
}

void MemoryTaskStore::restore(Task task) {
  next_id_ = std::max(next_id_, task.id + 1);
  const std::uint64_t id = task.id;
  tasks_.emplace(id, std::move(task));
}

void MemoryTaskStore::for_each(const std::function<void(Task&)>& fn) {
  std::vector<std::uint64_t> ids;
  ids.reserve(tasks_.size());
  for (const auto& [id, task] : tasks_)
    ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (std::uint64_t id : ids)
    fn(tasks_.at(id));
}

JournalTaskStore::JournalTaskStore(const std::string& path, Journal::Sync sync,
                                   const std::string& vfs)
    : journal_(path, sync, vfs) {
  journal_.load([this](Task&& t) { restore(std::move(t)); },
                [this](ProjectSettings&& p) { projects_.push_back(std::move(p)); });
}

Task& JournalTaskStore::insert(Task task) {
  Task& stored = MemoryTaskStore::insert(std::move(task));
  dirty_.push_back(stored.id);
  return stored;
}

void JournalTaskStore::erase(std::uint64_t id) {
  MemoryTaskStore::erase(id);
  erased_.push_back(id);
}

void JournalTaskStore::save_project(const ProjectSettings& settings) {
  auto it = std::find_if(projects_.begin(), projects_.end(),
                         [&](const ProjectSettings& p) { return p.name == settings.name; });
  if (it == projects_.end()) {
    projects_.push_back(settings);
  } else {
    *it = settings;
  }
  dirty_projects_.push_back(settings);
}

void JournalTaskStore::commit() {
  if (dirty_.empty() && erased_.empty() && dirty_projects_.empty()) return;
  try {
    std::unordered_set<std::uint64_t> written;
    written.reserve(dirty_.size());
    for (std::uint64_t id : dirty_) {
      const Task* task = find(id);
      if (task == nullptr || !written.insert(id).second) continue;  // erased since, or done
      journal_.put(*task);
    }
    for (std::uint64_t id : erased_)
      journal_.remove(id);
    for (const auto& p : dirty_projects_)
      journal_.put_project(p);
    journal_.commit();
  } catch (const JournalError&) {
    // Nothing of this transaction is in the file; all of it is still staged
    // here and is written again, with whatever comes next, by the next commit.
    journal_.rollback();
    throw;
  }
  dirty_.clear();
  erased_.clear();
  dirty_projects_.clear();
}

}  // namespace zfleet::broker
