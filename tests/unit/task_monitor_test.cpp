// TaskMonitor: stall and activity, suspension, memory marks, progress rate
// limiting and sampling, all on a FakeClock.
#include <gtest/gtest.h>

#include <vector>

#include "common/clock.hpp"
#include "worker/monitor/task_monitor.hpp"

namespace zfleet::worker {
namespace {

using namespace std::chrono_literals;
using Kind = MonitorEvent::Kind;

class TaskMonitorTest : public ::testing::Test {
 protected:
  std::vector<MonitorEvent> take(TaskMonitor& m) {
    std::vector<MonitorEvent> out;
    m.take_events(out);
    return out;
  }
  std::vector<Kind> kinds(TaskMonitor& m) {
    std::vector<Kind> out;
    for (const auto& e : take(m))
      out.push_back(e.kind);
    return out;
  }
  // Advances to `by` later and runs the timer.
  void tick(TaskMonitor& m, Millis by) {
    clock_.advance(by);
    m.on_timer(clock_.now());
  }
  FakeClock clock_;
};

MonitorPolicy stall_policy(Millis after, bool kill = false) {
  MonitorPolicy p;
  p.stall_after = after;
  p.kill_on_stall = kill;
  p.sample_every = 0ms;
  return p;
}

TEST_F(TaskMonitorTest, WithoutStallDetectionNeverStalls) {
  TaskMonitor m(stall_policy(0ms), clock_.now());
  EXPECT_FALSE(m.next_deadline());
  tick(m, 24h);
  EXPECT_TRUE(take(m).empty());
  EXPECT_FALSE(m.stalled());
}

TEST_F(TaskMonitorTest, StallsOnceAfterQuietPeriod) {
  TaskMonitor m(stall_policy(10s), clock_.now());
  EXPECT_EQ(m.next_deadline(), clock_.now() + 10s);
  tick(m, 9999ms);
  EXPECT_TRUE(take(m).empty());
  tick(m, 1ms);
  const auto events = take(m);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kStalled);
  EXPECT_EQ(events[0].idle, 10s);
  EXPECT_TRUE(m.stalled());
  EXPECT_FALSE(m.next_deadline());
  tick(m, 1h);
  EXPECT_TRUE(take(m).empty());
}

TEST_F(TaskMonitorTest, OutputPostponesTheStall) {
  TaskMonitor m(stall_policy(10s), clock_.now());
  tick(m, 6s);
  m.on_output(clock_.now(), 12);
  m.on_output(clock_.now(), 0);  // an empty read is not activity
  EXPECT_EQ(m.last_activity(), clock_.now());
  EXPECT_EQ(m.output_bytes(), 12u);
  EXPECT_EQ(m.next_deadline(), clock_.now() + 10s);
  tick(m, 9s);
  EXPECT_TRUE(take(m).empty());
  tick(m, 1s);
  EXPECT_EQ(kinds(m), std::vector<Kind>{Kind::kStalled});
}

TEST_F(TaskMonitorTest, ActivityAfterStallEmitsActiveAndRearms) {
  TaskMonitor m(stall_policy(10s), clock_.now());
  tick(m, 10s);
  EXPECT_EQ(kinds(m), std::vector<Kind>{Kind::kStalled});
  clock_.advance(5s);
  m.on_progress(clock_.now(), {50, "back"});
  const auto events = take(m);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::kActive);
  EXPECT_EQ(events[0].idle, 15s);
  EXPECT_EQ(events[1].kind, Kind::kProgress);
  EXPECT_FALSE(m.stalled());
  tick(m, 10s);
  EXPECT_EQ(kinds(m), std::vector<Kind>{Kind::kStalled});
}

TEST_F(TaskMonitorTest, KillOnStallEmitsStallKillOnly) {
  TaskMonitor m(stall_policy(10s, true), clock_.now());
  tick(m, 10s);
  EXPECT_EQ(kinds(m), std::vector<Kind>{Kind::kStallKill});
  m.on_output(clock_.now(), 5);  // the dying task's last words
  tick(m, 1h);
  EXPECT_TRUE(take(m).empty());
}

TEST_F(TaskMonitorTest, SuspendedTimeIsNotIdle) {
  TaskMonitor m(stall_policy(10s), clock_.now());
  tick(m, 8s);
  m.on_suspend(clock_.now());
  EXPECT_TRUE(m.suspended());
  EXPECT_FALSE(m.next_deadline());
  tick(m, 1h);
  EXPECT_TRUE(take(m).empty());
  m.on_resume(clock_.now());
  EXPECT_FALSE(m.suspended());
  EXPECT_EQ(m.next_deadline(), clock_.now() + 10s);
  tick(m, 9s);
  EXPECT_TRUE(take(m).empty());
  tick(m, 1s);
  const auto events = take(m);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kStalled);
  EXPECT_EQ(events[0].idle, 10s);
}

TEST_F(TaskMonitorTest, SoftMemoryFiresOncePerCrossing) {
  MonitorPolicy p;
  p.memory_soft_kb = 1000;
  TaskMonitor m(p, clock_.now());
  m.on_usage(clock_.now(), {1000, 5, 1});  // at the mark, not above
  EXPECT_TRUE(take(m).empty());
  m.on_usage(clock_.now(), {1001, 6, 1});
  const auto events = take(m);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kMemorySoft);
  EXPECT_EQ(events[0].rss_kb, 1001u);
  EXPECT_EQ(events[0].cpu_ms, 6u);
  m.on_usage(clock_.now(), {950, 0, 1});  // dips but not below 90%
  m.on_usage(clock_.now(), {1200, 0, 1});
  EXPECT_TRUE(take(m).empty());
  m.on_usage(clock_.now(), {899, 0, 1});  // below 90%: re-armed
  m.on_usage(clock_.now(), {1100, 0, 1});
  EXPECT_EQ(kinds(m), std::vector<Kind>{Kind::kMemorySoft});
  EXPECT_EQ(m.peak_rss_kb(), 1200u);
  ASSERT_TRUE(m.usage());
  EXPECT_EQ(m.usage()->rss_kb, 1100u);
}

TEST_F(TaskMonitorTest, HardMemoryFiresOnceAndStopsStallEvents) {
  MonitorPolicy p = stall_policy(10s);
  p.memory_soft_kb = 500;
  p.memory_hard_kb = 1000;
  TaskMonitor m(p, clock_.now());
  m.on_usage(clock_.now(), {2000, 0, 3});
  EXPECT_EQ(kinds(m), (std::vector<Kind>{Kind::kMemorySoft, Kind::kMemoryHard}));
  m.on_usage(clock_.now(), {100, 0, 3});
  m.on_usage(clock_.now(), {3000, 0, 3});
  EXPECT_EQ(kinds(m), std::vector<Kind>{Kind::kMemorySoft});
  tick(m, 1h);
  EXPECT_TRUE(take(m).empty());
}

TEST_F(TaskMonitorTest, ProgressIsRateLimitedKeepingTheLatest) {
  TaskMonitor m(stall_policy(0ms), clock_.now());
  EXPECT_FALSE(m.percent());
  m.on_progress(clock_.now(), {10, "a"});
  EXPECT_EQ(kinds(m), std::vector<Kind>{Kind::kProgress});
  clock_.advance(100ms);
  m.on_progress(clock_.now(), {20, "b"});
  clock_.advance(100ms);
  m.on_progress(clock_.now(), {30, "c"});
  EXPECT_TRUE(take(m).empty());
  EXPECT_EQ(m.percent(), 30u);
  EXPECT_EQ(m.message(), "c");
  EXPECT_EQ(m.next_deadline(), clock_.now() + 50ms);
  tick(m, 49ms);
  EXPECT_TRUE(take(m).empty());
  tick(m, 1ms);
  const auto events = take(m);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].percent, 30u);
  EXPECT_EQ(events[0].message, "c");
  EXPECT_FALSE(m.next_deadline());
  // The window restarted when the held-back mark went out.
  clock_.advance(249ms);
  m.on_progress(clock_.now(), {40, "d"});
  EXPECT_TRUE(take(m).empty());
  clock_.advance(1ms);
  m.on_progress(clock_.now(), {50, "e"});
  EXPECT_EQ(take(m).size(), 1u);
  EXPECT_FALSE(m.next_deadline());
}

TEST_F(TaskMonitorTest, ProgressAtHundredGoesOutAtOnce) {
  TaskMonitor m(stall_policy(0ms), clock_.now());
  m.on_progress(clock_.now(), {90, ""});
  clock_.advance(10ms);
  m.on_progress(clock_.now(), {95, ""});
  clock_.advance(10ms);
  m.on_progress(clock_.now(), {100, "done"});
  const auto events = take(m);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].percent, 100u);
  EXPECT_EQ(events[1].message, "done");
  EXPECT_FALSE(m.next_deadline());  // 95 was superseded, nothing held back
}

TEST_F(TaskMonitorTest, SamplingScheduleFollowsSampled) {
  MonitorPolicy p;
  p.sample_every = 500ms;
  TaskMonitor m(p, clock_.now());
  EXPECT_FALSE(m.sample_due(clock_.now()));
  EXPECT_EQ(m.next_deadline(), clock_.now() + 500ms);
  clock_.advance(500ms);
  EXPECT_TRUE(m.sample_due(clock_.now()));
  clock_.advance(30ms);  // a late loop turn
  m.sampled(clock_.now());
  EXPECT_FALSE(m.sample_due(clock_.now()));
  EXPECT_EQ(m.next_deadline(), clock_.now() + 500ms);
}

TEST_F(TaskMonitorTest, NextDeadlineIsTheEarliest) {
  MonitorPolicy p = stall_policy(300ms);
  p.sample_every = 500ms;
  TaskMonitor m(p, clock_.now());
  EXPECT_EQ(m.next_deadline(), clock_.now() + 300ms);
  m.on_progress(clock_.now(), {1, ""});
  clock_.advance(100ms);
  m.on_progress(clock_.now(), {2, ""});  // held until +250 ms from the first
  EXPECT_EQ(m.next_deadline(), clock_.now() + 150ms);
}

TEST_F(TaskMonitorTest, EventsCarryTheLatestState) {
  TaskMonitor m(stall_policy(1s), clock_.now());
  m.on_progress(clock_.now(), {64, "copying"});
  m.on_usage(clock_.now(), {4096, 1500, 2});
  take(m);
  tick(m, 1s);
  const auto events = take(m);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].percent, 64u);
  EXPECT_EQ(events[0].message, "copying");
  EXPECT_EQ(events[0].rss_kb, 4096u);
  EXPECT_EQ(events[0].cpu_ms, 1500u);
}

}  // namespace
}  // namespace zfleet::worker
