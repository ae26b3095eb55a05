// ResultWaiters: the RESULT long-polls the broker holds (a RESULT with
// wait_ms for a task not yet final), until the task reaches a final state or
// the wait's deadline passes. It only keeps the books; the broker sends the
// answers.
//
// Invariants:
//  - size() counts the waiters held, never more than the capacity given at
//    construction: add() refuses one more (the caller answers at once).
//  - A waiter is handed back exactly once: by take() when its task ends, or
//    by expire() once its deadline is reached, whichever comes first.
//  - expire() hands waiters back in deadline order. A deadline whose waiter
//    was already taken is skipped; a waiter is matched to its deadline by
//    (client identity, request id, task id).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.hpp"

namespace zfleet::broker {

class ResultWaiters {
 public:
  struct Waiter {
    std::string identity;
    std::uint64_t req = 0;
    std::uint64_t task_id = 0;
  };

  explicit ResultWaiters(std::size_t capacity) : capacity_(capacity) {}

  // Holds a long-poll for `task_id` until `deadline`; false (nothing held)
  // when capacity waiters are held already.
  bool add(std::string identity, std::uint64_t req, std::uint64_t task_id, TimePoint deadline);
  // The waiters of a task that reached a final state, in arrival order; they
  // are no longer held.
  std::vector<Waiter> take(std::uint64_t task_id);
  // The waiters whose deadline is at or before `now`, in deadline order; they
  // are no longer held.
  std::vector<Waiter> expire(TimePoint now);
  // The earliest deadline still queued (possibly of a waiter already taken,
  // which only wakes the caller early), or none.
  std::optional<TimePoint> next_deadline() const;
  std::size_t size() const { return size_; }

 private:
  struct Deadline {
    TimePoint at;
    Waiter waiter;
    bool operator>(const Deadline& o) const { return at > o.at; }
  };

  std::size_t capacity_;
  std::size_t size_ = 0;
  std::unordered_map<std::uint64_t, std::vector<Waiter>> by_task_;
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
};

}  // namespace zfleet::broker
