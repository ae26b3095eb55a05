// Task cgroup leaves on this host's cgroups (v2, or v1 where that is what
// the host has): limits hold inside, release() kills what is left and
// removes the leaves, and nothing is made outside our zfleet directories.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "tests/unit/sandbox_probe.hpp"
#include "worker/sandbox/cgroup.hpp"

namespace zfleet::worker {
namespace {

using testing::bare_policy;
using testing::detected_host;
using testing::run_shell;

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

class SandboxCgroup : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::running_as_root()) GTEST_SKIP() << "cgroups need root";
    if (detected_host().cgroup.version == CgroupVersion::kNone)
      GTEST_SKIP() << "no usable cgroups: " << detected_host().describe();
  }

  PreparedSandbox prepare(const SandboxPolicy& policy, const char* task) {
    std::string error;
    auto prepared = sandbox_.prepare(policy, task, 1, error);
    EXPECT_TRUE(prepared) << error;
    return prepared ? std::move(*prepared) : PreparedSandbox{};
  }

  Sandbox sandbox_{detected_host()};
};

TEST(SandboxCgroupName, LeafNamesAreSafeAndCarryTheWorkerPid) {
  EXPECT_EQ(cgroup_leaf_name(42, "job-7_a", 3), "w42-job-7_a-3");
  EXPECT_EQ(cgroup_leaf_name(42, "../../etc x", 1), "w42-______etc_x-1");
  EXPECT_EQ(cgroup_leaf_name(1, std::string(200, 'a'), 1).size(), std::string("w1--1").size() + 48);
}

TEST_F(SandboxCgroup, LeavesLiveOnlyUnderOurDirectoryAndGoAway) {
  SandboxPolicy policy = bare_policy();
  policy.cgroup.pids_max = 50;
  std::vector<std::string> dirs;
  {
    PreparedSandbox p = prepare(policy, "placement");
    ASSERT_TRUE(p.cgroup.active());
    dirs = p.cgroup.dirs();
    ASSERT_FALSE(dirs.empty());
    for (const auto& dir : dirs) {
      EXPECT_NE(dir.find("/zfleet/w" + std::to_string(::getpid()) + "-placement-1"),
                std::string::npos)
          << dir;
      EXPECT_TRUE(exists(dir)) << dir;
    }
    EXPECT_EQ(p.plan.cgroup_count, dirs.size());
    const auto r = run_shell(p.plan, "cat /proc/self/cgroup");
    for (const auto& dir : dirs) {
      const std::string leaf = dir.substr(dir.find("/zfleet/"));
      EXPECT_NE(r.output.find(leaf), std::string::npos) << leaf << " not in\n" << r.output;
    }
  }
  for (const auto& dir : dirs)
    EXPECT_FALSE(exists(dir)) << dir << " left behind";
}

TEST_F(SandboxCgroup, MemoryLimitOomKillsTheTask) {
  if (!detected_host().cgroup.memory) GTEST_SKIP() << "no memory controller";
  SandboxPolicy policy = bare_policy();
  policy.cgroup.memory_max_bytes = std::uint64_t{64} << 20;
  PreparedSandbox p = prepare(policy, "oom");
  // tail keeps a line without a newline whole: it grows until stopped.
  const auto r = run_shell(p.plan, "head -c 400M /dev/zero | tail > /dev/null");
  EXPECT_EQ(r.exit_code, 128 + SIGKILL) << r.output;
  EXPECT_GE(p.cgroup.oom_kills().value_or(0), 1u);
}

TEST_F(SandboxCgroup, PidsLimitStopsAForkBombEvenForRoot) {
  if (!detected_host().cgroup.pids) GTEST_SKIP() << "no pids controller";
  SandboxPolicy policy = bare_policy();
  policy.cgroup.pids_max = 10;
  PreparedSandbox p = prepare(policy, "forkbomb");
  const auto r = run_shell(p.plan, "for i in $(seq 100); do sleep 5 & done; echo all-forked");
  EXPECT_EQ(r.output.find("all-forked"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("fork"), std::string::npos) << r.output;
  EXPECT_LE(p.cgroup.pids().size(), 10u);
}

TEST_F(SandboxCgroup, ReleaseKillsProcessesThatLeftTheGroup) {
  SandboxPolicy policy = bare_policy();
  PreparedSandbox p = prepare(policy, "escape");
  // setsid: out of the task's process group, which is all a group kill
  // reaches. The pid file is written once the escape has happened.
  const auto r = run_shell(p.plan,
                           "f=$(mktemp); setsid sh -c \"echo \\$\\$ > $f; exec sleep 300\" "
                           ">/dev/null 2>&1 & while [ ! -s $f ]; do sleep 0.01; done; "
                           "rm $f; echo started");
  EXPECT_EQ(r.output, "started\n");
  const auto left = p.cgroup.pids();
  ASSERT_EQ(left.size(), 1u) << "the escaped sleep is still in the leaf";
  const auto dirs = p.cgroup.dirs();
  std::string error;
  EXPECT_TRUE(p.cgroup.release(&error)) << error;
  for (const auto& dir : dirs)
    EXPECT_FALSE(exists(dir)) << dir;
  // Gone or a zombie waiting for its new parent: either way not running.
  const std::string stat_path = "/proc/" + std::to_string(left[0]) + "/stat";
  for (int i = 0; i < 100 && exists(stat_path); ++i)
    ::usleep(10000);
  if (exists(stat_path)) {
    std::ifstream in(stat_path);
    std::string pid, comm, state;
    in >> pid >> comm >> state;
    EXPECT_EQ(state, "Z");
  }
}

TEST_F(SandboxCgroup, CpuMaxThrottlesABusyLoop) {
  if (!detected_host().cgroup.cpu) GTEST_SKIP() << "no cpu controller";
  SandboxPolicy policy = bare_policy();
  policy.cgroup.cpu_max = CpuMax{10000, 100000};  // a tenth of a CPU
  PreparedSandbox p = prepare(policy, "cpu");
  const auto r = run_shell(p.plan, "timeout 1 sh -c 'while :; do :; done'; true");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_LT(r.cpu_seconds, 0.4) << "a tenth of a CPU for ~1 s";
  EXPECT_GT(r.wall_seconds, 0.9);
}

TEST_F(SandboxCgroup, SweepRemovesLeavesOfDeadWorkersOnly) {
  // A pid that surely belonged to a process that has exited.
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  const auto& setup = detected_host().cgroup;
  const std::string mine = cgroup_leaf_name(::getpid(), "alive", 1);
  const std::string theirs = cgroup_leaf_name(dead, "crashed", 1);
  std::string error;
  auto live = CgroupLease::create(setup, mine, CgroupLayer{}, error);
  ASSERT_TRUE(live) << error;
  // A crashed worker never ran its leases' destructors: its leaves stay.
  std::vector<std::string> stale_dirs;
  for (const auto& parent : setup.parent_dirs()) {
    stale_dirs.push_back(parent + "/" + theirs);
    ASSERT_EQ(::mkdir(stale_dirs.back().c_str(), 0755), 0) << stale_dirs.back();
  }

  EXPECT_EQ(sweep_stale_cgroup_leaves(setup), stale_dirs.size());
  for (const auto& dir : stale_dirs)
    EXPECT_FALSE(exists(dir)) << dir;
  for (const auto& dir : live->dirs())
    EXPECT_TRUE(exists(dir)) << dir;
}

}  // namespace
}  // namespace zfleet::worker
