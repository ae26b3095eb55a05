// Worker ids on the wire, with the real binaries: a second live worker under
// an id that still beats is refused (logged by both, counted by the broker)
// and takes the id over only once the first is gone; the same worker
// restarted on its work directory takes over at once.
#include <signal.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/support/eventually.hpp"
#include "tests/support/local_fleet.hpp"

namespace zfleet {
namespace {

using test_support::eventually;
using test_support::FleetProcess;
using test_support::LocalFleet;
using test_support::ProcessOptions;
using namespace std::chrono_literals;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::uint64_t counter(Client& client, const std::string& name) {
  auto stats = client.stats();
  if (!stats) return 0;
  for (const auto& [key, value] : stats.value())
    if (key == name) return value;
  return 0;
}

// The pid the broker holds for worker `id`; 0 when it lists none.
std::uint64_t registered_pid(Client& client, const std::string& id) {
  auto workers = client.workers();
  if (!workers) return 0;
  for (const auto& w : workers.value())
    if (w.id == id) return w.pid;
  return 0;
}

TEST(WorkerIdentity, SecondLiveWorkerUnderTheSameIdIsRefusedUntilTheFirstIsGone) {
  LocalFleet fleet({"--heartbeat-ms", "100"});
  const auto first = fleet.add_worker("dup", 1);
  ASSERT_TRUE(fleet.await_workers(1, 10s)) << fleet.logs();
  const auto first_pid = static_cast<std::uint64_t>(fleet.worker(first).pid());

  // Another host would have another work directory: so does this one.
  const std::string log = fleet.dir() + "/worker-dup-second.log";
  auto second =
      FleetProcess::start(ZFLEET_WORKER_BIN,
                          {"--broker", fleet.endpoints().workers, "--id", "dup", "--slots", "1",
                           "--work-dir", fleet.dir() + "/work-dup-second", "--heartbeat-ms", "100"},
                          ProcessOptions::log_to(log));

  ASSERT_TRUE(eventually(
      [&] { return read_file(log).find("broker refused this worker") != std::string::npos; }, 10s))
      << read_file(log) << fleet.logs();
  const std::string refusal = read_file(log);
  EXPECT_NE(refusal.find("worker id 'dup' is in use by the worker on host"), std::string::npos)
      << refusal;
  EXPECT_NE(refusal.find("pid " + std::to_string(first_pid)), std::string::npos) << refusal;
  EXPECT_GE(counter(fleet.client(), "workers_refused_duplicate"), 1u);
  EXPECT_NE(fleet.broker().log_tail(16384).find("refused READY"), std::string::npos);

  // The first keeps its registration and gets the work: a task runs there.
  msg::TaskSpec spec;
  spec.argv = {"/bin/echo", "ran"};
  auto id = fleet.client().submit(spec);
  ASSERT_TRUE(id.ok());
  auto done = fleet.client().result(id.value(), 10s);
  ASSERT_TRUE(done.ok()) << fleet.logs();
  EXPECT_EQ(done.value().state, msg::TaskState::kSucceeded);
  EXPECT_EQ(registered_pid(fleet.client(), "dup"), first_pid);
  ASSERT_TRUE(second.running()) << "a refused worker keeps trying, it does not exit";

  // Once the first is gone (silent for three heartbeats), the second's next
  // attempt registers.
  fleet.worker(first).kill();
  const auto second_pid = static_cast<std::uint64_t>(second.pid());
  EXPECT_TRUE(eventually([&] { return registered_pid(fleet.client(), "dup") == second_pid; }, 20s))
      << read_file(log) << fleet.logs();
  second.terminate();
}

TEST(WorkerIdentity, SameWorkerRestartedOnItsWorkDirectoryTakesOverAtOnce) {
  // A long heartbeat: a takeover that waited for the old registration to
  // expire would not happen within the test's wait.
  LocalFleet fleet({"--heartbeat-ms", "10000"});
  const auto first = fleet.add_worker("w1", 1);
  ASSERT_TRUE(fleet.await_workers(1, 10s)) << fleet.logs();
  fleet.worker(first).kill();
  const auto again = fleet.add_worker("w1", 1);
  const auto new_pid = static_cast<std::uint64_t>(fleet.worker(again).pid());
  ASSERT_TRUE(eventually([&] { return registered_pid(fleet.client(), "w1") == new_pid; }, 10s))
      << fleet.logs();
  EXPECT_EQ(counter(fleet.client(), "workers_replaced"), 1u);
  EXPECT_EQ(counter(fleet.client(), "workers_refused_duplicate"), 0u);
  auto workers = fleet.client().workers();
  ASSERT_TRUE(workers.ok());
  EXPECT_EQ(workers.value().size(), 1u);
}

}  // namespace
}  // namespace zfleet
