// Backoff: the delay before each reconnect to the broker. It starts at
// `initial`, doubles per failure up to `cap`, and is jittered by +-20% so a
// fleet of workers that lost the same broker does not reconnect in lockstep.
#pragma once

#include <cstdint>
#include <random>

#include "common/clock.hpp"

namespace zfleet::worker {

class Backoff {
 public:
  Backoff(Millis initial, Millis cap, std::uint64_t seed);

  // The delay to wait now; the next one will be about twice as long.
  Millis next();
  // After a successful registration the next failure starts over.
  void reset() { base_ = initial_; }
  Millis base() const { return base_; }

 private:
  Millis initial_;
  Millis cap_;
  Millis base_;
  std::mt19937_64 random_;
};

}  // namespace zfleet::worker
