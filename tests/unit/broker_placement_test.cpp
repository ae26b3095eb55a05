// Dispatch honours what a worker can run; a worker id names one live worker;
// a program that cannot be executed fails at once. Broker core, fake clock.
#include <gtest/gtest.h>

#include "tests/unit/broker_harness.hpp"

namespace zfleet::broker {
namespace {

class BrokerPlacement : public ::testing::Test {
 protected:
  void ready(const std::string& identity, const std::string& name, std::vector<std::string> types,
             std::vector<std::string> modules = {}, std::string replaces = {}) {
    msg::Ready r;
    r.worker_id = name;
    r.hostname = "host-" + identity;
    r.slots = 2;
    r.credit = 2;
    r.task_types = std::move(types);
    r.modules = std::move(modules);
    r.replaces = std::move(replaces);
    h_.worker(identity, proto::cmd::kReady, msg::encode(r));
  }
  static msg::TaskSpec module_task(const std::string& name) {
    msg::TaskSpec spec;
    spec.type = "module";
    spec.module = name;
    return spec;
  }
  FakeClock clock_;
  MemoryTaskStore store_;
  BrokerHarness h_{BrokerSettings{}, store_, clock_};
};

TEST_F(BrokerPlacement, ModuleTaskGoesOnlyToAWorkerWithThatModule) {
  ready("a", "a", {"shell", "module"}, {"echo"});
  ready("b", "b", {"shell", "module"}, {"hash"});
  h_.take(proto::cmd::kWelcome);
  for (int i = 0; i < 3; ++i)
    h_.submit(module_task("hash"));
  const auto sent = h_.take(proto::cmd::kTask);
  ASSERT_EQ(sent.size(), 2u);  // b's two slots; a has credit but not the module
  for (const auto& o : sent)
    EXPECT_EQ(o.identity, "b");
}

TEST_F(BrokerPlacement, TaskNoWorkerCanRunStaysQueuedWithTheReasonThenRunsWhenOneArrives) {
  ready("a", "a", {"shell"});
  const auto id = h_.submit(module_task("hash")).id;
  const auto shell = h_.submit({}).id;
  EXPECT_EQ(h_.dispatched().size(), 1u);  // the shell task behind it is not blocked
  const auto view = h_.status(id);
  EXPECT_EQ(view.state, msg::TaskState::kQueued);
  EXPECT_EQ(view.waiting, "no connected worker runs module tasks");
  EXPECT_EQ(h_.status(shell).state, msg::TaskState::kRunning);
  EXPECT_EQ(h_.broker().stats().tasks_unplaced, 1u);

  ready("b", "b", {"module"}, {"hash"});
  const auto sent = h_.dispatched();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].task_id, id);
  EXPECT_TRUE(h_.status(id).waiting.empty());
}

TEST_F(BrokerPlacement, ReasonNamesTheMissingModule) {
  ready("a", "a", {"shell", "module"}, {"echo"});
  const auto id = h_.submit(module_task("hash")).id;
  EXPECT_EQ(h_.status(id).waiting, "no connected worker has module 'hash'");
}

TEST_F(BrokerPlacement, HeldTaskCanBeCancelled) {
  ready("a", "a", {"shell"});
  const auto id = h_.submit(module_task("hash")).id;
  h_.client(proto::cmd::kCancel, msg::encode(msg::TaskQuery{h_.next_req(), id, 0}));
  EXPECT_EQ(h_.status(id).state, msg::TaskState::kCancelled);
  ready("b", "b", {"module"}, {"hash"});
  EXPECT_TRUE(h_.dispatched().empty());
}

TEST_F(BrokerPlacement, SecondLiveWorkerWithTheSameIdIsRefused) {
  ready("x#1", "x", {"shell"});
  h_.take(proto::cmd::kWelcome);
  ready("x#2", "x", {"shell"});
  const auto errors = h_.take_as<msg::ErrorReply>(proto::cmd::kError);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, ErrorCode::kWorkerIdInUse);
  EXPECT_NE(errors[0].message.find("worker id 'x' is in use by the worker on host host-x#1"),
            std::string::npos)
      << errors[0].message;
  EXPECT_TRUE(h_.take(proto::cmd::kWelcome).empty());
  EXPECT_EQ(h_.broker().workers().size(), 1u);
  EXPECT_EQ(h_.broker().stats().workers_refused_duplicate, 1u);
  // Tasks go to the first one only.
  h_.submit({});
  const auto sent = h_.take(proto::cmd::kTask);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].identity, "x#1");
}

TEST_F(BrokerPlacement, SameIdIsAdmittedOnceTheFirstWorkerWentSilent) {
  ready("x#1", "x", {"shell"});
  clock_.advance(Millis{proto::kDefaultHeartbeatMs * proto::kHeartbeatLiveness});
  ready("x#2", "x", {"shell"});
  EXPECT_EQ(h_.take(proto::cmd::kError).size(), 0u);
  ASSERT_EQ(h_.broker().workers().size(), 1u);
  EXPECT_EQ(h_.broker().workers().all().begin()->first, "x#2");
}

TEST_F(BrokerPlacement, RestartedWorkerTakesOverItsOwnRegistrationAndItsAttemptsAreLost) {
  ready("x#1", "x", {"shell"});
  const auto id = h_.submit({}).id;
  ASSERT_EQ(h_.dispatched().size(), 1u);
  ready("x#2", "x", {"shell"}, {}, "x#1");
  EXPECT_EQ(h_.take(proto::cmd::kError).size(), 0u);
  EXPECT_EQ(h_.broker().stats().workers_replaced, 1u);
  // The old life's attempt was lost and runs again on the new one.
  const auto again = h_.take(proto::cmd::kTask);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].identity, "x#2");
  EXPECT_EQ(h_.status(id).attempts, 2u);
}

TEST_F(BrokerPlacement, ProgramThatCannotBeExecutedFailsAtOnceWithTheReason) {
  ready("a", "a", {"shell"});
  const auto id = h_.submit({}).id;
  auto a = h_.dispatched().at(0);
  msg::Failed f;
  f.task_id = a.task_id;
  f.attempt = a.attempt;
  f.reason = std::string(proto::fail_reason::kCannotExec);
  f.message = "spawn: No such file or directory: ./nonexistent";
  h_.worker("a", proto::cmd::kFailed, msg::encode(f));
  h_.client(proto::cmd::kResult, msg::encode(msg::TaskQuery{h_.next_req(), id, 0}));
  const auto r = h_.take_as<msg::TaskReply>(proto::cmd::kResultReply).at(0).task;
  EXPECT_EQ(r.state, msg::TaskState::kFailed);
  EXPECT_EQ(r.attempts, 1u);
  ASSERT_TRUE(r.outcome);
  EXPECT_EQ(r.outcome->error, "spawn: No such file or directory: ./nonexistent");
}

TEST_F(BrokerPlacement, OtherSpawnFailuresAreRetriedAndStatusSaysWhy) {
  ready("a", "a", {"shell"});
  const auto id = h_.submit({}).id;
  auto a = h_.dispatched().at(0);
  msg::Failed f;
  f.task_id = a.task_id;
  f.attempt = a.attempt;
  f.reason = std::string(proto::fail_reason::kSpawnFailed);
  f.message = "pipe: Too many open files";
  h_.worker("a", proto::cmd::kFailed, msg::encode(f));
  const auto view = h_.status(id);
  EXPECT_EQ(view.state, msg::TaskState::kScheduled);
  EXPECT_EQ(view.waiting, "attempt 1 failed: spawn_failed: pipe: Too many open files");
}

}  // namespace
}  // namespace zfleet::broker
