// Time as a dependency. Every timeout, heartbeat and backoff reads a Clock so
// tests drive time with FakeClock::advance() instead of sleeping.
//   now()     monotonic milliseconds, for deadlines (never goes backwards)
//   wall_ms() Unix epoch milliseconds, for timestamps shown to people
#pragma once

#include <chrono>
#include <cstdint>

namespace zfleet {

using Millis = std::chrono::milliseconds;
// A point on the monotonic clock, as milliseconds since an arbitrary origin.
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Millis>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  virtual std::int64_t wall_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override {
    return std::chrono::time_point_cast<Millis>(std::chrono::steady_clock::now());
  }
  std::int64_t wall_ms() const override {
    return std::chrono::duration_cast<Millis>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// Starts at a fixed, non-zero point so "time zero" bugs show up in tests.
class FakeClock final : public Clock {
 public:
  TimePoint now() const override { return now_; }
  std::int64_t wall_ms() const override { return wall_ms_; }
  void advance(Millis by) {
    now_ += by;
    wall_ms_ += by.count();
  }

 private:
  TimePoint now_{Millis{1'000'000}};
  std::int64_t wall_ms_ = 1'700'000'000'000;
};

// Milliseconds from `now` until `deadline`, never negative; for poll timeouts.
inline long millis_until(TimePoint now, TimePoint deadline) {
  return deadline <= now ? 0L : static_cast<long>((deadline - now).count());
}

}  // namespace zfleet
