// Retention: the finished tasks in the order they finished, and the rule that
// evicts them, oldest first, once there are more than `max_count` of them or
// once they are `max_age_ms` old. RESULT, STATUS and LOGS can read a finished
// task until then.
//
// An entry is (task id, the moment the task ended). An entry whose task is
// gone (DLQ_PURGE), no longer final (DLQ_RETRY) or ended again since (its
// ended_at_ms differs) is stale and skipped when reached, so the callers
// never have to find and remove entries. A finished task whose cancelled
// attempt still runs keeps its record, and holds back the ones after it,
// until that attempt ends: eviction keeps finishing order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "broker/task_store.hpp"

namespace zfleet::broker {

class Retention {
 public:
  Retention(std::size_t max_count, std::int64_t max_age_ms)
      : max_count_(max_count), max_age_ms_(max_age_ms) {}

  // Task `id` reached a final state at `ended_ms` (broker wall clock).
  void add(std::uint64_t id, std::int64_t ended_ms) { order_.emplace_back(id, ended_ms); }
  // Recovery adds the journal's final tasks in id order; this puts them in
  // finishing order (stable: ties keep id order).
  void sort_by_end();
  // Entries held, stale ones included.
  std::size_t size() const { return order_.size(); }

  // Erases from `store` the tasks past retention, looking at `budget`
  // entries at most, and returns their ids so the caller can drop what else
  // refers to them.
  std::vector<std::uint64_t> prune(TaskStore& store, std::int64_t now_ms, std::size_t budget);

 private:
  std::size_t max_count_;
  std::int64_t max_age_ms_;
  std::deque<std::pair<std::uint64_t, std::int64_t>> order_;  // (id, ended_ms), finishing order
};

}  // namespace zfleet::broker
