// Tasks that try to escape their sandbox, run through the real broker and a
// real worker with its default policy. Each test asserts the attempt failed
// or was contained and that the worker stayed healthy (alive, and running
// the next task). Tests that need root (uid switching, cgroups, network
// namespaces) skip with the reason when the suite does not run as root.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/eventually.hpp"
#include "tests/support/local_fleet.hpp"

namespace zfleet {
namespace {

using namespace std::chrono_literals;
using test_support::LocalFleet;

msg::TaskSpec shell(std::vector<std::string> argv) {
  msg::TaskSpec spec;
  spec.argv = std::move(argv);
  spec.retry.max_attempts = 1;
  spec.timeout_ms = 20'000;
  return spec;
}

// Ended without success: failed, or dead (one attempt allowed, used up).
bool failed(const msg::TaskView& t) {
  return t.state == msg::TaskState::kFailed || t.state == msg::TaskState::kDead;
}

std::string describe(const msg::TaskView& t) {
  if (!t.outcome) return "no outcome";
  const auto& o = *t.outcome;
  return "exit " + std::to_string(o.exit_code.value_or(-1)) + " signal " +
         std::to_string(o.signal.value_or(0)) + " killed_by '" + o.killed_by + "' error '" +
         o.error + "' stderr: " + o.stderr_tail;
}

msg::TaskView run(LocalFleet& fleet, const msg::TaskSpec& spec, Millis wait = 30s) {
  auto id = fleet.client().submit(spec);
  EXPECT_TRUE(id.ok()) << id.error().message;
  if (!id.ok()) return {};
  auto view = fleet.client().result(id.value(), wait);
  EXPECT_TRUE(view.ok()) << fleet.logs();
  if (!view.ok()) return {};
  EXPECT_TRUE(msg::is_final(view.value().state)) << fleet.logs();
  return view.value();
}

std::uint64_t rss_kb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

// Processes whose last argument is `arg`.
int count_processes(const std::string& arg) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream cmdline(entry.path() / "cmdline");
    std::string all((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    if (all.size() > arg.size() && all.compare(all.size() - arg.size() - 1, arg.size(), arg) == 0)
      ++count;
  }
  return count;
}

class SandboxEscape : public ::testing::Test {
 protected:
  void SetUp() override {
    worker_ = fleet_.add_worker("w1", 2);
    ASSERT_TRUE(fleet_.await_workers(1, 10s)) << fleet_.logs();
  }

  bool root() const { return ::geteuid() == 0; }

  // The worker is alive and still runs tasks.
  void expect_healthy() {
    EXPECT_TRUE(fleet_.worker(worker_).running()) << fleet_.logs();
    const auto after = run(fleet_, shell({"echo", "still here"}));
    EXPECT_EQ(after.state, msg::TaskState::kSucceeded) << fleet_.logs();
  }

  LocalFleet fleet_;
  std::size_t worker_ = 0;
};

TEST_F(SandboxEscape, WritingOutsideTheWorkDirectoryFails) {
  if (!root()) GTEST_SKIP() << "needs root: as the worker's own uid a task can write what it can";
  const std::string target = fleet_.dir() + "/work-w1/escaped";
  const auto t = run(fleet_, shell({"/bin/sh", "-c",
                                    "echo x > ../escaped || echo x > " + target +
                                        " || echo x > /etc/zfleet-escaped || exit 9; exit 0"}));
  EXPECT_TRUE(failed(t)) << describe(t);
  EXPECT_EQ(t.outcome->exit_code, 9);
  EXPECT_NE(::access(target.c_str(), F_OK), 0);
  EXPECT_NE(::access("/etc/zfleet-escaped", F_OK), 0);
  // Its own directory is writable.
  const auto own = run(fleet_, shell({"/bin/sh", "-c", "echo x > mine && cat mine"}));
  EXPECT_EQ(own.state, msg::TaskState::kSucceeded) << own.outcome->stderr_tail;
  expect_healthy();
}

TEST_F(SandboxEscape, ReadingAnotherTasksDirectoryFails) {
  if (!root()) GTEST_SKIP() << "needs root: tasks get uids of their own only under a root worker";
  auto holder = shell({"/bin/sh", "-c", "echo secret > secret; echo ready; exec sleep 20"});
  auto holder_id = fleet_.client().submit(holder);
  ASSERT_TRUE(holder_id.ok());
  ASSERT_TRUE(test_support::eventually(
      [&] {
        auto s = fleet_.client().status(holder_id.value());
        return s.ok() && s.value().state == msg::TaskState::kRunning;
      },
      10s, 20ms));
  // The directories are d0, d1, ... under the work root, which others may
  // cross but not list.
  const auto t = run(fleet_, shell({"/bin/sh", "-c",
                                    "ls .. && exit 8; for i in 0 1 2 3 4 5 6 7; do "
                                    "cat ../d$i/secret 2>/dev/null && exit 7; done; exit 0"}));
  EXPECT_EQ(t.state, msg::TaskState::kSucceeded)
      << "exit " << t.outcome->exit_code.value_or(-1) << ": " << t.outcome->stdout_tail;
  EXPECT_EQ(t.outcome->stdout_tail.find("secret"), std::string::npos);
  ASSERT_TRUE(fleet_.client().cancel(holder_id.value()).ok());
  expect_healthy();
}

// /tmp and /dev/shm are the usual place to leave something for whoever
// runs next: each task gets its own, and the host's stay out of sight.
TEST_F(SandboxEscape, FilesLeftInTmpReachNeitherOtherTasksNorTheHost) {
  if (!root()) GTEST_SKIP() << "needs root: a private /tmp takes a mount namespace";
  const std::string name = "zfleet-escape-" + std::to_string(::getpid());
  const std::string host_file = "/tmp/" + name + "-host";
  std::ofstream(host_file) << "host secret\n";
  auto holder = shell({"/bin/sh", "-c",
                       "echo secret > /tmp/" + name + " && echo secret > /dev/shm/" + name +
                           " && echo '::progress 50 written' && exec sleep 20"});
  auto holder_id = fleet_.client().submit(holder);
  ASSERT_TRUE(holder_id.ok());
  ASSERT_TRUE(test_support::eventually(
      [&] {
        auto s = fleet_.client().status(holder_id.value());
        return s.ok() && s.value().live && s.value().live->progress == 50;
      },
      10s, 20ms));
  const auto t = run(fleet_, shell({"/bin/sh", "-c",
                                    "cat /tmp/" + name + " /dev/shm/" + name + " " + host_file +
                                        " 2>&1; ls /tmp /dev/shm; exit 0"}));
  EXPECT_EQ(t.state, msg::TaskState::kSucceeded) << describe(t);
  EXPECT_EQ(t.outcome->stdout_tail.find("secret"), std::string::npos) << t.outcome->stdout_tail;
  EXPECT_EQ(t.outcome->stdout_tail.find(name + "-host\n"), std::string::npos)
      << t.outcome->stdout_tail;
  EXPECT_NE(::access(("/tmp/" + name).c_str(), F_OK), 0) << "the task's file reached the host";
  EXPECT_NE(::access(("/dev/shm/" + name).c_str(), F_OK), 0);
  ASSERT_TRUE(fleet_.client().cancel(holder_id.value()).ok());
  ::unlink(host_file.c_str());
  expect_healthy();
}

TEST_F(SandboxEscape, AForkBombIsContainedAndCleanedUp) {
  if (!root())
    GTEST_SKIP() << "needs root: without a cgroup pids limit a fork bomb reaches the host";
  auto spec = shell({"/bin/sh", "-c", "while :; do sleep 3600.25 & done"});
  spec.timeout_ms = 3000;
  spec.grace_ms = 200;
  spec.sandbox.processes = 64;
  const auto t = run(fleet_, spec);
  EXPECT_TRUE(failed(t)) << describe(t);
  // Ended by the pids limit (fork fails) or the timeout; either way every
  // process it made is gone with its cgroup.
  EXPECT_TRUE(test_support::eventually([] { return count_processes("3600.25") == 0; }, 5s, 20ms))
      << count_processes("3600.25") << " of its processes are left";
  expect_healthy();
}

TEST_F(SandboxEscape, AllocatingPastTheMemoryLimitKillsTheTask) {
  auto spec = shell({"python3", "-c", "a = bytearray(400 << 20); import time; time.sleep(5)"});
  spec.sandbox.memory_bytes = 100 << 20;
  const auto t = run(fleet_, spec);
  EXPECT_TRUE(failed(t)) << describe(t);
  ASSERT_TRUE(t.outcome);
  // The cgroup's OOM killer or the worker's own sampling: either way killed.
  EXPECT_TRUE(t.outcome->killed_by == "oom" || t.outcome->killed_by == "memory" ||
              t.outcome->exit_code.value_or(0) != 0)
      << "killed_by '" << t.outcome->killed_by << "' " << t.outcome->stderr_tail;
  expect_healthy();
}

TEST_F(SandboxEscape, OpeningANetworkSocketWhenDeniedFails) {
  if (!root()) GTEST_SKIP() << "needs root: a network namespace of its own";
  // The broker listens on this host's loopback; inside the task's namespace
  // loopback is empty, so even that is unreachable.
  const auto port = fleet_.endpoints().clients.substr(fleet_.endpoints().clients.rfind(':') + 1);
  const auto t = run(fleet_, shell({"python3", "-c",
                                    "import socket\n"
                                    "socket.create_connection(('127.0.0.1', " +
                                        port + "), timeout=2)\n"}));
  EXPECT_TRUE(failed(t)) << describe(t);
  EXPECT_NE(t.outcome->stderr_tail.find("Error"), std::string::npos) << t.outcome->stderr_tail;
  expect_healthy();
}

TEST_F(SandboxEscape, AnHttpRequestToADeniedAddressFails) {
  msg::TaskSpec spec;
  spec.type = "http";
  spec.retry.max_attempts = 1;
  spec.timeout_ms = 10'000;
  spec.http.url = "http://169.254.169.254/latest/meta-data/";
  auto t = run(fleet_, spec);
  EXPECT_TRUE(failed(t)) << describe(t);
  EXPECT_NE(t.outcome->stderr_tail.find("denied"), std::string::npos) << t.outcome->stderr_tail;
  spec.http.url = "http://" + fleet_.endpoints().clients.substr(6) + "/";
  t = run(fleet_, spec);
  EXPECT_TRUE(failed(t)) << describe(t);
  EXPECT_NE(t.outcome->stderr_tail.find("denied"), std::string::npos) << t.outcome->stderr_tail;
  expect_healthy();
}

TEST_F(SandboxEscape, KillingTheWorkerFails) {
  if (!root()) GTEST_SKIP() << "needs root: as the worker's own uid a task may signal it";
  const pid_t pid = fleet_.worker(worker_).pid();
  const auto t = run(fleet_, shell({"kill", "-9", std::to_string(pid)}));
  EXPECT_TRUE(failed(t)) << describe(t);
  expect_healthy();
}

TEST_F(SandboxEscape, FloodingStdoutIsCappedAndTheWorkerStaysSmall) {
  auto spec = shell({"/bin/sh", "-c", "head -c 300000000 /dev/zero"});
  spec.output_cap = 4096;
  const auto t = run(fleet_, spec, 60s);
  EXPECT_EQ(t.state, msg::TaskState::kSucceeded);
  EXPECT_EQ(t.outcome->stdout_bytes, 300'000'000U);
  EXPECT_EQ(t.outcome->stdout_tail.size(), 4096U);
  EXPECT_LT(rss_kb(fleet_.worker(worker_).pid()), 100U * 1024) << "worker memory grew";
  expect_healthy();
}

TEST_F(SandboxEscape, ExceedingCpuTimeKillsTheTask) {
  auto spec = shell({"/bin/sh", "-c", "while :; do :; done"});
  spec.sandbox.cpu_seconds = 1;
  const auto t = run(fleet_, spec);
  EXPECT_TRUE(failed(t)) << describe(t);
  EXPECT_EQ(t.outcome->killed_by, "cpu") << "signal " << t.outcome->signal.value_or(0);
  expect_healthy();
}

}  // namespace
}  // namespace zfleet
