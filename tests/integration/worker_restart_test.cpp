// A worker killed with -9 and started again with the same id and work
// directory: the task child it left running is found through the state file
// and killed (with its process group) before the new worker registers, and
// the broker runs the task again.
#include <signal.h>

#include <fstream>
#include <optional>
#include <sstream>

#include <sys/stat.h>

#include <gtest/gtest.h>
#include <boost/filesystem.hpp>

#include "tests/support/eventually.hpp"
#include "tests/support/local_fleet.hpp"
#include "worker/core/state_file.hpp"
#include "worker/sandbox/proc_stat.hpp"

namespace zfleet {
namespace {

using test_support::eventually;
using test_support::LocalFleet;
using namespace std::chrono_literals;

// The one child the worker's state file lists, once it lists exactly one.
std::optional<worker::ChildRecord> only_child(const std::string& state_file) {
  std::ifstream in(state_file);
  std::stringstream text;
  text << in.rdbuf();
  std::vector<worker::ChildRecord> records;
  std::string error;
  if (!worker::parse_state(text.str(), records, error) || records.size() != 1) return std::nullopt;
  return records.front();
}

// Still the process the record names: alive and started at that time.
bool runs(const worker::ChildRecord& r) {
  const auto stat = worker::read_proc_stat(r.pid);
  return stat && !stat->dead() && stat->start_time == r.start_time;
}

TEST(WorkerRestart, ChildOfAKilledWorkerIsEndedAndItsTaskRunsAgain) {
  LocalFleet fleet({"--heartbeat-ms", "100"});
  // The attempts leave each other a mark in a shared directory under /tmp,
  // which a private /tmp would hide.
  const std::string policy = fleet.dir() + "/policy.json";
  std::ofstream(policy) << R"({"layers": {"private_tmp": "off"}})";
  const std::vector<std::string> worker_args{"--policy", policy};
  const auto first_life = fleet.add_worker("w1", 1, worker_args);
  ASSERT_TRUE(fleet.await_workers(1, 10s)) << fleet.logs();
  // LocalFleet gives each worker id its own work directory, kept across
  // restarts; the state file lives there by default.
  const std::string state_file = fleet.dir() + "/work-w1/worker-state";

  // The first attempt leaves a mark and sleeps; a later one sees the mark
  // and succeeds at once, so the test ends soon after the rerun.
  // In a directory every task uid may write, as /tmp is.
  const std::string shared = fleet.dir() + "/shared";
  ASSERT_EQ(::mkdir(shared.c_str(), 0777), 0);
  ASSERT_EQ(::chmod(shared.c_str(), 01777), 0);
  const std::string mark = shared + "/first-attempt-ran";
  msg::TaskSpec spec;
  spec.argv = {"/bin/sh", "-c",
               "test -e " + mark + " && exit 0; touch " + mark + "; exec sleep 30"};
  spec.timeout_ms = 60'000;
  const auto id = fleet.client().submit(spec);
  ASSERT_TRUE(id.ok());

  std::optional<worker::ChildRecord> child;
  ASSERT_TRUE(eventually(
      [&] {
        child = only_child(state_file);
        return child && boost::filesystem::exists(mark) && runs(*child);
      },
      10s))
      << fleet.logs();
  EXPECT_EQ(child->task_id, id.value());

  fleet.worker(first_life).kill();
  // Children call setsid(): the worker's death leaves this one running.
  EXPECT_TRUE(runs(*child));

  fleet.add_worker("w1", 1, worker_args);
  EXPECT_TRUE(eventually([&] { return !runs(*child); }, 10s)) << fleet.logs();

  std::optional<msg::TaskView> final_view;
  ASSERT_TRUE(eventually(
      [&] {
        auto r = fleet.client().result(id.value(), 1000ms);
        if (r.ok() && msg::is_final(r.value().state)) final_view = r.value();
        return final_view.has_value();
      },
      30s))
      << fleet.logs();
  const msg::TaskView& t = *final_view;
  EXPECT_EQ(t.state, msg::TaskState::kSucceeded) << fleet.logs();
  EXPECT_GE(t.attempts, 2u);
  EXPECT_EQ(t.worker, "w1");
  EXPECT_NE(fleet.worker(1).log_tail(16384).find("previous life"), std::string::npos)
      << fleet.logs();
}

TEST(WorkerRestart, CleanExitLeavesNoStateFile) {
  LocalFleet fleet;
  const auto w = fleet.add_worker("w1", 1);
  ASSERT_TRUE(fleet.await_workers(1, 10s)) << fleet.logs();
  const std::string state_file = fleet.dir() + "/work-w1/worker-state";
  ASSERT_TRUE(eventually([&] { return boost::filesystem::exists(state_file); }, 10s));
  ASSERT_TRUE(fleet.worker(w).signal(SIGTERM));
  const auto status = fleet.worker(w).wait_for(15s);
  ASSERT_TRUE(status) << fleet.logs();
  EXPECT_TRUE(status->success()) << status->describe();
  EXPECT_FALSE(boost::filesystem::exists(state_file));
}

}  // namespace
}  // namespace zfleet
