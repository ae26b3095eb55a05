// Ending a previous life's children with real processes: a live child named
// by the state file is killed with its whole group; a pid whose start time
// differs (a reused pid) and a record without a start time are left alone.
// Waits are bounded polls on /proc and the children's exits; nothing sleeps
// for a fixed time.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/filesystem.hpp>

#include "tests/support/eventually.hpp"
#include "worker/core/leftover_children.hpp"
#include "worker/core/state_file.hpp"
#include "worker/sandbox/child_process.hpp"
#include "worker/sandbox/proc_stat.hpp"
#include "worker/sandbox/unique_fd.hpp"

extern char** environ;

namespace zfleet::worker {
namespace {

using namespace std::chrono_literals;

using test_support::eventually;

// Live (non-zombie) processes of group `pgid`.
int live_members(pid_t pgid) {
  int live = 0;
  for (const auto& entry : boost::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto stat = read_proc_stat(static_cast<pid_t>(std::stol(name)));
    if (stat && stat->pgrp == pgid && !stat->dead()) ++live;
  }
  return live;
}

class LeftoverChildrenTest : public ::testing::Test {
 protected:
  LeftoverChildrenTest()
      : dir_(boost::filesystem::temp_directory_path() /
             boost::filesystem::unique_path("zfleet-leftover-test-%%%%-%%%%")),
        null_(::open("/dev/null", O_RDWR | O_CLOEXEC)) {
    boost::filesystem::create_directories(dir_);
  }
  ~LeftoverChildrenTest() override {
    boost::system::error_code ec;
    boost::filesystem::remove_all(dir_, ec);
  }

  // A child that called setsid(), as the worker starts tasks.
  ChildProcess spawn(std::vector<std::string> argv) {
    argv_.push_back(std::move(argv));
    SpawnRequest request;
    request.program = argv_.back().front();
    request.argv = &argv_.back();
    request.envp = environ;
    request.stdin_fd = request.stdout_fd = request.stderr_fd = null_.get();
    std::string error;
    auto child = ChildProcess::spawn(request, error);
    if (!child) throw std::runtime_error(error);
    return std::move(*child);
  }

  // What the next life reads back from the file this one wrote.
  std::vector<ChildRecord> round_trip(const std::vector<ChildRecord>& records) {
    const std::string path = (dir_ / "worker-state").string();
    {
      StateFile life(path);
      EXPECT_EQ(life.write(records), 0);
    }
    StateFile next(path);
    std::vector<ChildRecord> back;
    std::string error;
    EXPECT_TRUE(next.read(back, error)) << error;
    return back;
  }

  static bool alive(ChildProcess& child) {
    const auto stat = read_proc_stat(child.pid());
    return stat && !stat->dead();
  }

  boost::filesystem::path dir_;
  UniqueFd null_;
  std::vector<std::vector<std::string>> argv_;
};

TEST_F(LeftoverChildrenTest, KillsALiveChildAndItsWholeGroup) {
  ChildProcess child = spawn({"/bin/sh", "-c", "sleep 100 & exec sleep 100"});
  const pid_t pgid = child.pid();
  ASSERT_GT(child.start_time(), 0U);
  ASSERT_TRUE(eventually([&] { return live_members(pgid) == 2; }));

  const auto records = round_trip({{child.pid(), child.start_time(), 7, 1}});
  const LeftoverReport report = end_leftover_children(records, 5s);
  EXPECT_EQ(report.killed, 1U);
  EXPECT_EQ(report.survived, 0U);
  // The wait is part of the cleanup: nothing of the group is left on return.
  EXPECT_EQ(live_members(pgid), 0);
  std::optional<ExitStatus> status;
  ASSERT_TRUE(eventually([&] { return (status = child.try_reap()).has_value(); }));
  EXPECT_EQ(status->signal, SIGKILL);
}

TEST_F(LeftoverChildrenTest, NeverKillsAReusedPid) {
  // `stranger` holds a pid the file names, but started at another time: a
  // process that got the pid after the recorded one ended.
  ChildProcess stranger = spawn({"/bin/sleep", "100"});
  ChildProcess ours = spawn({"/bin/sleep", "100"});
  ASSERT_GT(stranger.start_time(), 0U);
  const auto records = round_trip({
      {stranger.pid(), stranger.start_time() + 1, 1, 1},
      {stranger.pid(), 0, 2, 1},  // no start time known: never enough to kill
      {ours.pid(), ours.start_time(), 3, 1},
  });
  const LeftoverReport report = end_leftover_children(records, 5s);
  EXPECT_EQ(report.reused, 1U);
  EXPECT_EQ(report.unknown, 1U);
  EXPECT_EQ(report.killed, 1U);
  // `ours` was killed after the stranger was considered and is gone now, so
  // a signal sent to the stranger would have landed by now too.
  ASSERT_TRUE(eventually([&] { return ours.try_reap().has_value(); }));
  EXPECT_TRUE(alive(stranger));
  EXPECT_FALSE(stranger.try_reap().has_value());
}

TEST_F(LeftoverChildrenTest, ChildrenThatAlreadyEndedAreOnlyCounted) {
  ChildProcess child = spawn({"/bin/true"});
  const ChildRecord record{child.pid(), child.start_time(), 5, 2};
  ASSERT_TRUE(eventually([&] { return child.try_reap().has_value(); }));
  const LeftoverReport report = end_leftover_children({record}, 5s);
  EXPECT_EQ(report.gone, 1U);
  EXPECT_EQ(report.killed, 0U);
}

}  // namespace
}  // namespace zfleet::worker
