// FakeClock's timers: advance() fires what is due, in deadline order, with
// now() at each timer's own deadline, including timers set by a timer.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/clock.hpp"

namespace zfleet {
namespace {

using namespace std::chrono_literals;

TEST(FakeClockTimers, FireInDeadlineOrderAtTheirOwnTime) {
  FakeClock clock;
  const TimePoint start = clock.now();
  std::vector<std::string> fired;
  clock.call_after(300ms,
                   [&] { fired.push_back("b@" + std::to_string((clock.now() - start).count())); });
  clock.call_after(100ms,
                   [&] { fired.push_back("a@" + std::to_string((clock.now() - start).count())); });
  clock.advance(50ms);
  EXPECT_TRUE(fired.empty());
  clock.advance(1000ms);
  EXPECT_EQ(fired, (std::vector<std::string>{"a@100", "b@300"}));
  EXPECT_EQ(clock.now() - start, 1050ms);
  EXPECT_EQ(clock.pending_timers(), 0u);
}

TEST(FakeClockTimers, TiesFireInTheOrderTheyWereSet) {
  FakeClock clock;
  std::string order;
  clock.call_after(10ms, [&] { order += "1"; });
  clock.call_after(10ms, [&] { order += "2"; });
  clock.call_after(10ms, [&] { order += "3"; });
  clock.advance(10ms);
  EXPECT_EQ(order, "123");
}

TEST(FakeClockTimers, ATimerSetByATimerFiresInTheSameAdvanceWhenDue) {
  FakeClock clock;
  const TimePoint start = clock.now();
  std::vector<long> at;
  clock.call_after(100ms, [&] {
    at.push_back((clock.now() - start).count());
    clock.call_after(100ms, [&] { at.push_back((clock.now() - start).count()); });
    clock.call_after(5000ms, [&] { at.push_back((clock.now() - start).count()); });
  });
  clock.advance(1000ms);
  EXPECT_EQ(at, (std::vector<long>{100, 200}));
  EXPECT_EQ(clock.pending_timers(), 1u);
}

TEST(FakeClockTimers, ACancelledTimerNeverFires) {
  FakeClock clock;
  bool fired = false;
  const auto id = clock.call_after(10ms, [&] { fired = true; });
  EXPECT_TRUE(clock.cancel(id));
  EXPECT_FALSE(clock.cancel(id));
  clock.advance(1s);
  EXPECT_FALSE(fired);
}

TEST(FakeClockTimers, APastDeadlineFiresOnTheNextAdvance) {
  FakeClock clock;
  int fired = 0;
  clock.call_at(clock.now() - 5ms, [&] { ++fired; });
  clock.advance(0ms);
  EXPECT_EQ(fired, 1);
}

TEST(FakeClockTimers, WallTimeMovesWithMonotonicTime) {
  FakeClock clock;
  const std::int64_t wall = clock.wall_ms();
  std::int64_t wall_at_timer = 0;
  clock.call_after(250ms, [&] { wall_at_timer = clock.wall_ms(); });
  clock.advance(1s);
  EXPECT_EQ(wall_at_timer, wall + 250);
  EXPECT_EQ(clock.wall_ms(), wall + 1000);
}

TEST(FakeClockWaits, NeverBlockAndAdvanceByWhatTheCallerMeantToWait) {
  FakeClock clock;
  const TimePoint start = clock.now();
  EXPECT_EQ(clock.blocking_wait(5s), 0ms);
  clock.waited(5s);
  clock.sleep_for(250ms);
  EXPECT_EQ(clock.now() - start, 5250ms);
  SystemClock real;
  EXPECT_EQ(real.blocking_wait(5s), 5s);
}

}  // namespace
}  // namespace zfleet
