// Retention, the broker's finished-task order and eviction, on a store of its
// own: count and age limits (in fake wall time), stale entries, the budget,
// and a cancelled task whose attempt still runs.
#include <gtest/gtest.h>

#include "broker/retention.hpp"
#include "common/clock.hpp"

namespace zfleet::broker {
namespace {

class RetentionTest : public ::testing::Test {
 protected:
  // A finished task in the store, ended now, and listed.
  std::uint64_t finish(msg::TaskState state = msg::TaskState::kSucceeded) {
    Task t;
    t.state = state;
    t.ended_at_ms = clock_.wall_ms();
    Task& stored = store_.insert(std::move(t));
    retention_.add(stored.id, stored.ended_at_ms);
    return stored.id;
  }
  std::vector<std::uint64_t> prune(std::size_t budget = 100) {
    return retention_.prune(store_, clock_.wall_ms(), budget);
  }

  FakeClock clock_;
  MemoryTaskStore store_;
  Retention retention_{3, 60'000};
};

TEST_F(RetentionTest, KeepsUpToTheCountThenEvictsOldestFirst) {
  const auto a = finish();
  const auto b = finish();
  finish();
  EXPECT_TRUE(prune().empty());
  finish();
  finish();
  EXPECT_EQ(prune(), (std::vector<std::uint64_t>{a, b}));
  EXPECT_EQ(store_.find(a), nullptr);
  EXPECT_EQ(store_.find(b), nullptr);
  EXPECT_EQ(store_.size(), 3U);
  EXPECT_EQ(retention_.size(), 3U);
}

TEST_F(RetentionTest, EvictsTasksOnceTheyReachTheAge) {
  const auto old = finish();
  clock_.advance(Millis{30'000});
  const auto young = finish();
  clock_.advance(Millis{29'999});
  EXPECT_TRUE(prune().empty());
  clock_.advance(Millis{1});  // `old` is 60 s old now
  EXPECT_EQ(prune(), std::vector<std::uint64_t>{old});
  clock_.advance(Millis{30'000});
  EXPECT_EQ(prune(), std::vector<std::uint64_t>{young});
  EXPECT_EQ(store_.size(), 0U);
}

TEST_F(RetentionTest, StaleEntriesAreSkippedAndDropped) {
  const auto purged = finish(msg::TaskState::kDead);
  const auto retried = finish(msg::TaskState::kDead);
  const auto kept = finish();
  store_.erase(purged);                                   // DLQ_PURGE
  store_.find(retried)->state = msg::TaskState::kQueued;  // DLQ_RETRY
  store_.find(retried)->ended_at_ms = 0;
  clock_.advance(Millis{60'000});
  EXPECT_EQ(prune(), std::vector<std::uint64_t>{kept});
  EXPECT_NE(store_.find(retried), nullptr);  // not final: not retention's to evict
  EXPECT_EQ(retention_.size(), 0U);
}

TEST_F(RetentionTest, ATaskThatEndedAgainIsHeldByItsNewEntry) {
  const auto id = finish();
  clock_.advance(Millis{40'000});
  store_.find(id)->ended_at_ms = clock_.wall_ms();  // retried and finished again
  retention_.add(id, clock_.wall_ms());
  clock_.advance(Millis{20'000});
  EXPECT_TRUE(prune().empty());  // the first entry was stale
  EXPECT_EQ(retention_.size(), 1U);
  clock_.advance(Millis{40'000});
  EXPECT_EQ(prune(), std::vector<std::uint64_t>{id});
}

TEST_F(RetentionTest, ACancelledTaskStillRunningHoldsBackTheRest) {
  const auto running = finish(msg::TaskState::kCancelled);
  store_.find(running)->worker_identity = "w1";
  const auto next = finish();
  clock_.advance(Millis{60'000});
  EXPECT_TRUE(prune().empty());
  store_.find(running)->worker_identity.clear();  // its attempt ended
  EXPECT_EQ(prune(), (std::vector<std::uint64_t>{running, next}));
}

TEST_F(RetentionTest, LooksAtNoMoreEntriesThanTheBudget) {
  for (int i = 0; i < 5; ++i)
    finish();
  clock_.advance(Millis{60'000});
  EXPECT_EQ(prune(2).size(), 2U);
  EXPECT_EQ(prune(2).size(), 2U);
  EXPECT_EQ(prune(2).size(), 1U);
  EXPECT_EQ(prune(2).size(), 0U);
}

TEST_F(RetentionTest, RecoveredEntriesAreSortedByTheirEnd) {
  Retention recovered{1, 60'000};
  for (std::int64_t ended : {300, 100, 200}) {
    Task t;
    t.state = msg::TaskState::kSucceeded;
    t.ended_at_ms = clock_.wall_ms() + ended;
    const auto id = store_.insert(std::move(t)).id;
    recovered.add(id, clock_.wall_ms() + ended);
  }
  recovered.sort_by_end();
  // Over the count of one: everything but the last to end goes, in ending order.
  EXPECT_EQ(recovered.prune(store_, clock_.wall_ms(), 100), (std::vector<std::uint64_t>{2, 3}));
  EXPECT_NE(store_.find(1), nullptr);
}

}  // namespace
}  // namespace zfleet::broker
