// TaskRunner and CANCEL, with real children and a FakeClock: a cancelled
// attempt gets SIGTERM at once and SIGKILL after its own grace period (time
// advanced by hand, never slept through), keeps the output and exit status
// it had, and is reported as cancelled; the runner's list of children (for
// the state file) follows starts and exits.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/filesystem.hpp>
#include <zmq.hpp>

#include "common/clock.hpp"
#include "worker/executors/child/task_runner.hpp"
#include "worker/sandbox/proc_stat.hpp"
#include "worker/sandbox/task_environment.hpp"
#include "worker/sandbox/work_area.hpp"

namespace zfleet::worker {
namespace {

using namespace std::chrono_literals;

class TaskCancelTest : public ::testing::Test {
 protected:
  TaskCancelTest()
      : root_(boost::filesystem::temp_directory_path() /
              boost::filesystem::unique_path("zfleet-cancel-test-%%%%-%%%%")),
        area_((root_ / "work").string()),
        runner_(clock_, options(), area_, env_) {}

  ~TaskCancelTest() override {
    boost::system::error_code ec;
    boost::filesystem::remove_all(root_, ec);
  }

  static RunnerOptions options() {
    RunnerOptions o;
    o.grace = 5000ms;
    return o;
  }

  static msg::TaskAssignment task(std::vector<std::string> argv, std::uint64_t id = 1) {
    msg::TaskAssignment t;
    t.task_id = id;
    t.attempt = 1;
    t.spec.argv = std::move(argv);
    return t;
  }

  std::string marker() const { return (root_ / "ready").string(); }

  // Waits (bounded, real time) for a shell task to touch marker(): it has
  // set its traps by then.
  bool await_marker() {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!boost::filesystem::exists(marker())) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      ::usleep(1000);
    }
    return true;
  }

  // Services the children's fds (real time, bounded) without moving the
  // fake clock, until nothing runs.
  bool run_until_idle(std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::vector<zmq_pollitem_t> items;
    while (runner_.running() > 0) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      items.clear();
      runner_.append_poll_items(items);
      zmq::poll(items, 10ms);
      runner_.on_poll(items.data(), items.size());
    }
    return true;
  }

  FinishedAttempt only_result() {
    std::vector<FinishedAttempt> done;
    runner_.take_finished(done);
    EXPECT_EQ(done.size(), 1U);
    return done.empty() ? FinishedAttempt{} : std::move(done.front());
  }

  FakeClock clock_;
  boost::filesystem::path root_;
  WorkArea area_;
  TaskEnvironment env_;
  TaskRunner runner_;
};

TEST_F(TaskCancelTest, StopsTheAttemptWithSigtermAndReportsItCancelled) {
  ASSERT_TRUE(runner_.start(task({"sleep", "100"})).started);
  EXPECT_TRUE(runner_.cancel(1, 1, clock_.now()));
  ASSERT_TRUE(run_until_idle());
  const FinishedAttempt f = only_result();
  EXPECT_TRUE(f.outcome.cancelled);
  EXPECT_FALSE(f.outcome.timed_out);
  EXPECT_FALSE(f.shutdown);
  EXPECT_EQ(f.outcome.signal, SIGTERM);
}

TEST_F(TaskCancelTest, RefusesAttemptsItDoesNotRun) {
  ASSERT_TRUE(runner_.start(task({"sleep", "100"})).started);
  EXPECT_FALSE(runner_.cancel(2, 1, clock_.now()));
  EXPECT_FALSE(runner_.cancel(1, 2, clock_.now()));  // another attempt of the same task
  EXPECT_EQ(runner_.running(), 1U);
  runner_.stop_all(true);
  ASSERT_TRUE(run_until_idle());
}

TEST_F(TaskCancelTest, KillsAfterTheTasksGraceWhenSigtermIsIgnored) {
  auto t = task({"/bin/sh", "-c", "trap '' TERM; touch " + marker() + "; sleep 100"});
  t.spec.grace_ms = 3000;
  ASSERT_TRUE(runner_.start(t).started);
  ASSERT_TRUE(await_marker());
  ASSERT_TRUE(runner_.cancel(1, 1, clock_.now()));
  // SIGKILL is due exactly one grace period after the SIGTERM.
  EXPECT_EQ(runner_.next_deadline(), clock_.now() + 3000ms);
  clock_.advance(2999ms);
  runner_.on_timer(clock_.now());
  EXPECT_EQ(runner_.running(), 1U);
  EXPECT_EQ(runner_.next_deadline(), clock_.now() + 1ms);
  clock_.advance(1ms);
  runner_.on_timer(clock_.now());
  EXPECT_FALSE(runner_.next_deadline().has_value());
  ASSERT_TRUE(run_until_idle());
  const FinishedAttempt f = only_result();
  EXPECT_TRUE(f.outcome.cancelled);
  EXPECT_EQ(f.outcome.signal, SIGKILL);
}

TEST_F(TaskCancelTest, KeepsTheOutputAndExitStatusTheTaskHad) {
  auto t =
      task({"/bin/sh", "-c",
            "trap 'echo bye; exit 3' TERM; echo hi; touch " + marker() + "; sleep 100 & wait"});
  ASSERT_TRUE(runner_.start(t).started);
  ASSERT_TRUE(await_marker());
  ASSERT_TRUE(runner_.cancel(1, 1, clock_.now()));
  ASSERT_TRUE(run_until_idle());
  const FinishedAttempt f = only_result();
  EXPECT_TRUE(f.outcome.cancelled);
  EXPECT_EQ(f.outcome.exit_code, 3);
  EXPECT_FALSE(f.outcome.signal.has_value());
  EXPECT_EQ(f.outcome.stdout_tail, "hi\nbye\n");
}

TEST_F(TaskCancelTest, CancelDuringShutdownIsStillReportedCancelled) {
  ASSERT_TRUE(runner_.start(task({"sleep", "100"})).started);
  runner_.stop_all(false);
  EXPECT_TRUE(runner_.cancel(1, 1, clock_.now()));
  ASSERT_TRUE(run_until_idle());
  const FinishedAttempt f = only_result();
  // Both are set; the reactor reports DONE (cancelled), not REJECT, so the
  // broker does not requeue a cancelled task.
  EXPECT_TRUE(f.shutdown);
  EXPECT_TRUE(f.outcome.cancelled);
}

TEST_F(TaskCancelTest, ListsItsChildrenForTheStateFile) {
  std::vector<ChildRecord> children;
  EXPECT_FALSE(runner_.take_children_changed());
  const StartResult a = runner_.start(task({"sleep", "100"}, 1));
  const StartResult b = runner_.start(task({"sleep", "100"}, 2));
  ASSERT_TRUE(a.started && b.started);
  EXPECT_TRUE(runner_.take_children_changed());
  EXPECT_FALSE(runner_.take_children_changed());
  runner_.children(children);
  ASSERT_EQ(children.size(), 2U);
  EXPECT_EQ(children[0].pid, static_cast<pid_t>(a.pid));
  EXPECT_EQ(children[0].task_id, 1U);
  EXPECT_EQ(children[0].attempt, 1U);
  EXPECT_EQ(children[0].start_time, read_proc_stat(children[0].pid)->start_time);
  EXPECT_EQ(children[1].task_id, 2U);

  ASSERT_TRUE(runner_.cancel(1, 1, clock_.now()));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (runner_.running() == 2 && std::chrono::steady_clock::now() < deadline) {
    std::vector<zmq_pollitem_t> items;
    runner_.append_poll_items(items);
    zmq::poll(items, 10ms);
    runner_.on_poll(items.data(), items.size());
  }
  ASSERT_EQ(runner_.running(), 1U);
  EXPECT_TRUE(runner_.take_children_changed());
  runner_.children(children);
  ASSERT_EQ(children.size(), 1U);
  EXPECT_EQ(children[0].task_id, 2U);
  runner_.stop_all(true);
  ASSERT_TRUE(run_until_idle());
}

}  // namespace
}  // namespace zfleet::worker
