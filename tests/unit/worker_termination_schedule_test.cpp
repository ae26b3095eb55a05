// TerminationSchedule: SIGTERM at the timeout, SIGKILL after the grace.
#include <gtest/gtest.h>

#include "common/clock.hpp"
#include "worker/sandbox/termination_schedule.hpp"

namespace zfleet::worker {
namespace {

using namespace std::chrono_literals;

TEST(TerminationSchedule, WithoutTimeoutNeverSignals) {
  FakeClock clock;
  TerminationSchedule s(clock.now(), 0ms, 5000ms);
  EXPECT_FALSE(s.next_deadline().has_value());
  clock.advance(24h);
  EXPECT_EQ(s.on_timer(clock.now()), KillStep::kNone);
  EXPECT_FALSE(s.timed_out());
}

TEST(TerminationSchedule, TerminatesAtTimeoutThenKillsAfterGrace) {
  FakeClock clock;
  TerminationSchedule s(clock.now(), 1000ms, 500ms);
  EXPECT_EQ(s.next_deadline(), clock.now() + 1000ms);
  clock.advance(999ms);
  EXPECT_EQ(s.on_timer(clock.now()), KillStep::kNone);
  clock.advance(1ms);
  EXPECT_EQ(s.on_timer(clock.now()), KillStep::kTerminate);
  EXPECT_TRUE(s.timed_out());
  EXPECT_EQ(s.phase(), KillPhase::kTerminating);
  EXPECT_EQ(s.next_deadline(), clock.now() + 500ms);
  clock.advance(499ms);
  EXPECT_EQ(s.on_timer(clock.now()), KillStep::kNone);
  clock.advance(1ms);
  EXPECT_EQ(s.on_timer(clock.now()), KillStep::kKill);
  EXPECT_EQ(s.phase(), KillPhase::kKilled);
  EXPECT_FALSE(s.next_deadline().has_value());
  clock.advance(1h);
  EXPECT_EQ(s.on_timer(clock.now()), KillStep::kNone);
}

TEST(TerminationSchedule, GraceCountsFromALateTerminate) {
  FakeClock clock;
  TerminationSchedule s(clock.now(), 100ms, 500ms);
  clock.advance(10s);  // the loop woke up very late
  EXPECT_EQ(s.on_timer(clock.now()), KillStep::kTerminate);
  EXPECT_EQ(s.on_timer(clock.now()), KillStep::kNone);
  EXPECT_EQ(s.next_deadline(), clock.now() + 500ms);
}

TEST(TerminationSchedule, ZeroGraceKillsAtOnce) {
  FakeClock clock;
  TerminationSchedule s(clock.now(), 100ms, 0ms);
  clock.advance(100ms);
  EXPECT_EQ(s.on_timer(clock.now()), KillStep::kKill);
  EXPECT_TRUE(s.timed_out());
}

TEST(TerminationSchedule, ShutdownTerminatesWithoutTimingOut) {
  FakeClock clock;
  TerminationSchedule s(clock.now(), 0ms, 300ms);
  EXPECT_EQ(s.terminate_now(clock.now()), KillStep::kTerminate);
  EXPECT_EQ(s.terminate_now(clock.now()), KillStep::kNone);
  EXPECT_FALSE(s.timed_out());
  clock.advance(300ms);
  EXPECT_EQ(s.on_timer(clock.now()), KillStep::kKill);
}

TEST(TerminationSchedule, KillNowSkipsTheGrace) {
  FakeClock clock;
  TerminationSchedule s(clock.now(), 1000ms, 5000ms);
  clock.advance(1000ms);
  EXPECT_EQ(s.on_timer(clock.now()), KillStep::kTerminate);
  EXPECT_EQ(s.kill_now(), KillStep::kKill);
  EXPECT_EQ(s.kill_now(), KillStep::kNone);
  EXPECT_TRUE(s.timed_out());
}

}  // namespace
}  // namespace zfleet::worker
