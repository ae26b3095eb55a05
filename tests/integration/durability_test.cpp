// Durability through the real processes: a broker killed with SIGKILL and
// restarted on its journal keeps every acknowledged task, and adopts the
// attempt its worker is still running instead of running it twice;
// cancelling a running task stops its child and frees the worker's slot.
#include <gtest/gtest.h>

#include <map>

#include "tests/support/eventually.hpp"
#include "tests/support/final_view.hpp"
#include "tests/support/local_fleet.hpp"

namespace zfleet {
namespace {

using namespace std::chrono_literals;
using test_support::eventually;
using test_support::LocalFleet;

using test_support::final_view;

TEST(Durability, BrokerKilledMidRunKeepsEveryTaskAndAdoptsTheRunningAttempt) {
  LocalFleet fleet({"--heartbeat-ms", "200"});
  fleet.add_worker("w1", 1);
  ASSERT_TRUE(fleet.await_workers(1, 10s)) << fleet.logs();
  msg::TaskSpec slow;
  slow.argv = {"/bin/sh", "-c", "sleep 1; echo done-once"};
  auto running = fleet.client().submit(slow);
  ASSERT_TRUE(running.ok());
  std::vector<std::uint64_t> queued;
  for (int i = 0; i < 20; ++i) {
    msg::TaskSpec t;
    t.argv = {"/bin/echo", std::to_string(i)};
    auto id = fleet.client().submit(t);
    ASSERT_TRUE(id.ok());
    queued.push_back(id.value());
  }
  ASSERT_TRUE(eventually(
      [&] {
        auto t = fleet.client().status(running.value());
        return t.ok() && t.value().started_at_ms != 0;
      },
      10s));
  fleet.restart_broker();  // SIGKILL: no chance to flush anything
  auto first = final_view(fleet.client(), running.value(), 30s);
  ASSERT_TRUE(first) << fleet.logs();
  EXPECT_EQ(first->state, msg::TaskState::kSucceeded);
  EXPECT_EQ(first->attempts, 1u);  // adopted, not run a second time
  EXPECT_EQ(first->outcome->stdout_tail, "done-once\n");
  for (std::size_t i = 0; i < queued.size(); ++i) {
    auto t = final_view(fleet.client(), queued[i], 30s);
    ASSERT_TRUE(t) << "task " << queued[i] << "\n" << fleet.logs();
    EXPECT_EQ(t->state, msg::TaskState::kSucceeded);
    EXPECT_EQ(t->outcome->stdout_tail, std::to_string(i) + "\n");
  }
  auto stats = fleet.client().stats();
  ASSERT_TRUE(stats.ok());
  std::map<std::string, std::uint64_t> s(stats.value().begin(), stats.value().end());
  EXPECT_EQ(s["tasks_adopted"], 1u);
}

TEST(Durability, CancellingARunningTaskStopsItAndFreesTheSlot) {
  LocalFleet fleet;
  fleet.add_worker("w1", 1);
  msg::TaskSpec sleeper;
  sleeper.argv = {"/bin/sh", "-c", "echo started; exec sleep 60"};
  auto id = fleet.client().submit(sleeper);
  ASSERT_TRUE(id.ok());
  // Its output has reached the broker, not just its start: a cancel sent
  // between the two would race the echo, and the tail below would be empty.
  ASSERT_TRUE(eventually(
      [&] {
        auto l = fleet.client().logs(id.value());
        return l.ok() && l.value().stdout_data == "started\n";
      },
      10s))
      << fleet.logs();
  ASSERT_TRUE(fleet.client().cancel(id.value()).ok());
  msg::TaskSpec next;
  next.argv = {"/bin/echo", "after"};
  auto after = fleet.client().submit(next);
  ASSERT_TRUE(after.ok());
  auto done = final_view(fleet.client(), after.value(), 20s);
  ASSERT_TRUE(done) << fleet.logs();  // the single slot came back
  EXPECT_EQ(done->state, msg::TaskState::kSucceeded);
  std::optional<msg::TaskView> cancelled;
  ASSERT_TRUE(eventually(
      [&] {
        auto r = fleet.client().result(id.value());
        if (r.ok() && r.value().outcome) cancelled = r.value();
        return cancelled.has_value();
      },
      10s));
  EXPECT_EQ(cancelled->state, msg::TaskState::kCancelled);
  EXPECT_TRUE(cancelled->outcome->cancelled);
  EXPECT_EQ(cancelled->outcome->stdout_tail, "started\n");
  auto again = fleet.client().cancel(id.value());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kInvalidState);
}

TEST(Durability, RetriedTaskEndsInTheDeadLetterListAndRunsAgainFromIt) {
  LocalFleet fleet;
  fleet.add_worker("w1", 1);
  msg::TaskSpec flaky;
  flaky.argv = {"/bin/sh", "-c", "exit 3"};
  flaky.retry.max_attempts = 2;
  flaky.retry.retry_on = {"exit"};
  flaky.retry.backoff_ms = 10;
  auto id = fleet.client().submit(flaky);
  ASSERT_TRUE(id.ok());
  auto dead = final_view(fleet.client(), id.value(), 20s);
  ASSERT_TRUE(dead) << fleet.logs();
  EXPECT_EQ(dead->state, msg::TaskState::kDead);
  EXPECT_EQ(dead->attempts, 2u);
  auto list = fleet.client().dlq_list(10);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list.value().total, 1u);
  ASSERT_TRUE(fleet.client().dlq_retry(id.value()).ok());
  auto again = final_view(fleet.client(), id.value(), 20s);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->state, msg::TaskState::kDead);
  EXPECT_EQ(again->attempts, 4u);  // a fresh budget of two more
}

}  // namespace
}  // namespace zfleet
