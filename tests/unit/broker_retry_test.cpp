// Broker retries, dead letters, cancellation, delayed tasks and idempotency,
// driven with a fake clock.
#include <gtest/gtest.h>

#include "tests/unit/broker_harness.hpp"

namespace zfleet::broker {
namespace {

class BrokerRetry : public ::testing::Test {
 protected:
  static BrokerSettings settings() {
    BrokerSettings s;
    s.retry_defaults.backoff_ms = 1000;
    s.retry_defaults.backoff_max_ms = 8000;
    s.rng_seed = 7;
    s.idempotency_window_ms = 60'000;
    return s;
  }
  FakeClock clock_;
  MemoryTaskStore store_;
  BrokerHarness h_{settings(), store_, clock_};
};

TEST_F(BrokerRetry, RetryableEndingIsScheduledWithBackoffThenRunsAgain) {
  const auto id = h_.submit({}).id;
  h_.ready("w", 1);
  auto first = h_.dispatched().at(0);
  h_.done("w", first, BrokerHarness::killed(9));
  EXPECT_EQ(h_.status(id).state, msg::TaskState::kScheduled);
  EXPECT_TRUE(h_.dispatched().empty());
  h_.tick(Millis{499});
  EXPECT_TRUE(h_.dispatched().empty());  // jitter keeps it within [500, 1000] ms
  h_.tick(Millis{501});
  auto second = h_.dispatched();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].attempt, 2u);
  h_.done("w", second[0], BrokerHarness::exited(0));
  EXPECT_EQ(h_.status(id).state, msg::TaskState::kSucceeded);
  EXPECT_EQ(h_.broker().stats().tasks_retried, 1u);
}

TEST_F(BrokerRetry, NonRetryableExitFailsAtOnce) {
  const auto id = h_.submit({}).id;
  h_.ready("w", 1);
  h_.done("w", h_.dispatched().at(0), BrokerHarness::exited(1));
  EXPECT_EQ(h_.status(id).state, msg::TaskState::kFailed);
}

TEST_F(BrokerRetry, ExhaustedRetriesGoToTheDeadLetterListAndCanBeRetried) {
  msg::TaskSpec spec;
  spec.retry.max_attempts = 2;
  spec.retry.retry_on = {"exit"};
  spec.retry.backoff_ms = 10;
  const auto id = h_.submit(spec).id;
  h_.ready("w", 1);
  h_.done("w", h_.dispatched().at(0), BrokerHarness::exited(1));
  h_.tick(Millis{10});
  h_.done("w", h_.dispatched().at(0), BrokerHarness::exited(1));
  EXPECT_EQ(h_.status(id).state, msg::TaskState::kDead);

  h_.client(proto::cmd::kDlqList, msg::encode(msg::DlqListRequest{h_.next_req(), 10}));
  auto list = h_.take_as<msg::DlqReply>(proto::cmd::kDlqReply);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].total, 1u);
  ASSERT_EQ(list[0].tasks.size(), 1u);
  EXPECT_EQ(list[0].tasks[0].id, id);
  EXPECT_EQ(list[0].tasks[0].attempts, 2u);

  h_.client(proto::cmd::kDlqRetry, msg::encode(msg::TaskQuery{h_.next_req(), id, 0}));
  ASSERT_EQ(h_.take(proto::cmd::kOk).size(), 1u);
  auto again = h_.dispatched();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempt, 3u);
  h_.done("w", again[0], BrokerHarness::exited(0));
  EXPECT_EQ(h_.status(id).state, msg::TaskState::kSucceeded);
}

TEST_F(BrokerRetry, DlqRetryOfALiveTaskIsInvalidState) {
  const auto id = h_.submit({}).id;
  h_.client(proto::cmd::kDlqRetry, msg::encode(msg::TaskQuery{h_.next_req(), id, 0}));
  auto e = h_.take_as<msg::ErrorReply>(proto::cmd::kError);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].code, ErrorCode::kInvalidState);
}

TEST_F(BrokerRetry, PurgeEmptiesTheDeadLetterList) {
  msg::TaskSpec spec;
  spec.retry.max_attempts = 1;
  for (int i = 0; i < 3; ++i)
    h_.submit(spec);
  h_.ready("w", 3);
  for (const auto& a : h_.dispatched())
    h_.done("w", a, BrokerHarness::killed(11));
  h_.client(proto::cmd::kDlqPurge, msg::encode(msg::Request{h_.next_req()}));
  auto ok = h_.take_as<msg::OkReply>(proto::cmd::kOk);
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].count, 3u);
  EXPECT_EQ(store_.size(), 0u);
}

TEST_F(BrokerRetry, LostWorkerRequeuesAtOnceUntilAttemptsRunOut) {
  msg::TaskSpec spec;
  spec.retry.max_attempts = 2;
  const auto id = h_.submit(spec).id;
  h_.ready("a", 1);
  ASSERT_EQ(h_.dispatched().size(), 1u);
  h_.tick(Millis{3500});  // a is silent: lost
  h_.ready("b", 1);
  auto second = h_.dispatched();
  ASSERT_EQ(second.size(), 1u);  // no backoff for lost attempts
  EXPECT_EQ(second[0].attempt, 2u);
  h_.tick(Millis{3500});  // b is lost too: two attempts used
  EXPECT_EQ(h_.status(id).state, msg::TaskState::kDead);
}

TEST_F(BrokerRetry, ProjectPolicyAppliesToItsTasks) {
  msg::SetPolicyRequest set;
  set.req = h_.next_req();
  set.project = "etl";
  set.policy.retry_on = {"exit"};
  set.policy.max_attempts = 5;
  set.policy.backoff_ms = 1;
  h_.client(proto::cmd::kSetPolicy, msg::encode(set));
  ASSERT_EQ(h_.take(proto::cmd::kOk).size(), 1u);
  msg::TaskSpec spec;
  spec.project = "etl";
  const auto id = h_.submit(spec).id;
  h_.ready("w", 1);
  h_.done("w", h_.dispatched().at(0), BrokerHarness::exited(3));
  EXPECT_EQ(h_.status(id).state, msg::TaskState::kScheduled);
}

TEST_F(BrokerRetry, CancelQueuedTaskNeverRunsIt) {
  const auto id = h_.submit({}).id;
  h_.client(proto::cmd::kCancel, msg::encode(msg::TaskQuery{h_.next_req(), id, 0}));
  ASSERT_EQ(h_.take(proto::cmd::kOk).size(), 1u);
  h_.ready("w", 1);
  EXPECT_TRUE(h_.dispatched().empty());
  EXPECT_EQ(h_.status(id).state, msg::TaskState::kCancelled);
  EXPECT_EQ(h_.broker().queue().queued(), 0u);
}

TEST_F(BrokerRetry, CancelRunningTaskTellsItsWorkerAndFreesTheSlotOnReport) {
  const auto id = h_.submit({}).id;
  h_.ready("w", 1);
  auto a = h_.dispatched().at(0);
  h_.client(proto::cmd::kCancel, msg::encode(msg::TaskQuery{h_.next_req(), id, 0}));
  auto cancels = h_.take_as<msg::CancelAttempt>(proto::cmd::kCancel);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].task_id, id);
  EXPECT_EQ(cancels[0].attempt, 1u);
  EXPECT_EQ(h_.status(id).state, msg::TaskState::kCancelled);
  const auto second = h_.submit({}).id;
  EXPECT_TRUE(h_.dispatched().empty());  // the worker's only slot is still busy
  msg::Outcome o = BrokerHarness::killed(15);
  o.cancelled = true;
  h_.done("w", a, o);
  auto next = h_.dispatched();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].task_id, second);
  EXPECT_EQ(h_.status(id).state, msg::TaskState::kCancelled);
}

TEST_F(BrokerRetry, CancelFinalTaskIsInvalidState) {
  const auto id = h_.submit({}).id;
  h_.ready("w", 1);
  h_.done("w", h_.dispatched().at(0), BrokerHarness::exited(0));
  h_.client(proto::cmd::kCancel, msg::encode(msg::TaskQuery{h_.next_req(), id, 0}));
  auto e = h_.take_as<msg::ErrorReply>(proto::cmd::kError);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].code, ErrorCode::kInvalidState);
}

TEST_F(BrokerRetry, DelayedTaskWaitsForNotBefore) {
  msg::TaskSpec spec;
  spec.not_before_ms = clock_.wall_ms() + 5000;
  const auto id = h_.submit(spec).id;
  h_.ready("w", 1);
  EXPECT_TRUE(h_.dispatched().empty());
  EXPECT_EQ(h_.status(id).state, msg::TaskState::kScheduled);
  EXPECT_LE(h_.broker().next_deadline(), clock_.now() + Millis{5000});
  h_.tick(Millis{2000});
  h_.worker("w", proto::cmd::kHeartbeat, msg::encode(msg::Heartbeat{}));
  h_.tick(Millis{2000});
  h_.worker("w", proto::cmd::kHeartbeat, msg::encode(msg::Heartbeat{}));
  h_.tick(Millis{999});
  EXPECT_TRUE(h_.dispatched().empty());
  h_.tick(Millis{1});
  EXPECT_EQ(h_.dispatched().size(), 1u);
}

TEST_F(BrokerRetry, RepeatedIdempotencyKeyReturnsTheOriginalTask) {
  msg::TaskSpec spec;
  spec.idempotency_key = "order-42";
  const auto first = h_.submit(spec);
  const auto again = h_.submit(spec);
  EXPECT_FALSE(first.duplicate);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(store_.size(), 1u);
  h_.tick(Millis{60'001});  // past the window: a new task
  const auto later = h_.submit(spec);
  EXPECT_FALSE(later.duplicate);
  EXPECT_NE(later.id, first.id);
}

TEST_F(BrokerRetry, RejectedTaskDoesNotUseUpAnAttempt) {
  msg::TaskSpec spec;
  spec.retry.max_attempts = 1;
  spec.retry.retry_on = {"signal"};
  const auto id = h_.submit(spec).id;
  h_.ready("w", 1);
  auto a = h_.dispatched().at(0);
  h_.worker("w", proto::cmd::kReject, msg::encode(msg::Reject{a.task_id, a.attempt, 1, "busy"}));
  auto b = h_.dispatched().at(0);
  EXPECT_EQ(b.attempt, 2u);
  h_.done("w", b, BrokerHarness::killed(9));
  // max_attempts 1, but the rejected dispatch did not count: this was the first.
  EXPECT_EQ(h_.status(id).state, msg::TaskState::kDead);
  EXPECT_EQ(h_.broker().stats().tasks_dead, 1u);
}

}  // namespace
}  // namespace zfleet::broker
