// TaskRunner's watch over real children with a FakeClock: the clock decides
// when a stall, a sample or a held-back progress event is due, while the
// child's output and exit arrive for real. Waits poll fds against a real
// deadline; no test sleeps to let a timer expire.
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/filesystem.hpp>
#include <zmq.hpp>

#include "common/clock.hpp"
#include "worker/executors/child/task_runner.hpp"
#include "worker/sandbox/task_environment.hpp"
#include "worker/sandbox/work_area.hpp"

namespace zfleet::worker {
namespace {

using namespace std::chrono_literals;

char process_state(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() ? '?' : line[close + 2];
}

class TaskMonitoring : public ::testing::Test {
 protected:
  TaskMonitoring()
      : root_(boost::filesystem::temp_directory_path() /
              boost::filesystem::unique_path("zfleet-monitor-test-%%%%-%%%%")),
        area_(root_.string()),
        runner_(clock_, RunnerOptions{}, area_, env_) {}

  ~TaskMonitoring() override {
    runner_.stop_all(true);
    boost::system::error_code ec;
    boost::filesystem::remove_all(root_, ec);
  }

  static msg::TaskAssignment task(std::vector<std::string> argv) {
    msg::TaskAssignment t;
    t.task_id = 7;
    t.attempt = 1;
    t.spec.argv = std::move(argv);
    return t;
  }

  StartResult start(std::vector<std::string> argv, MonitorPolicy monitor) {
    AttemptPolicy policy;
    policy.sandboxed = false;
    policy.monitor = monitor;
    auto started = runner_.start(task(std::move(argv)), policy);
    EXPECT_TRUE(started.started) << started.error;
    return started;
  }

  // One real poll of the children's fds (up to `wait`), then the timers at
  // the fake clock's time.
  void turn(Millis wait = 20ms) {
    std::vector<zmq_pollitem_t> items;
    runner_.append_poll_items(items);
    zmq::poll(items, wait);
    runner_.on_poll(items.data(), items.size());
    runner_.on_timer(clock_.now());
    runner_.take_events(events_);
  }

  // Turns until `done` holds or 10 s of real time pass.
  template <typename Predicate>
  bool until(Predicate done) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      turn();
    }
    return true;
  }

  bool saw(const std::string& kind) const {
    for (const auto& e : events_)
      if (e.kind == kind) return true;
    return false;
  }

  const msg::Event* find(const std::string& kind) const {
    for (const auto& e : events_)
      if (e.kind == kind) return &e;
    return nullptr;
  }

  FinishedAttempt finish() {
    EXPECT_TRUE(until([&] { return runner_.running() == 0; }));
    std::vector<FinishedAttempt> done;
    runner_.take_finished(done);
    EXPECT_EQ(done.size(), 1U);
    return done.empty() ? FinishedAttempt{} : done.front();
  }

  FakeClock clock_;
  boost::filesystem::path root_;
  WorkArea area_;
  TaskEnvironment env_;
  TaskRunner runner_;
  std::vector<msg::Event> events_;
};

TEST_F(TaskMonitoring, ProgressMarkersBecomeEventsAndTheOutcomesLastPercent) {
  start({"/bin/sh", "-c", "echo '::progress 40 copying'; echo plain; echo '::progress 100% done'"},
        MonitorPolicy{});
  const auto f = finish();
  ASSERT_TRUE(saw("progress"));
  EXPECT_EQ(f.outcome.progress, 100);
  // The markers stay in the output too: they are the task's own words.
  EXPECT_NE(f.outcome.stdout_tail.find("::progress 40 copying"), std::string::npos);
  const msg::Event* last = nullptr;
  for (const auto& e : events_)
    if (e.kind == "progress") last = &e;
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->percent, 100);
  EXPECT_EQ(last->task_id, 7U);
}

TEST_F(TaskMonitoring, SilenceBeyondTheStallThresholdWarnsWithoutKilling) {
  MonitorPolicy policy;
  policy.stall_after = 500ms;
  start({"/bin/sh", "-c", "echo hi; exec sleep 30"}, policy);
  // The output must be seen before the clock moves, or it would count as
  // activity at the later time.
  ASSERT_TRUE(until([&] {
    std::vector<msg::TaskActivity> a;
    runner_.activity(clock_.now(), a);
    return !a.empty() && a[0].status.output_bytes == 3;
  }));
  EXPECT_FALSE(saw("stalled"));
  clock_.advance(600ms);
  turn();
  const msg::Event* stalled = find("stalled");
  ASSERT_NE(stalled, nullptr);
  EXPECT_GE(stalled->idle_ms, 500U);
  // A warning, not a kill.
  EXPECT_EQ(runner_.running(), 1U);
  EXPECT_FALSE(saw("killed"));
  std::vector<msg::TaskActivity> activity;
  runner_.activity(clock_.now(), activity);
  ASSERT_EQ(activity.size(), 1U);
  EXPECT_TRUE(activity[0].status.stalled);
  runner_.cancel(7, 1, clock_.now());
  clock_.advance(1s);
  const auto f = finish();
  EXPECT_TRUE(f.outcome.cancelled);
}

TEST_F(TaskMonitoring, StallWithKillOnStallStopsTheTask) {
  MonitorPolicy policy;
  policy.stall_after = 200ms;
  policy.kill_on_stall = true;
  start({"sleep", "30"}, policy);
  clock_.advance(300ms);
  turn();
  const msg::Event* killed = find("killed");
  ASSERT_NE(killed, nullptr);
  EXPECT_EQ(killed->reason, "stall");
  const auto f = finish();
  EXPECT_EQ(f.outcome.killed_by, "stall");
  EXPECT_FALSE(f.outcome.succeeded());
}

TEST_F(TaskMonitoring, MemoryAboveTheSoftMarkWarnsAndAboveTheHardLimitKills) {
  MonitorPolicy soft;
  soft.memory_soft_kb = 64;  // any real process is above this
  start({"sleep", "30"}, soft);
  clock_.advance(600ms);  // a usage sample is due
  turn();
  const msg::Event* warning = find("resource_warning");
  ASSERT_NE(warning, nullptr);
  EXPECT_EQ(warning->reason, "memory");
  EXPECT_GT(warning->rss_kb, 64U);
  EXPECT_EQ(runner_.running(), 1U);
  runner_.stop_all(true);
  finish();

  events_.clear();
  MonitorPolicy hard;
  hard.memory_hard_kb = 64;
  start({"sleep", "30"}, hard);
  clock_.advance(600ms);
  turn();
  const msg::Event* killed = find("killed");
  ASSERT_NE(killed, nullptr);
  EXPECT_EQ(killed->reason, "memory");
  const auto f = finish();
  EXPECT_EQ(f.outcome.killed_by, "memory");
  EXPECT_EQ(f.outcome.signal, SIGKILL);
  EXPECT_GT(f.outcome.peak_rss_kb, 64U);
}

TEST_F(TaskMonitoring, SuspendStopsTheGroupAndResumeContinuesIt) {
  MonitorPolicy policy;
  policy.stall_after = 300ms;
  const auto started = start({"sleep", "30"}, policy);
  const auto pid = static_cast<pid_t>(started.pid);
  ASSERT_TRUE(runner_.suspend(7, 1, clock_.now()));
  EXPECT_FALSE(runner_.suspend(7, 1, clock_.now()));  // already suspended
  ASSERT_TRUE(until([&] { return process_state(pid) == 'T'; }));
  // Suspended time is not idleness: no stall however long it lasts.
  clock_.advance(5s);
  turn();
  EXPECT_TRUE(saw("suspended"));
  EXPECT_FALSE(saw("stalled"));
  std::vector<msg::TaskActivity> activity;
  runner_.activity(clock_.now(), activity);
  ASSERT_EQ(activity.size(), 1U);
  EXPECT_TRUE(activity[0].status.suspended);

  ASSERT_TRUE(runner_.resume(7, 1, clock_.now()));
  turn();
  ASSERT_TRUE(until([&] { return process_state(pid) != 'T'; }));
  EXPECT_TRUE(saw("resumed"));
  EXPECT_FALSE(runner_.resume(7, 1, clock_.now()));
  EXPECT_FALSE(runner_.suspend(99, 1, clock_.now()));
}

TEST_F(TaskMonitoring, TimeSuspendedDoesNotCountTowardsTheTimeout) {
  auto t = task({"sleep", "30"});
  t.spec.timeout_ms = 1000;
  AttemptPolicy policy;
  policy.sandboxed = false;
  ASSERT_TRUE(runner_.start(t, policy).started);
  clock_.advance(500ms);
  ASSERT_TRUE(runner_.suspend(7, 1, clock_.now()));
  clock_.advance(10s);
  ASSERT_TRUE(runner_.resume(7, 1, clock_.now()));
  turn();
  EXPECT_FALSE(saw("killed"));
  clock_.advance(600ms);  // 1.1 s of running in all
  turn();
  const msg::Event* killed = find("killed");
  ASSERT_NE(killed, nullptr);
  EXPECT_EQ(killed->reason, "timeout");
  clock_.advance(10s);  // past the grace period
  const auto f = finish();
  EXPECT_TRUE(f.outcome.timed_out);
}

TEST_F(TaskMonitoring, LiveChunksCarryTheBytesAndTheirStreamOffsets) {
  start({"/bin/sh", "-c", "printf 'one\\n'; printf 'two\\n' >&2; printf 'three\\n'; exec sleep 30"},
        {});
  std::string out;
  std::string err;
  std::uint64_t next_out = 0;
  ASSERT_TRUE(until([&] {
    std::vector<msg::OutputChunk> chunks;
    runner_.take_output(chunks);
    for (const auto& c : chunks) {
      EXPECT_EQ(c.task_id, 7U);
      if (c.stream == "stdout") {
        EXPECT_EQ(c.offset, next_out);
        next_out += c.data.size();
        out += c.data;
      } else {
        err += c.data;
      }
    }
    return out == "one\nthree\n" && err == "two\n";
  }));
  runner_.stop_all(true);
  finish();
}

}  // namespace
}  // namespace zfleet::worker
