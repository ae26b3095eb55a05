// See retention.hpp.
#include "broker/retention.hpp"

#include <algorithm>

namespace zfleet::broker {

void Retention::sort_by_end() {
  std::stable_sort(order_.begin(), order_.end(),
                   [](const auto& a, const auto& b) { return a.second < b.second; });
}

std::vector<std::uint64_t> Retention::prune(TaskStore& store, std::int64_t now_ms,
                                            std::size_t budget) {
  std::vector<std::uint64_t> evicted;
  while (budget > 0 && !order_.empty()) {
    const auto [id, ended_ms] = order_.front();
    const Task* task = store.find(id);
    const bool stale =
        task == nullptr || !msg::is_final(task->state) || task->ended_at_ms != ended_ms;
    if (!stale) {
      const bool too_many = order_.size() > max_count_;
      const bool too_old = ended_ms + max_age_ms_ <= now_ms;
      if (!too_many && !too_old) break;
      // A running attempt of a cancelled task still needs its record.
      if (!task->worker_identity.empty()) break;
      store.erase(id);
      evicted.push_back(id);
    }
    order_.pop_front();
    --budget;
  }
  return evicted;
}

}  // namespace zfleet::broker
