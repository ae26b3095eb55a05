// DelayQueue: tasks waiting for a moment (not_before_ms, or a retry's
// backoff), ordered by that moment in a min-heap. Entries are not removed
// when a task is cancelled or rescheduled; the caller checks each due entry
// against the task's current state and due time (lazy deletion).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <vector>

namespace zfleet::broker {

class DelayQueue {
 public:
  void push(std::int64_t due_ms, std::uint64_t id) { heap_.push({due_ms, id}); }
  // Pops every entry due at or before `now_ms`, in due order.
  template <typename Fn>
  void pop_due(std::int64_t now_ms, Fn&& on_due) {
    while (!heap_.empty() && heap_.top().due_ms <= now_ms) {
      const Entry e = heap_.top();
      heap_.pop();
      on_due(e.id, e.due_ms);
    }
  }
  std::optional<std::int64_t> next_due_ms() const {
    if (heap_.empty()) return std::nullopt;
    return heap_.top().due_ms;
  }
  std::size_t size() const { return heap_.size(); }

 private:
  struct Entry {
    std::int64_t due_ms;
    std::uint64_t id;
    bool operator>(const Entry& o) const {
      return due_ms != o.due_ms ? due_ms > o.due_ms : id > o.id;
    }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap_;
};

}  // namespace zfleet::broker
