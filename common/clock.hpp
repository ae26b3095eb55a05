// Time as a dependency. Every timeout, heartbeat and backoff reads a Clock so
// tests drive time with FakeClock::advance() instead of sleeping.
//   now()     monotonic milliseconds, for deadlines (never goes backwards)
//   wall_ms() Unix epoch milliseconds, for timestamps shown to people
// Code that blocks on a socket asks the clock how long it may really block
// (blocking_wait) and tells it how long it meant to wait when nothing came
// (waited): the system clock blocks for real and ignores the report; a
// FakeClock never blocks and advances instead, firing the timers a test set
// with call_at(), so a client's timeouts and resends run without sleeping.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <utility>

namespace zfleet {

using Millis = std::chrono::milliseconds;
// A point on the monotonic clock, as milliseconds since an arbitrary origin.
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Millis>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  virtual std::int64_t wall_ms() const = 0;
  // How long a poll that wants to wait `want` may block the thread.
  virtual std::chrono::milliseconds blocking_wait(std::chrono::milliseconds want) const {
    return want;
  }
  // A poll that wanted to wait `want` saw nothing arrive.
  virtual void waited(std::chrono::milliseconds /*want*/) {}
  // Waits `by` with nothing to watch (a resend's backoff).
  virtual void sleep_for(std::chrono::milliseconds by) = 0;
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
  void sleep_for(Millis by) override { std::this_thread::sleep_for(by); }
};

// Starts at a fixed, non-zero point so "time zero" bugs show up in tests.
// advance() moves time in steps, stopping at each due timer (earliest first,
// ties in the order they were set) so a timer sees now() == its deadline and
// may set further timers, which fire in the same advance() when due.
class FakeClock final : public Clock {
 public:
  using TimerId = std::uint64_t;

  TimePoint now() const override { return now_; }
  std::int64_t wall_ms() const override { return wall_ms_; }
  Millis blocking_wait(Millis /*want*/) const override { return Millis{0}; }
  // A wait ends early when a timer fires during it (the timer may be what
  // the waiter waits for: a scripted reply).
  void waited(Millis want) override {
    const TimePoint until = now_ + want;
    if (!timers_.empty() && timers_.begin()->first.first < until) {
      advance(std::max(Millis{0}, timers_.begin()->first.first - now_));
    } else {
      advance(want);
    }
  }
  void sleep_for(Millis by) override { advance(by); }

  void advance(Millis by) {
    const TimePoint until = now_ + by;
    while (!timers_.empty() && timers_.begin()->first.first <= until) {
      auto first = timers_.begin();
      move_to(first->first.first);
      auto fire = std::move(first->second);
      timers_.erase(first);
      fire();
    }
    move_to(until);
  }

  // Runs `fire` once when time reaches `at` (at once on the next advance()
  // when `at` has passed).
  TimerId call_at(TimePoint at, std::function<void()> fire) {
    const TimerId id = next_id_++;
    timers_.emplace(std::make_pair(at, id), std::move(fire));
    return id;
  }
  TimerId call_after(Millis after, std::function<void()> fire) {
    return call_at(now_ + after, std::move(fire));
  }
  // False when the timer already fired or was cancelled.
  bool cancel(TimerId id) {
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->first.second == id) {
        timers_.erase(it);
        return true;
      }
    }
    return false;
  }
  std::size_t pending_timers() const { return timers_.size(); }

 private:
  void move_to(TimePoint at) {
    if (at <= now_) return;
    wall_ms_ += (at - now_).count();
    now_ = at;
  }

  TimePoint now_{Millis{1'000'000}};
  std::int64_t wall_ms_ = 1'700'000'000'000;
  TimerId next_id_ = 1;
  std::map<std::pair<TimePoint, TimerId>, std::function<void()>> timers_;
};

// Milliseconds from `now` until `deadline`, never negative; for poll timeouts.
inline long millis_until(TimePoint now, TimePoint deadline) {
  return deadline <= now ? 0L : static_cast<long>((deadline - now).count());
}

}  // namespace zfleet
