// IdempotencyIndex: idempotency keys seen within the window and the task each
// created, so a producer's retried SUBMIT returns the original id instead of a
// twin. Keys expire in submission order (a deque), so pruning is O(expired).
// Rebuilt from the journal at start-up, since every task stores its key.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

namespace zfleet::broker {

class IdempotencyIndex {
 public:
  explicit IdempotencyIndex(std::int64_t window_ms) : window_ms_(window_ms) {}

  std::optional<std::uint64_t> find(const std::string& key, std::int64_t now_ms) const {
    auto it = ids_.find(key);
    if (it == ids_.end() || it->second.submitted_ms + window_ms_ <= now_ms) return std::nullopt;
    return it->second.id;
  }
  // `submitted_ms` must not decrease between calls (recovery inserts in id order).
  void add(const std::string& key, std::uint64_t id, std::int64_t submitted_ms) {
    ids_[key] = Entry{id, submitted_ms};
    order_.push_back({key, submitted_ms});
  }
  // Forgets keys older than the window; at most `budget` per call.
  void prune(std::int64_t now_ms, std::size_t budget) {
    while (budget-- > 0 && !order_.empty() && order_.front().second + window_ms_ <= now_ms) {
      auto it = ids_.find(order_.front().first);
      if (it != ids_.end() && it->second.submitted_ms == order_.front().second) ids_.erase(it);
      order_.pop_front();
    }
  }
  std::size_t size() const { return ids_.size(); }

 private:
  struct Entry {
    std::uint64_t id;
    std::int64_t submitted_ms;
  };
  std::int64_t window_ms_;
  std::unordered_map<std::string, Entry> ids_;
  std::deque<std::pair<std::string, std::int64_t>> order_;
};

}  // namespace zfleet::broker
