// ResultWaiters alone (broker/result_waiters.hpp): capacity, answers on a
// task's ending, expiry at the deadline in deadline order, each waiter handed
// back once. Times come from a FakeClock.
#include <gtest/gtest.h>

#include "broker/result_waiters.hpp"

namespace zfleet::broker {
namespace {

class ResultWaitersTest : public ::testing::Test {
 protected:
  TimePoint in(std::int64_t ms) const { return clock_.now() + Millis{ms}; }
  FakeClock clock_;
  ResultWaiters waiters_{3};
};

TEST_F(ResultWaitersTest, RefusesBeyondItsCapacity) {
  EXPECT_TRUE(waiters_.add("a", 1, 10, in(100)));
  EXPECT_TRUE(waiters_.add("b", 2, 10, in(100)));
  EXPECT_TRUE(waiters_.add("c", 3, 11, in(100)));
  EXPECT_FALSE(waiters_.add("d", 4, 11, in(100)));
  EXPECT_EQ(waiters_.size(), 3u);
  waiters_.take(10);
  EXPECT_EQ(waiters_.size(), 1u);
  EXPECT_TRUE(waiters_.add("d", 4, 11, in(100)));
}

TEST_F(ResultWaitersTest, TakeHandsBackATasksWaitersInArrivalOrderOnce) {
  waiters_.add("a", 1, 10, in(100));
  waiters_.add("b", 2, 11, in(100));
  waiters_.add("c", 3, 10, in(50));
  auto taken = waiters_.take(10);
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0].identity, "a");
  EXPECT_EQ(taken[1].identity, "c");
  EXPECT_EQ(taken[1].task_id, 10u);
  EXPECT_TRUE(waiters_.take(10).empty());
  EXPECT_TRUE(waiters_.take(99).empty());
  // The taken ones do not expire again.
  clock_.advance(Millis{200});
  auto expired = waiters_.expire(clock_.now());
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].identity, "b");
  EXPECT_EQ(waiters_.size(), 0u);
}

TEST_F(ResultWaitersTest, ExpireAtTheDeadlineInDeadlineOrder) {
  waiters_.add("late", 1, 10, in(300));
  waiters_.add("early", 2, 11, in(100));
  waiters_.add("middle", 3, 10, in(200));
  EXPECT_EQ(waiters_.next_deadline(), in(100));
  clock_.advance(Millis{99});
  EXPECT_TRUE(waiters_.expire(clock_.now()).empty());
  clock_.advance(Millis{1});
  auto first = waiters_.expire(clock_.now());
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].identity, "early");
  EXPECT_EQ(first[0].req, 2u);
  clock_.advance(Millis{500});
  auto rest = waiters_.expire(clock_.now());
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].identity, "middle");
  EXPECT_EQ(rest[1].identity, "late");
  EXPECT_EQ(waiters_.size(), 0u);
  EXPECT_FALSE(waiters_.next_deadline());
}

TEST_F(ResultWaitersTest, ATakenWaitersDeadlineOnlyWakesEarly) {
  waiters_.add("a", 1, 10, in(100));
  waiters_.take(10);
  EXPECT_EQ(waiters_.next_deadline(), in(100));
  clock_.advance(Millis{100});
  EXPECT_TRUE(waiters_.expire(clock_.now()).empty());
  EXPECT_FALSE(waiters_.next_deadline());
}

}  // namespace
}  // namespace zfleet::broker
