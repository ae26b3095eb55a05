// TaskQueue: priority order, FIFO, project fairness and concurrency limits.
#include "broker/task_queue.hpp"

#include <gtest/gtest.h>

#include <map>

namespace zfleet::broker {
namespace {

std::vector<std::uint64_t> drain(TaskQueue& q, bool release = true) {
  std::vector<std::uint64_t> out;
  while (auto p = q.pop()) {
    out.push_back(p->id);
    if (release) q.release(p->project);
  }
  return out;
}

TEST(TaskQueue, PopsHighestPriorityFirst) {
  TaskQueue q(0);
  q.push("a", 1, 1);
  q.push("a", 10, 2);
  q.push("a", 5, 3);
  q.push("a", 0, 4);
  EXPECT_EQ(drain(q), (std::vector<std::uint64_t>{2, 3, 1, 4}));
}

TEST(TaskQueue, KeepsFifoWithinPriority) {
  TaskQueue q(0);
  for (std::uint64_t id = 1; id <= 5; ++id)
    q.push("a", 5, id);
  EXPECT_EQ(drain(q), (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
}

TEST(TaskQueue, AlternatesBetweenProjectsAtEqualPriority) {
  TaskQueue q(0);
  for (std::uint64_t id = 1; id <= 4; ++id)
    q.push("big", 5, id);
  q.push("small", 5, 100);
  q.push("small", 5, 101);
  EXPECT_EQ(drain(q), (std::vector<std::uint64_t>{1, 100, 2, 101, 3, 4}));
}

TEST(TaskQueue, PushFrontGoesBeforeOlderTasks) {
  TaskQueue q(0);
  q.push("a", 5, 1);
  q.push_front("a", 5, 9);
  EXPECT_EQ(drain(q), (std::vector<std::uint64_t>{9, 1}));
}

TEST(TaskQueue, ParksProjectAtItsLimitAndServesOthers) {
  TaskQueue q(0);
  q.set_limit("a", 2);
  for (std::uint64_t id = 1; id <= 5; ++id)
    q.push("a", 9, id);
  q.push("b", 1, 50);
  // Without releases: a gets 2 slots, then b's lower priority task runs.
  EXPECT_EQ(drain(q, false), (std::vector<std::uint64_t>{1, 2, 50}));
  EXPECT_EQ(q.project("a")->running, 2u);
  EXPECT_FALSE(q.pop().has_value());
  q.release("a");
  auto next = q.pop();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->id, 3u);
  EXPECT_EQ(q.project("a")->peak_running, 2u);
}

TEST(TaskQueue, DefaultLimitAppliesToNewProjects) {
  TaskQueue q(1);
  q.push("x", 5, 1);
  q.push("x", 5, 2);
  EXPECT_TRUE(q.pop());
  EXPECT_FALSE(q.pop());
}

TEST(TaskQueue, RaisingLimitUnparksImmediately) {
  TaskQueue q(0);
  q.set_limit("a", 1);
  q.push("a", 5, 1);
  q.push("a", 5, 2);
  ASSERT_TRUE(q.pop());
  EXPECT_FALSE(q.pop());
  q.set_limit("a", 0);
  auto next = q.pop();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->id, 2u);
}

TEST(TaskQueue, LimitNeverExceededUnderChurn) {
  TaskQueue q(0);
  q.set_limit("a", 3);
  q.set_limit("b", 2);
  std::uint64_t id = 1;
  for (int i = 0; i < 300; ++i)
    q.push(i % 2 ? "a" : "b", static_cast<std::uint32_t>(i % 11), id++);
  std::vector<TaskQueue::Popped> running;
  std::size_t done = 0;
  while (done < 300) {
    while (auto p = q.pop())
      running.push_back(*p);
    EXPECT_LE(q.project("a")->running, 3u);
    EXPECT_LE(q.project("b")->running, 2u);
    ASSERT_FALSE(running.empty());
    q.release(running.front().project);
    running.erase(running.begin());
    ++done;
  }
  EXPECT_EQ(q.queued(), 0u);
  EXPECT_EQ(q.project("a")->peak_running, 3u);
  EXPECT_EQ(q.project("b")->peak_running, 2u);
}

TEST(TaskQueue, ManyParkedProjectsDoNotHideRunnableOne) {
  TaskQueue q(1);
  std::uint64_t id = 1;
  for (int p = 0; p < 1000; ++p) {
    q.push("p" + std::to_string(p), 5, id++);
    q.push("p" + std::to_string(p), 5, id++);
  }
  std::size_t popped = 0;
  while (q.pop())
    ++popped;
  EXPECT_EQ(popped, 1000u);  // one per project, the rest parked
  q.release("p500");
  auto next = q.pop();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->project, "p500");
}

// The priority is an array index: out of range must stop the daemon in every
// build (ZFLEET_CHECK), not write past the array as a compiled-out assert did.
TEST(TaskQueueDeathTest, PriorityOutOfRangeAbortsInEveryBuild) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  TaskQueue q(0);
  EXPECT_DEATH(q.push("p", kPriorityLevels, 1), "invariant broken: a queued priority");
  EXPECT_DEATH(q.push_front("p", kPriorityLevels + 5, 1), "task_queue.cpp:[0-9]+");
}

}  // namespace
}  // namespace zfleet::broker
