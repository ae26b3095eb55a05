// ExecutorRegistry: routing by kind, advertised kinds, one executor serving
// several kinds, and cancel/suspend/resume reaching the executor that holds
// the attempt (a FakeExecutor registered for the kind "fake" records them).
#include "worker/core/executor.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <utility>
#include <vector>

#include "tests/unit/fake_executor.hpp"

namespace zfleet::worker {
namespace {

msg::TaskAssignment task(std::uint64_t id, std::uint32_t attempt, std::string type) {
  msg::TaskAssignment t;
  t.task_id = id;
  t.attempt = attempt;
  t.spec.type = std::move(type);
  return t;
}

TEST(ExecutorRegistry, RoutesAKindToItsExecutor) {
  FakeExecutor fake;
  ExecutorRegistry registry;
  registry.add("fake", fake);
  Executor* e = registry.find("fake");
  ASSERT_EQ(e, &fake);
  EXPECT_EQ(registry.find("shell"), nullptr);
  const StartResult r = e->start(task(7, 1, "fake"));
  EXPECT_TRUE(r.started);
  EXPECT_EQ(fake.started, (std::vector<Call>{{7, 1}}));
  EXPECT_EQ(registry.running(), 1u);
  EXPECT_TRUE(registry.holds(7, 1));
  EXPECT_FALSE(registry.holds(7, 2));
}

TEST(ExecutorRegistry, KindsAreTheAdvertisedOnesInOrder) {
  FakeExecutor a, b;
  ExecutorRegistry registry;
  registry.add("fake", a);
  registry.add("hidden", b, false);
  registry.add("other", b);
  EXPECT_EQ(registry.kinds(), (std::vector<std::string>{"fake", "other"}));
  // Unadvertised still routes.
  EXPECT_EQ(registry.find("hidden"), &b);
}

TEST(ExecutorRegistry, AnExecutorServingTwoKindsIsListedOnce) {
  FakeExecutor shared, other;
  ExecutorRegistry registry;
  registry.add("fake", shared);
  registry.add("other", other);
  registry.add("fake2", shared);
  EXPECT_EQ(registry.executors(), (std::vector<Executor*>{&shared, &other}));
  shared.start(task(1, 1, "fake"));
  shared.start(task(2, 1, "fake2"));
  EXPECT_EQ(registry.running(), 2u);  // counted once, not once per kind
}

TEST(ExecutorRegistry, AKindRegisteredTwiceIsRefused) {
  FakeExecutor a, b;
  ExecutorRegistry registry;
  registry.add("fake", a);
  EXPECT_THROW(registry.add("fake", b), std::invalid_argument);
  EXPECT_EQ(registry.find("fake"), &a);
}

TEST(ExecutorRegistry, CancelSuspendAndResumeReachOnlyTheHolder) {
  FakeExecutor fake, other;
  ExecutorRegistry registry;
  registry.add("other", other);
  registry.add("fake", fake);
  fake.start(task(5, 2, "fake"));
  const TimePoint now{};

  EXPECT_TRUE(registry.suspend(5, 2, now));
  EXPECT_TRUE(registry.resume(5, 2, now));
  EXPECT_TRUE(registry.cancel(5, 2, now));
  EXPECT_EQ(fake.suspended, (std::vector<Call>{{5, 2}}));
  EXPECT_EQ(fake.resumed, (std::vector<Call>{{5, 2}}));
  EXPECT_EQ(fake.cancelled, (std::vector<Call>{{5, 2}}));
  EXPECT_TRUE(other.cancelled.empty());
  EXPECT_TRUE(other.suspended.empty());
  EXPECT_TRUE(other.resumed.empty());
}

TEST(ExecutorRegistry, AnAttemptHeldNowhereIsNotCancelled) {
  FakeExecutor fake;
  ExecutorRegistry registry;
  registry.add("fake", fake);
  const TimePoint now{};
  EXPECT_FALSE(registry.cancel(9, 1, now));
  EXPECT_FALSE(registry.suspend(9, 1, now));
  EXPECT_FALSE(registry.resume(9, 1, now));
  EXPECT_TRUE(fake.cancelled.empty());
  EXPECT_TRUE(fake.suspended.empty());
}

TEST(ExecutorRegistry, DefaultsOfAnExecutorThatPollsNothing) {
  FakeExecutor fake;
  std::vector<zmq_pollitem_t> items;
  fake.append_poll_items(items);
  EXPECT_TRUE(items.empty());
  EXPECT_FALSE(fake.next_deadline());
  EXPECT_FALSE(fake.streams_output());
  EXPECT_FALSE(fake.take_children_changed());
  fake.start(task(3, 1, "fake"));
  std::vector<msg::LeaseRef> leases;
  fake.leases(leases);
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].task_id, 3u);
}

}  // namespace
}  // namespace zfleet::worker
