// TaskRunner with real children: output capture, exit codes and signals,
// stdin, timeouts that leave no process behind, bounded output, spawn errors.
// Waits poll the runner's fds against a deadline; nothing sleeps.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/filesystem.hpp>
#include <zmq.hpp>

#include "common/clock.hpp"
#include "tests/support/eventually.hpp"
#include "tests/unit/sandbox_probe.hpp"
#include "worker/executors/child/task_runner.hpp"
#include "worker/sandbox/task_environment.hpp"
#include "worker/sandbox/work_area.hpp"

namespace zfleet::worker {
namespace {

using namespace std::chrono_literals;

// Processes of group `pgid` that are still alive (zombies excluded: orphans
// are reaped by init in its own time).
int live_members(pid_t pgid) {
  int live = 0;
  for (const auto& entry : boost::filesystem::directory_iterator("/proc")) {
    std::ifstream stat((entry.path() / "stat").string());
    std::string line;
    if (!std::getline(stat, line)) continue;
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    long ppid = 0;
    long pgrp = 0;
    rest >> state >> ppid >> pgrp;
    if (pgrp == pgid && state != 'Z' && state != 'X') ++live;
  }
  return live;
}

// A kill is delivered asynchronously: tests wait for its effect, bounded.
using test_support::eventually;

class TaskRunnerTest : public ::testing::Test {
 protected:
  TaskRunnerTest()
      : root_(boost::filesystem::temp_directory_path() /
              boost::filesystem::unique_path("zfleet-runner-test-%%%%-%%%%")),
        area_(root_.string()),
        runner_(clock_, options(), area_, env_) {}

  ~TaskRunnerTest() override {
    boost::system::error_code ec;
    boost::filesystem::remove_all(root_, ec);
  }

  static RunnerOptions options() {
    RunnerOptions o;
    o.grace = 200ms;
    return o;
  }

  static msg::TaskAssignment task(std::vector<std::string> argv, std::uint64_t id = 1) {
    msg::TaskAssignment t;
    t.task_id = id;
    t.attempt = 1;
    t.spec.argv = std::move(argv);
    return t;
  }

  // Drives the runner until nothing runs or `limit` passes.
  bool run_until_idle(Millis limit = 10s) {
    const TimePoint deadline = clock_.now() + limit;
    std::vector<zmq_pollitem_t> items;
    while (runner_.running() > 0) {
      const TimePoint now = clock_.now();
      if (now >= deadline) return false;
      runner_.on_timer(now);
      items.clear();
      runner_.append_poll_items(items);
      TimePoint until = deadline;
      if (auto d = runner_.next_deadline()) until = std::min(until, *d);
      zmq::poll(items, Millis{millis_until(now, until)});
      runner_.on_poll(items.data(), items.size());
    }
    return true;
  }

  FinishedAttempt run(const msg::TaskAssignment& t) {
    const StartResult started = runner_.start(t);
    EXPECT_TRUE(started.started) << started.error;
    EXPECT_TRUE(run_until_idle());
    std::vector<FinishedAttempt> done;
    runner_.take_finished(done);
    EXPECT_EQ(done.size(), 1U);
    return done.empty() ? FinishedAttempt{} : std::move(done.front());
  }

  SystemClock clock_;
  boost::filesystem::path root_;
  WorkArea area_;
  TaskEnvironment env_;
  TaskRunner runner_;
};

TEST_F(TaskRunnerTest, CapturesStdoutOfEcho) {
  const auto f = run(task({"echo", "hello", "world"}));
  EXPECT_EQ(f.outcome.exit_code, 0);
  EXPECT_FALSE(f.outcome.signal.has_value());
  EXPECT_EQ(f.outcome.stdout_tail, "hello world\n");
  EXPECT_EQ(f.outcome.stdout_bytes, 12U);
  EXPECT_TRUE(f.outcome.succeeded());
  EXPECT_GT(f.outcome.started_at_ms, 0);
  EXPECT_GE(f.outcome.finished_at_ms, f.outcome.started_at_ms);
  EXPECT_FALSE(f.shutdown);
}

TEST_F(TaskRunnerTest, KeepsStdoutAndStderrApart) {
  const auto f = run(task({"/bin/sh", "-c", "echo out; echo err >&2"}));
  EXPECT_EQ(f.outcome.stdout_tail, "out\n");
  EXPECT_EQ(f.outcome.stderr_tail, "err\n");
}

TEST_F(TaskRunnerTest, ReportsTheExitCode) {
  const auto f = run(task({"/bin/sh", "-c", "exit 3"}));
  EXPECT_EQ(f.outcome.exit_code, 3);
  EXPECT_FALSE(f.outcome.succeeded());
}

TEST_F(TaskRunnerTest, ReportsTheSignalThatEndedIt) {
  const auto f = run(task({"/bin/sh", "-c", "kill -9 $$"}));
  EXPECT_FALSE(f.outcome.exit_code.has_value());
  EXPECT_EQ(f.outcome.signal, SIGKILL);
}

TEST_F(TaskRunnerTest, DeliversStdinToCat) {
  auto t = task({"cat"});
  t.spec.stdin_data = "line one\nline two\n";
  const auto f = run(t);
  EXPECT_EQ(f.outcome.stdout_tail, "line one\nline two\n");
}

TEST_F(TaskRunnerTest, DeliversStdinLargerThanAPipe) {
  auto t = task({"wc", "-c"});
  t.spec.stdin_data = std::string(1024 * 1024, 'z');
  const auto f = run(t);
  EXPECT_EQ(std::stoul(f.outcome.stdout_tail), 1024U * 1024U);
}

TEST_F(TaskRunnerTest, ChildThatIgnoresStdinStillFinishes) {
  auto t = task({"/bin/true"});
  t.spec.stdin_data = std::string(1024 * 1024, 'z');
  const auto f = run(t);
  EXPECT_EQ(f.outcome.exit_code, 0);
}

TEST_F(TaskRunnerTest, FloodedStdoutKeepsOnlyTheCap) {
  auto t = task({"head", "-c", "50000000", "/dev/zero"});
  t.spec.output_cap = 1000;
  const auto f = run(t);
  EXPECT_EQ(f.outcome.exit_code, 0);
  EXPECT_EQ(f.outcome.stdout_bytes, 50'000'000U);
  EXPECT_EQ(f.outcome.stdout_tail, std::string(1000, '\0'));
}

TEST_F(TaskRunnerTest, TimeoutKillsTheWholeProcessGroup) {
  auto t = task({"/bin/sh", "-c", "sleep 100 & sleep 100"});
  t.spec.timeout_ms = 200;
  const StartResult started = runner_.start(t);
  ASSERT_TRUE(started.started) << started.error;
  const auto pgid = static_cast<pid_t>(started.pid);
  EXPECT_EQ(::getpgid(pgid), pgid);
  ASSERT_TRUE(run_until_idle());
  std::vector<FinishedAttempt> done;
  runner_.take_finished(done);
  ASSERT_EQ(done.size(), 1U);
  EXPECT_TRUE(done[0].outcome.timed_out);
  EXPECT_EQ(done[0].outcome.signal, SIGTERM);
  EXPECT_FALSE(done[0].outcome.succeeded());
  // Nothing of the group is left, not even the background sleep.
  EXPECT_TRUE(eventually([&] { return live_members(pgid) == 0; }));
}

TEST_F(TaskRunnerTest, TaskIgnoringSigtermIsKilledAfterGrace) {
  auto t = task({"/bin/sh", "-c", "trap '' TERM; sleep 100"});
  t.spec.timeout_ms = 100;
  t.spec.grace_ms = 100;
  const auto f = run(t);
  EXPECT_TRUE(f.outcome.timed_out);
  EXPECT_EQ(f.outcome.signal, SIGKILL);
}

TEST_F(TaskRunnerTest, ExitOfTheLeaderKillsItsBackgroundJobs) {
  const StartResult started = runner_.start(task({"/bin/sh", "-c", "sleep 100 & echo started"}));
  ASSERT_TRUE(started.started);
  ASSERT_TRUE(run_until_idle());
  EXPECT_TRUE(eventually([&] { return live_members(static_cast<pid_t>(started.pid)) == 0; }));
}

TEST_F(TaskRunnerTest, MissingProgramFailsToStart) {
  const StartResult started = runner_.start(task({"zfleet-no-such-program"}));
  EXPECT_FALSE(started.started);
  EXPECT_NE(started.error.find("not found"), std::string::npos) << started.error;
  EXPECT_EQ(runner_.running(), 0U);
}

TEST_F(TaskRunnerTest, ExecFailureFailsToStart) {
  const std::string data_file = root_.string() + "/not-a-program";
  { std::ofstream(data_file) << "data\n"; }
  ::chmod(data_file.c_str(), 0644);
  const StartResult started = runner_.start(task({data_file}));
  EXPECT_FALSE(started.started);
  EXPECT_NE(started.error.find("ermission denied"), std::string::npos) << started.error;
  EXPECT_EQ(runner_.running(), 0U);
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);  // no zombie left behind
}

TEST_F(TaskRunnerTest, MissingCwdFailsToStart) {
  auto t = task({"/bin/true"});
  t.spec.cwd = "/zfleet/no/such/dir";
  const StartResult started = runner_.start(t);
  EXPECT_FALSE(started.started);
  EXPECT_NE(started.error.find("chdir"), std::string::npos) << started.error;
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
}

TEST_F(TaskRunnerTest, RunsInAPrivateDirectoryRemovedAfterwards) {
  auto t = task({"/bin/sh", "-c", "pwd; mkdir sub; touch sub/file"}, 77);
  const auto f = run(t);
  EXPECT_EQ(f.outcome.exit_code, 0);
  const std::string dir = f.outcome.stdout_tail.substr(0, f.outcome.stdout_tail.size() - 1);
  EXPECT_EQ(dir.rfind(root_.string() + "/", 0), 0U) << dir;
  EXPECT_FALSE(boost::filesystem::exists(dir));
}

TEST_F(TaskRunnerTest, NextTaskFindsItsDirectoryEmpty) {
  const auto first = run(task({"/bin/sh", "-c", "pwd"}, 1));
  const auto second = run(task({"/bin/sh", "-c", "pwd; ls -A | wc -l"}, 2));
  EXPECT_EQ(second.outcome.stdout_tail, first.outcome.stdout_tail + "0\n");
}

TEST_F(TaskRunnerTest, UsesTheTasksCwd) {
  auto t = task({"pwd"});
  t.spec.cwd = "/";
  EXPECT_EQ(run(t).outcome.stdout_tail, "/\n");
}

TEST_F(TaskRunnerTest, AddsTheTasksEnvironment) {
  auto t = task({"/bin/sh", "-c", "echo \"$ZFLEET_TEST_A-$ZFLEET_TEST_B\""});
  t.spec.env = {{"ZFLEET_TEST_A", "one"}, {"ZFLEET_TEST_B", "two"}};
  EXPECT_EQ(run(t).outcome.stdout_tail, "one-two\n");
}

TEST_F(TaskRunnerTest, ChildInheritsOnlyStandardFds) {
  // ls's own directory handle is 3; anything above would be a leak.
  const auto f = run(task({"ls", "/proc/self/fd"}));
  EXPECT_EQ(f.outcome.stdout_tail, "0\n1\n2\n3\n");
}

TEST_F(TaskRunnerTest, ChildStartsWithDefaultSigpipe) {
  // The worker ignores SIGPIPE; a task must not inherit that.
  auto* previous = ::signal(SIGPIPE, SIG_IGN);
  const auto f = run(task({"/bin/sh", "-c", "yes | head -c 3 >/dev/null; echo ${PIPESTATUS:-ok}"}));
  ::signal(SIGPIPE, previous);
  EXPECT_EQ(f.outcome.stderr_tail, "");
}

TEST_F(TaskRunnerTest, ChildIsSetsidLeaderOfItsOwnGroup) {
  const StartResult started = runner_.start(task({"sleep", "100"}));
  ASSERT_TRUE(started.started);
  const auto pid = static_cast<pid_t>(started.pid);
  EXPECT_EQ(::getsid(pid), pid);
  EXPECT_EQ(::getpgid(pid), pid);
  runner_.stop_all(true);
  ASSERT_TRUE(run_until_idle());
}

TEST_F(TaskRunnerTest, StopAllEndsAttemptsAsShutdown) {
  ASSERT_TRUE(runner_.start(task({"sleep", "100"}, 1)).started);
  ASSERT_TRUE(runner_.start(task({"sleep", "100"}, 2)).started);
  EXPECT_EQ(runner_.running(), 2U);
  EXPECT_TRUE(runner_.holds(2, 1));
  EXPECT_EQ(runner_.leases().size(), 2U);
  runner_.stop_all(false);
  ASSERT_TRUE(run_until_idle());
  std::vector<FinishedAttempt> done;
  runner_.take_finished(done);
  ASSERT_EQ(done.size(), 2U);
  for (const auto& f : done) {
    EXPECT_TRUE(f.shutdown);
    EXPECT_FALSE(f.outcome.timed_out);
    EXPECT_EQ(f.outcome.signal, SIGTERM);
  }
}

TEST_F(TaskRunnerTest, DestructionKillsAndReapsRunningChildren) {
  pid_t pid = 0;
  {
    TaskRunner runner(clock_, options(), area_, env_);
    const StartResult started = runner.start(task({"sleep", "100"}));
    ASSERT_TRUE(started.started);
    pid = static_cast<pid_t>(started.pid);
  }
  EXPECT_EQ(::kill(pid, 0), -1);  // gone and reaped: not even a zombie
  EXPECT_EQ(errno, ESRCH);
}

// A script and its input sent with the task, run as ./job.sh from the task
// directory.
msg::TaskAssignment script_task() {
  msg::TaskAssignment t;
  t.task_id = 1;
  t.attempt = 1;
  t.spec.argv = {"./job.sh"};
  t.spec.files = {{"job.sh", "#!/bin/sh\necho from-script $(cat data.txt)\n", 0755},
                  {"data.txt", "42", 0644}};
  return t;
}

TEST_F(TaskRunnerTest, RunsAScriptSentWithTheTask) {
  const auto f = run(script_task());
  EXPECT_EQ(f.outcome.exit_code, 0) << f.outcome.stderr_tail;
  EXPECT_EQ(f.outcome.stdout_tail, "from-script 42\n");
}

TEST_F(TaskRunnerTest, WithFilesARelativeCwdIsInsideTheTaskDirectory) {
  auto t = script_task();
  t.spec.cwd = "work/here";
  for (auto& file : t.spec.files)
    file.path = "work/here/" + file.path;
  t.spec.files.push_back({"top.txt", "x", 0600});
  t.spec.argv = {"/bin/sh", "-c", "./job.sh; pwd; cat ../../top.txt"};
  const auto f = run(t);
  EXPECT_EQ(f.outcome.exit_code, 0) << f.outcome.stderr_tail;
  ASSERT_EQ(f.outcome.stdout_tail.rfind("from-script 42\n" + root_.string() + "/", 0), 0U)
      << f.outcome.stdout_tail;
  EXPECT_TRUE(f.outcome.stdout_tail.ends_with("/work/here\nx")) << f.outcome.stdout_tail;
}

TEST_F(TaskRunnerTest, FileLeavingTheTaskDirectoryFailsPermanently) {
  auto t = script_task();
  t.spec.files.push_back({"../evil", "evil", 0755});
  const StartResult started = runner_.start(t);
  EXPECT_FALSE(started.started);
  EXPECT_TRUE(started.permanent);
  EXPECT_EQ(started.error, "files: path '../evil' may not have '.' or '..' parts");
  EXPECT_EQ(runner_.running(), 0U);
  EXPECT_FALSE(boost::filesystem::exists(root_ / "evil"));
  EXPECT_FALSE(boost::filesystem::exists(root_.parent_path() / "evil"));
  // The directory the attempt had is back, emptied or removed.
  for (const auto& entry : boost::filesystem::directory_iterator(root_))
    EXPECT_TRUE(boost::filesystem::is_empty(entry.path())) << entry.path();
}

TEST_F(TaskRunnerTest, FilesWithAnAbsoluteCwdFailPermanently) {
  auto t = script_task();
  t.spec.cwd = "/";
  const StartResult started = runner_.start(t);
  EXPECT_FALSE(started.started);
  EXPECT_TRUE(started.permanent);
  EXPECT_EQ(started.error.rfind("files: ", 0), 0U) << started.error;
}

// The same under the worker's real sandbox as root: the attempt runs as a
// pool uid of its own, with the host's layers but no cgroup (no leaves made
// by a unit test).
class SandboxedTaskRunnerTest : public TaskRunnerTest {
 protected:
  static constexpr uid_t kUidBase = 231000;  // away from the worker's default range

  SandboxedTaskRunnerTest() : host_(confined_host()), sandbox_(host_), uids_(kUidBase, 4) {}

  static HostCapabilities confined_host() {
    HostCapabilities host = testing::detected_host();
    host.cgroup = CgroupSetup{};
    return host;
  }

  void SetUp() override {
    if (!testing::running_as_root()) GTEST_SKIP() << "needs root to run a task as a pool uid";
    std::string why;
    if (!host_.uid_switch || !probe_uid_switch(kUidBase + 3, why))
      GTEST_SKIP() << "cannot switch to uid " << kUidBase << ": " << why;
    // A task uid must reach its directory by name through the work area.
    ::chmod(root_.c_str(), 0711);
  }

  AttemptPolicy policy() const {
    AttemptPolicy p;
    p.sandbox = SandboxPolicy::defaults(true);
    p.sandbox.cgroup = CgroupLayer{};
    p.monitor.sample_every = Millis{0};
    return p;
  }

  FinishedAttempt run_confined(const msg::TaskAssignment& t) {
    const StartResult started = confined_.start(t, policy());
    EXPECT_TRUE(started.started) << started.error;
    std::vector<FinishedAttempt> done;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    std::vector<zmq_pollitem_t> items;
    while (confined_.running() > 0 && std::chrono::steady_clock::now() < deadline) {
      confined_.on_timer(clock_.now());
      items.clear();
      confined_.append_poll_items(items);
      zmq::poll(items, 100ms);
      confined_.on_poll(items.data(), items.size());
    }
    confined_.take_finished(done);
    EXPECT_EQ(done.size(), 1U);
    return done.empty() ? FinishedAttempt{} : std::move(done.front());
  }

  HostCapabilities host_;
  Sandbox sandbox_;
  UidPool uids_;
  TaskRunner confined_{clock_, options(), area_, env_, &sandbox_, &uids_};
};

TEST_F(SandboxedTaskRunnerTest, RunsAScriptSentWithTheTaskAsAPoolUid) {
  auto t = script_task();
  t.spec.argv = {"/bin/sh", "-c", "./job.sh; id -u; stat -c '%u %a' job.sh data.txt"};
  const auto f = run_confined(t);
  EXPECT_EQ(f.outcome.exit_code, 0) << f.outcome.stderr_tail;
  const std::string uid = std::to_string(kUidBase);
  EXPECT_EQ(f.outcome.stdout_tail,
            "from-script 42\n" + uid + "\n" + uid + " 755\n" + uid + " 644\n");
  EXPECT_EQ(uids_.in_use(), 0U);
  std::cout << "sandbox layers applied: " << f.outcome.sandbox << "\n";
  EXPECT_NE(f.outcome.sandbox.find("uid"), std::string::npos) << f.outcome.sandbox;
}

TEST_F(SandboxedTaskRunnerTest, RunsTheScriptItselfAsItsProgram) {
  const auto f = run_confined(script_task());
  EXPECT_EQ(f.outcome.exit_code, 0) << f.outcome.stderr_tail;
  EXPECT_EQ(f.outcome.stdout_tail, "from-script 42\n");
}

TEST_F(TaskRunnerTest, RunsManyShortTasksConcurrently) {
  for (std::uint64_t id = 1; id <= 20; ++id) {
    ASSERT_TRUE(runner_.start(task({"/bin/true"}, id)).started);
  }
  ASSERT_TRUE(run_until_idle());
  std::vector<FinishedAttempt> done;
  runner_.take_finished(done);
  EXPECT_EQ(done.size(), 20U);
  for (const auto& f : done)
    EXPECT_EQ(f.outcome.exit_code, 0);
}

}  // namespace
}  // namespace zfleet::worker
