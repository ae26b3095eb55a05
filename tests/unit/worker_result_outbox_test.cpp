// ResultOutbox: bounded storage of undelivered results and their credit.
#include <gtest/gtest.h>

#include "common/messages.hpp"
#include "worker/core/result_outbox.hpp"

namespace zfleet::worker {
namespace {

PendingResult done(std::uint64_t id, std::size_t output = 0) {
  PendingResult r;
  r.kind = ResultKind::kDone;
  r.task_id = id;
  r.attempt = 1;
  r.outcome.exit_code = 0;
  r.outcome.stdout_tail = std::string(output, 'o');
  return r;
}

TEST(ResultOutbox, KeepsResultsInOrder) {
  ResultOutbox box(10, 1 << 20);
  box.push(done(1));
  box.push(done(2));
  EXPECT_EQ(box.front().task_id, 1U);
  box.pop_front();
  EXPECT_EQ(box.front().task_id, 2U);
}

TEST(ResultOutbox, DropsTheOldestBeyondItsCount) {
  ResultOutbox box(3, 1 << 20);
  for (std::uint64_t id = 1; id <= 5; ++id)
    box.push(done(id));
  EXPECT_EQ(box.size(), 3U);
  EXPECT_EQ(box.front().task_id, 3U);
  EXPECT_EQ(box.dropped(), 2U);
}

TEST(ResultOutbox, DropsTheOldestBeyondItsBytes) {
  ResultOutbox box(100, 10'000);
  for (std::uint64_t id = 1; id <= 5; ++id)
    box.push(done(id, 4000));
  EXPECT_LE(box.size(), 2U);
  EXPECT_EQ(box.front().task_id, 5U - box.size() + 1);
}

TEST(ResultOutbox, RejectsHoldNoSlotAndNoLease) {
  ResultOutbox box(10, 1 << 20);
  box.push(done(1));
  PendingResult reject;
  reject.kind = ResultKind::kReject;
  reject.task_id = 2;
  reject.reason = "worker_shutdown";
  box.push(reject);
  EXPECT_EQ(box.slots_held(), 1U);
  std::vector<msg::LeaseRef> leases;
  box.append_leases(leases);
  ASSERT_EQ(leases.size(), 1U);
  EXPECT_EQ(leases[0].task_id, 1U);
}

TEST(ResultOutbox, EncodesWithTheCreditGivenAtSendTime) {
  const PendingResult r = done(9, 3);
  EXPECT_EQ(r.command(), "DONE");
  msg::Done decoded;
  ASSERT_FALSE(msg::decode_bytes(r.encode(0), decoded).has_value());
  EXPECT_EQ(decoded.task_id, 9U);
  EXPECT_EQ(decoded.credit, 0U);
  EXPECT_EQ(decoded.outcome.stdout_tail, "ooo");
  PendingResult failed;
  failed.kind = ResultKind::kFailed;
  failed.task_id = 4;
  failed.reason = "spawn_failed";
  failed.message = "not found";
  msg::Failed f;
  ASSERT_FALSE(msg::decode_bytes(failed.encode(1), f).has_value());
  EXPECT_EQ(f.credit, 1U);
  EXPECT_EQ(f.reason, "spawn_failed");
}

TEST(ResultOutbox, CancelDropsTheResultButStillHandsTheAttemptBack) {
  ResultOutbox box(10, 1 << 20);
  box.push(done(1, 1000));
  box.push(done(2));
  EXPECT_TRUE(box.drop(1, 1));
  EXPECT_FALSE(box.drop(3, 1));
  EXPECT_FALSE(box.drop(2, 7));  // another attempt of a held task
  ASSERT_EQ(box.size(), 2U);
  // In place: the order of results is kept.
  const PendingResult& dropped = box.front();
  EXPECT_EQ(dropped.kind, ResultKind::kDropped);
  EXPECT_EQ(dropped.command(), "REJECT");
  EXPECT_TRUE(dropped.outcome.stdout_tail.empty());
  msg::Reject reject;
  ASSERT_FALSE(msg::decode_bytes(dropped.encode(1), reject).has_value());
  EXPECT_EQ(reject.task_id, 1U);
  EXPECT_EQ(reject.attempt, 1U);
  EXPECT_EQ(reject.credit, 1U);  // the slot is free: its credit goes back
  EXPECT_EQ(reject.reason, "cancelled");
  // Until it is sent, it still holds its slot and its lease.
  EXPECT_EQ(box.slots_held(), 2U);
  std::vector<msg::LeaseRef> leases;
  box.append_leases(leases);
  EXPECT_EQ(leases.size(), 2U);
  EXPECT_TRUE(box.drop(1, 1));  // a repeated CANCEL changes nothing
  EXPECT_EQ(box.size(), 2U);
}

}  // namespace
}  // namespace zfleet::worker
