// Broker restarts on a real journal file: queues, delays, dead letters,
// settings and idempotency keys are rebuilt; running attempts are requeued,
// or adopted when their worker reports them; nothing is durable before the
// turn's commit.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "tests/unit/broker_harness.hpp"

namespace zfleet::broker {
namespace {

class BrokerRecovery : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "zfleet-recovery-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    open();
  }
  void TearDown() override {
    harness_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Simulates a restart: the old broker and store vanish without any
  // further commit, as after kill -9.
  void open() {
    harness_.reset();
    store_.reset();
    store_ = std::make_unique<JournalTaskStore>(dir_ + "/journal.db", Journal::Sync::kNormal);
    BrokerSettings s;
    s.rng_seed = 3;
    harness_ = std::make_unique<BrokerHarness>(s, *store_, clock_);
  }
  BrokerHarness& h() { return *harness_; }

  std::string dir_;
  FakeClock clock_;
  std::unique_ptr<JournalTaskStore> store_;
  std::unique_ptr<BrokerHarness> harness_;
};

TEST_F(BrokerRecovery, UnfinishedTasksSurviveARestart) {
  const auto a = h().submit({}).id;
  const auto b = h().submit({}).id;
  h().ready("w", 1);
  auto running = h().dispatched();
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].task_id, a);
  open();
  EXPECT_EQ(h().status(a).state, msg::TaskState::kQueued);  // was running
  EXPECT_EQ(h().status(b).state, msg::TaskState::kQueued);
  h().ready("w2", 2);
  EXPECT_EQ(h().dispatched().size(), 2u);
  EXPECT_EQ(h().broker().stats().tasks_recovered, 2u);
}

TEST_F(BrokerRecovery, FinishedResultsAndDeadLettersSurvive) {
  msg::TaskSpec dies;
  dies.retry.max_attempts = 1;
  const auto ok = h().submit({}).id;
  const auto dead = h().submit(dies).id;
  h().ready("w", 2);
  auto sent = h().dispatched();
  ASSERT_EQ(sent.size(), 2u);
  h().done("w", sent[0], BrokerHarness::exited(0));
  h().done("w", sent[1], BrokerHarness::killed(9));
  open();
  EXPECT_EQ(h().status(ok).state, msg::TaskState::kSucceeded);
  EXPECT_EQ(h().status(dead).state, msg::TaskState::kDead);
  h().client(proto::cmd::kDlqList, msg::encode(msg::DlqListRequest{h().next_req(), 10}));
  auto list = h().take_as<msg::DlqReply>(proto::cmd::kDlqReply);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].total, 1u);
}

TEST_F(BrokerRecovery, RunningAttemptIsAdoptedWhenItsWorkerReportsIt) {
  const auto a = h().submit({}).id;
  h().ready("w", 2);
  auto first = h().dispatched().at(0);
  open();
  // The worker reconnects still running attempt 1, plus a stale attempt.
  h().ready("w", 2, {{a, first.attempt}, {a, 99}});
  EXPECT_TRUE(h().dispatched().empty());  // adopted: not run a second time
  EXPECT_EQ(h().status(a).state, msg::TaskState::kRunning);
  EXPECT_EQ(h().broker().stats().tasks_adopted, 1u);
  auto cancels = h().take_as<msg::CancelAttempt>(proto::cmd::kCancel);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].attempt, 99u);
  h().done("w", first, BrokerHarness::exited(0));
  EXPECT_EQ(h().status(a).state, msg::TaskState::kSucceeded);
}

TEST_F(BrokerRecovery, DelayedTasksKeepTheirMoment) {
  msg::TaskSpec spec;
  spec.not_before_ms = clock_.wall_ms() + 10'000;
  const auto id = h().submit(spec).id;
  open();
  EXPECT_EQ(h().status(id).state, msg::TaskState::kScheduled);
  h().ready("w", 1);
  EXPECT_TRUE(h().dispatched().empty());
  h().tick(Millis{10'000});
  h().ready("w", 1);  // it had gone silent meanwhile
  EXPECT_EQ(h().dispatched().size(), 1u);
}

TEST_F(BrokerRecovery, LimitsPoliciesAndIdempotencyKeysSurvive) {
  h().client(proto::cmd::kSetLimit, msg::encode(msg::SetLimitRequest{h().next_req(), "etl", 1}));
  msg::SetPolicyRequest policy;
  policy.req = h().next_req();
  policy.project = "etl";
  policy.policy.max_attempts = 9;
  h().client(proto::cmd::kSetPolicy, msg::encode(policy));
  msg::TaskSpec spec;
  spec.project = "etl";
  spec.idempotency_key = "k1";
  const auto first = h().submit(spec).id;
  open();
  h().client(proto::cmd::kProjects, msg::encode(msg::Request{h().next_req()}));
  auto projects = h().take_as<msg::ProjectsReply>(proto::cmd::kProjectsReply);
  ASSERT_EQ(projects.size(), 1u);
  bool found = false;
  for (const auto& p : projects[0].projects) {
    if (p.name != "etl") continue;
    found = true;
    EXPECT_EQ(p.limit, 1u);
    EXPECT_EQ(p.policy.max_attempts, 9u);
  }
  EXPECT_TRUE(found);
  const auto again = h().submit(spec);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.id, first);
}

TEST_F(BrokerRecovery, NothingIsDurableBeforeTheTurnCommits) {
  msg::SubmitRequest r;
  r.req = 1;
  r.task.argv = {"/bin/true"};
  // Received, but the turn never reached before_sleep(): no reply was sent
  // either (replies leave only after the commit), so losing it is allowed.
  h().broker().on_client({"c", "zfleet/1", "SUBMIT", msg::encode(r)});
  open();
  EXPECT_EQ(store_->size(), 0u);
  h().submit({});
  open();
  EXPECT_EQ(store_->size(), 1u);
}

}  // namespace
}  // namespace zfleet::broker
