// DeadLetters: the ids of tasks that used up their attempts (state dead),
// oldest first. The broker adds a task when it ends dead and removes it when
// DLQ_RETRY takes it back, DLQ_PURGE erases it or retention evicts it; the
// task's record itself stays in the TaskStore, this is only the list.
//
// Invariant: an id is listed iff its task is in the store in state dead
// (the broker keeps both in step; recovery rebuilds this from the store).
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <vector>

namespace zfleet::broker {

class DeadLetters {
 public:
  void add(std::uint64_t id) { ids_.insert(id); }
  void remove(std::uint64_t id) { ids_.erase(id); }
  bool contains(std::uint64_t id) const { return ids_.count(id) != 0; }
  std::size_t size() const { return ids_.size(); }
  // The first `limit` ids, oldest (lowest id) first.
  std::vector<std::uint64_t> first(std::size_t limit) const;
  // Empties the list and returns what it held, oldest first (DLQ_PURGE).
  std::vector<std::uint64_t> take_all();

 private:
  std::set<std::uint64_t> ids_;  // ids grow with submission: id order is age order
};

}  // namespace zfleet::broker
