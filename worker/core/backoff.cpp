// Reconnect backoff; see backoff.hpp.
#include "worker/core/backoff.hpp"

#include <algorithm>

namespace zfleet::worker {

Backoff::Backoff(Millis initial, Millis cap, std::uint64_t seed)
    : initial_(std::max(initial, Millis{1})),
      cap_(std::max(cap, initial_)),
      base_(initial_),
      random_(seed) {}

Millis Backoff::next() {
  std::uniform_int_distribution<std::int64_t> spread(80, 120);
  const auto jittered = Millis{base_.count() * spread(random_) / 100};
  base_ = std::min(base_ * 2, cap_);
  return std::clamp(jittered, Millis{1}, cap_);
}

}  // namespace zfleet::worker
