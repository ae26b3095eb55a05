// Leases, the broker's record of which worker holds which attempt, over a
// store and a worker registry of their own: granting an attempt, the fence
// on reports (attempt, holder, state), settling with credit either way, and
// adopting or keeping an attempt a worker reports after a reconnect.
#include <gtest/gtest.h>

#include "broker/leases.hpp"
#include "common/clock.hpp"

namespace zfleet::broker {
namespace {

class LeasesTest : public ::testing::Test {
 protected:
  WorkerRecord& worker(const std::string& identity, std::uint32_t slots = 2) {
    msg::Ready r;
    r.worker_id = identity + "-name";
    r.slots = slots;
    r.credit = slots;
    return workers_.upsert(identity, r, clock_.now());
  }
  Task& queued() {
    Task t;
    t.spec.argv = {"/bin/true"};
    return store_.insert(std::move(t));
  }

  FakeClock clock_;
  MemoryTaskStore store_;
  WorkerRegistry workers_{Millis{1000}};
  Leases leases_{store_, workers_};
};

TEST_F(LeasesTest, GrantStartsTheNextAttemptOnTheWorker) {
  WorkerRecord& w = worker("w1");
  Task& task = queued();
  task.started_at_ms = 5;  // of an earlier attempt
  EXPECT_EQ(leases_.grant(w, task), 1U);
  EXPECT_EQ(task.state, msg::TaskState::kRunning);
  EXPECT_EQ(task.worker_identity, "w1");
  EXPECT_EQ(task.worker_name, "w1-name");
  EXPECT_EQ(task.started_at_ms, 0);
  EXPECT_EQ(w.leases, std::set<std::uint64_t>{task.id});
  EXPECT_EQ(w.credit, 1U);
  EXPECT_EQ(leases_.grant(w, queued()), 1U);
  EXPECT_EQ(w.credit, 0U);
}

TEST_F(LeasesTest, OnlyTheHolderOfTheCurrentAttemptHoldsIt) {
  WorkerRecord& w1 = worker("w1");
  WorkerRecord& w2 = worker("w2");
  Task& task = queued();
  leases_.grant(w1, task);
  leases_.grant(w1, task);  // a second attempt (the first was lost)
  EXPECT_EQ(leases_.held(w1, task.id, 2), &task);
  EXPECT_EQ(leases_.held(w1, task.id, 1), nullptr);  // an old attempt
  EXPECT_EQ(leases_.held(w2, task.id, 2), nullptr);  // another worker
  EXPECT_EQ(leases_.held(w1, 999, 1), nullptr);      // no such task
}

TEST_F(LeasesTest, ACancelledTaskIsHeldUntilItsAttemptEnds) {
  WorkerRecord& w = worker("w1");
  Task& task = queued();
  leases_.grant(w, task);
  task.state = msg::TaskState::kCancelled;
  EXPECT_EQ(leases_.held(w, task.id, 1), &task);
  task.state = msg::TaskState::kQueued;  // requeued: nobody holds it
  EXPECT_EQ(leases_.held(w, task.id, 1), nullptr);
  task.state = msg::TaskState::kSucceeded;
  EXPECT_EQ(leases_.held(w, task.id, 1), nullptr);
}

TEST_F(LeasesTest, SettleEndsTheLeaseAndHonoursCreditEvenWhenStale) {
  WorkerRecord& w = worker("w1");
  Task& a = queued();
  Task& b = queued();
  leases_.grant(w, a);
  leases_.grant(w, b);
  ASSERT_EQ(w.credit, 0U);
  EXPECT_EQ(leases_.settle(w, a.id, 1, 1), &a);
  EXPECT_EQ(w.leases, std::set<std::uint64_t>{b.id});
  EXPECT_EQ(w.credit, 1U);
  // A report of an attempt that is no longer current: stale, yet the slot
  // it frees is real.
  b.attempts = 2;
  EXPECT_EQ(leases_.settle(w, b.id, 1, 1), nullptr);
  EXPECT_TRUE(w.leases.empty());
  EXPECT_EQ(w.credit, 2U);
  // Credit never exceeds the free slots.
  EXPECT_EQ(leases_.settle(w, 999, 1, 5), nullptr);
  EXPECT_EQ(w.credit, 2U);
}

TEST_F(LeasesTest, AdoptTakesTheReportedAttemptAsItIs) {
  WorkerRecord& w = worker("w2");
  Task& task = queued();
  task.attempts = 3;  // its attempt ran on a worker given up for lost
  leases_.adopt(w, task);
  EXPECT_EQ(task.attempts, 3U);
  EXPECT_EQ(task.state, msg::TaskState::kRunning);
  EXPECT_EQ(task.worker_identity, "w2");
  EXPECT_EQ(task.worker_name, "w2-name");
  EXPECT_EQ(w.leases, std::set<std::uint64_t>{task.id});
  EXPECT_EQ(w.credit, 2U);  // credit is the worker's READY count, not spent here
  EXPECT_EQ(leases_.held(w, task.id, 3), &task);
}

TEST_F(LeasesTest, KeepListsAnAttemptTheWorkerStillHolds) {
  WorkerRecord& w = worker("w1");
  Task& task = queued();
  leases_.grant(w, task);
  w.leases.clear();
  leases_.keep(w, task);
  EXPECT_EQ(w.leases, std::set<std::uint64_t>{task.id});
}

}  // namespace
}  // namespace zfleet::broker
