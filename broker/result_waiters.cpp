// ResultWaiters: see result_waiters.hpp.
#include "broker/result_waiters.hpp"

#include <algorithm>

namespace zfleet::broker {

bool ResultWaiters::add(std::string identity, std::uint64_t req, std::uint64_t task_id,
                        TimePoint deadline) {
  if (size_ >= capacity_) return false;
  Waiter waiter{std::move(identity), req, task_id};
  by_task_[task_id].push_back(waiter);
  deadlines_.push(Deadline{deadline, std::move(waiter)});
  ++size_;
  return true;
}

std::vector<ResultWaiters::Waiter> ResultWaiters::take(std::uint64_t task_id) {
  auto it = by_task_.find(task_id);
  if (it == by_task_.end()) return {};
  std::vector<Waiter> out = std::move(it->second);
  by_task_.erase(it);
  size_ -= out.size();
  // Their deadlines stay queued, find no list and are skipped.
  return out;
}

std::vector<ResultWaiters::Waiter> ResultWaiters::expire(TimePoint now) {
  std::vector<Waiter> out;
  while (!deadlines_.empty() && deadlines_.top().at <= now) {
    const Waiter expired = deadlines_.top().waiter;
    deadlines_.pop();
    auto it = by_task_.find(expired.task_id);
    if (it == by_task_.end()) continue;  // already taken
    auto& list = it->second;
    auto w = std::find_if(list.begin(), list.end(), [&](const Waiter& held) {
      return held.identity == expired.identity && held.req == expired.req;
    });
    if (w != list.end()) {
      out.push_back(std::move(*w));
      list.erase(w);
      --size_;
    }
    if (list.empty()) by_task_.erase(it);
  }
  return out;
}

std::optional<TimePoint> ResultWaiters::next_deadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.top().at;
}

}  // namespace zfleet::broker
