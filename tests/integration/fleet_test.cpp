// The real broker and workers on loopback running real children: results,
// project limits, a worker killed mid-task, timeouts and draining.
#include <signal.h>

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/support/eventually.hpp"
#include "tests/support/local_fleet.hpp"

namespace zfleet {
namespace {

using test_support::eventually;
using test_support::LocalFleet;
using namespace std::chrono_literals;

msg::TaskSpec shell(std::vector<std::string> argv, std::string project = "default") {
  msg::TaskSpec s;
  s.argv = std::move(argv);
  s.project = std::move(project);
  return s;
}

std::vector<std::uint64_t> submit_all(Client& client, const std::vector<msg::TaskSpec>& specs) {
  std::vector<std::uint64_t> ids(specs.size(), 0);
  client.submit_many(specs, 128, [&](std::size_t i, const Result<std::uint64_t>& r) {
    ASSERT_TRUE(r.ok()) << describe(r.error());
    ids[i] = r.value();
  });
  return ids;
}

// Waits for every task to reach a final state; returns their views.
std::map<std::uint64_t, msg::TaskView> await_all(Client& client,
                                                 const std::vector<std::uint64_t>& ids,
                                                 std::chrono::milliseconds timeout) {
  std::map<std::uint64_t, msg::TaskView> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (std::uint64_t id : ids) {
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = client.result(id, 1000ms);
      if (r.ok() && msg::is_final(r.value().state)) {
        out.emplace(id, r.value());
        break;
      }
    }
  }
  return out;
}

TEST(Fleet, ThousandShellTasksOverTwoWorkersAllSucceedWithCorrectOutput) {
  LocalFleet fleet;
  fleet.add_worker("w1", 2);
  fleet.add_worker("w2", 2);
  ASSERT_TRUE(fleet.await_workers(2, 10s)) << fleet.logs();
  std::vector<msg::TaskSpec> specs;
  for (int i = 0; i < 1000; ++i)
    specs.push_back(shell({"/bin/echo", "task-" + std::to_string(i)}));
  const auto ids = submit_all(fleet.client(), specs);
  const auto results = await_all(fleet.client(), ids, 120s);
  ASSERT_EQ(results.size(), 1000u) << fleet.logs();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const msg::TaskView& t = results.at(ids[i]);
    ASSERT_EQ(t.state, msg::TaskState::kSucceeded) << "task " << i;
    ASSERT_TRUE(t.outcome);
    EXPECT_EQ(t.outcome->stdout_tail, "task-" + std::to_string(i) + "\n");
    EXPECT_EQ(t.outcome->exit_code, 0);
  }
  auto workers = fleet.client().workers();
  ASSERT_TRUE(workers.ok());
  for (const auto& w : workers.value())
    EXPECT_GT(w.tasks_done, 0u) << w.id << " did no work";
}

TEST(Fleet, ProjectLimitOfTwoIsNeverExceeded) {
  LocalFleet fleet;
  fleet.add_worker("w1", 4);
  fleet.add_worker("w2", 4);
  ASSERT_TRUE(fleet.await_workers(2, 10s)) << fleet.logs();
  ASSERT_TRUE(fleet.client().set_limit("limited", 2).ok());
  std::vector<msg::TaskSpec> specs;
  for (int i = 0; i < 30; ++i)
    specs.push_back(shell({"/bin/sleep", "0.05"}, "limited"));
  for (int i = 0; i < 10; ++i)
    specs.push_back(shell({"/bin/sleep", "0.05"}, "free"));
  const auto ids = submit_all(fleet.client(), specs);
  std::uint64_t max_seen = 0;
  ASSERT_TRUE(eventually(
      [&] {
        auto projects = fleet.client().projects();
        if (!projects.ok()) return false;
        for (const auto& p : projects.value()) {
          if (p.name == "limited") {
            max_seen = std::max(max_seen, p.running);
            return p.succeeded == 30;
          }
        }
        return false;
      },
      60s, 5ms))
      << fleet.logs();
  EXPECT_LE(max_seen, 2u);
  auto projects = fleet.client().projects();
  ASSERT_TRUE(projects.ok());
  for (const auto& p : projects.value()) {
    if (p.name == "limited") {
      EXPECT_EQ(p.peak_running, 2u);  // the broker's own accounting
      EXPECT_EQ(p.limit, 2u);
    }
    if (p.name == "free") {
      EXPECT_GT(p.peak_running, 2u);
    }
  }
  EXPECT_EQ(await_all(fleet.client(), ids, 30s).size(), ids.size());
}

TEST(Fleet, WorkerKilledMidTaskHasItsTasksFinishedByTheOther) {
  LocalFleet fleet({"--heartbeat-ms", "100"});
  const auto victim = fleet.add_worker("victim", 2);
  ASSERT_TRUE(fleet.await_workers(1, 10s)) << fleet.logs();
  std::vector<msg::TaskSpec> specs;
  for (int i = 0; i < 2; ++i)
    specs.push_back(shell({"/bin/sleep", "0.3"}));
  const auto ids = submit_all(fleet.client(), specs);
  ASSERT_TRUE(eventually(
      [&] {
        auto w = fleet.client().workers();
        return w.ok() && w.value().size() == 1 && w.value()[0].busy == 2;
      },
      10s))
      << fleet.logs();
  fleet.worker(victim).kill();
  fleet.add_worker("survivor", 2);
  const auto results = await_all(fleet.client(), ids, 30s);
  ASSERT_EQ(results.size(), 2u) << fleet.logs();
  for (const auto& [id, t] : results) {
    EXPECT_EQ(t.state, msg::TaskState::kSucceeded);
    EXPECT_EQ(t.worker, "survivor");
    EXPECT_GE(t.attempts, 2u);
  }
  auto stats = fleet.client().stats();
  ASSERT_TRUE(stats.ok());
  std::map<std::string, std::uint64_t> s(stats.value().begin(), stats.value().end());
  EXPECT_EQ(s["workers_expired"], 1u);
  EXPECT_GE(s["tasks_requeued"], 2u);
}

TEST(Fleet, TimedOutTaskIsKilledAndReported) {
  LocalFleet fleet;
  fleet.add_worker("w1", 1);
  msg::TaskSpec spec = shell({"/bin/sh", "-c", "echo started; exec sleep 30"});
  spec.timeout_ms = 300;
  spec.grace_ms = 200;
  auto id = fleet.client().submit(spec);
  ASSERT_TRUE(id.ok());
  const auto results = await_all(fleet.client(), {id.value()}, 20s);
  ASSERT_EQ(results.size(), 1u) << fleet.logs();
  const auto& t = results.begin()->second;
  EXPECT_EQ(t.state, msg::TaskState::kFailed);
  ASSERT_TRUE(t.outcome);
  EXPECT_TRUE(t.outcome->timed_out);
  EXPECT_EQ(t.outcome->signal, SIGTERM);
  EXPECT_EQ(t.outcome->stdout_tail, "started\n");
}

TEST(Fleet, ExitCodesStdinEnvAndCwdReachTheTask) {
  LocalFleet fleet;
  fleet.add_worker("w1", 2);
  msg::TaskSpec spec = shell({"/bin/sh", "-c", "cat; echo \"$GREETING\"; pwd; exit 7"});
  spec.stdin_data = "from stdin\n";
  spec.env = {{"GREETING", "hello"}};
  // Under the sandbox a task's cwd is a directory inside its own.
  spec.cwd = "sub/dir";
  auto id = fleet.client().submit(spec);
  ASSERT_TRUE(id.ok());
  const auto results = await_all(fleet.client(), {id.value()}, 20s);
  ASSERT_EQ(results.size(), 1u) << fleet.logs();
  const auto& t = results.begin()->second;
  EXPECT_EQ(t.state, msg::TaskState::kFailed);
  EXPECT_EQ(t.outcome->exit_code, 7);
  const std::string out = t.outcome->stdout_tail;
  EXPECT_EQ(out.rfind("from stdin\nhello\n", 0), 0U) << out;
  EXPECT_NE(out.find("/sub/dir\n"), std::string::npos) << out;
}

TEST(Fleet, MissingProgramFailsWithReason) {
  LocalFleet fleet({"--backoff-ms", "1"});
  fleet.add_worker("w1", 1);
  auto id = fleet.client().submit(shell({"no-such-program-zfleet"}));
  ASSERT_TRUE(id.ok());
  const auto results = await_all(fleet.client(), {id.value()}, 20s);
  ASSERT_EQ(results.size(), 1u) << fleet.logs();
  const auto& t = results.begin()->second;
  // A program that cannot be executed will not appear on a retry: the task
  // fails at once, with the reason and the program named, instead of
  // burning its attempts into the dead-letter list.
  EXPECT_EQ(t.state, msg::TaskState::kFailed);
  EXPECT_EQ(t.attempts, 1u);
  ASSERT_TRUE(t.outcome);
  EXPECT_NE(t.outcome->error.find("no-such-program-zfleet"), std::string::npos) << t.outcome->error;
  EXPECT_NE(t.outcome->error.find("not found"), std::string::npos) << t.outcome->error;
}

TEST(Fleet, DrainingWorkerFinishesRunningTasksAndExitsCleanly) {
  LocalFleet fleet;
  const auto w = fleet.add_worker("w1", 2);
  ASSERT_TRUE(fleet.await_workers(1, 10s)) << fleet.logs();
  std::vector<msg::TaskSpec> specs(2, shell({"/bin/sh", "-c", "sleep 0.3; echo finished"}));
  const auto ids = submit_all(fleet.client(), specs);
  // Both children must be running (STARTED reached the broker): a task the
  // worker had not started yet would be handed back, not finished.
  ASSERT_TRUE(eventually(
      [&] {
        for (auto id : ids) {
          auto t = fleet.client().status(id);
          if (!t.ok() || t.value().started_at_ms == 0) return false;
        }
        return true;
      },
      10s));
  ASSERT_TRUE(fleet.worker(w).signal(SIGTERM));
  auto status = fleet.worker(w).wait_for(15s);
  ASSERT_TRUE(status) << fleet.logs();
  EXPECT_TRUE(status->success()) << status->describe();
  const auto results = await_all(fleet.client(), ids, 10s);
  ASSERT_EQ(results.size(), 2u) << fleet.logs();
  for (const auto& [id, t] : results) {
    EXPECT_EQ(t.state, msg::TaskState::kSucceeded);
    EXPECT_EQ(t.outcome->stdout_tail, "finished\n");
  }
}

TEST(Fleet, HigherPriorityRunsFirstOnABusyFleet) {
  LocalFleet fleet;
  std::vector<msg::TaskSpec> specs;
  for (int i = 0; i < 5; ++i) {
    auto s = shell({"/bin/true"});
    s.priority = 1;
    specs.push_back(s);
  }
  auto urgent = shell({"/bin/true"});
  urgent.priority = 10;
  specs.push_back(urgent);
  const auto ids = submit_all(fleet.client(), specs);  // queued before any worker exists
  fleet.add_worker("w1", 1);
  const auto results = await_all(fleet.client(), ids, 20s);
  ASSERT_EQ(results.size(), ids.size()) << fleet.logs();
  const auto urgent_start = results.at(ids.back()).started_at_ms;
  for (std::size_t i = 0; i + 1 < ids.size(); ++i) {
    EXPECT_LE(urgent_start, results.at(ids[i]).started_at_ms);
  }
}

TEST(Fleet, BrokerStopsCleanlyOnSigterm) {
  LocalFleet fleet;
  ASSERT_TRUE(fleet.broker().signal(SIGTERM));
  auto status = fleet.broker().wait_for(10s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->success()) << status->describe();
}

}  // namespace
}  // namespace zfleet
