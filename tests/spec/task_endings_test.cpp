// Spec tests of how the real broker ends, orders and times tasks, with a bare
// worker peer on its workers socket that answers each TASK exactly as a test
// needs (FAILED with a given reason, DONE with chosen clocks), so every
// ending is deterministic: spawn errors, the dead-letter list, no
// preemption, started_at_ms, and the outcome of a cancelled attempt.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "common/error_code.hpp"
#include "tests/spec/wire_fleet.hpp"

namespace zfleet {
namespace {

using namespace std::chrono_literals;
using spec::Message;
using spec::SpecFleet;
using spec::WirePeer;

// Heartbeats every 60 s (the bare worker never has to send one) and retry
// backoffs of 10-20 ms, so a retried task comes back within the test.
const std::vector<std::string> kBrokerArgs = {"--heartbeat-ms",   "60000", "--backoff-ms", "10",
                                              "--backoff-max-ms", "20"};

class TaskEndings : public ::testing::Test {
 protected:
  void SetUp() override {
    msg::Ready ready;
    ready.worker_id = "spec-w1";
    ready.slots = 2;
    ready.credit = 2;
    worker_.send(proto::cmd::kReady, msg::encode(ready));
    auto welcome = worker_.receive_work();
    ASSERT_TRUE(welcome) << fleet_.logs();
    ASSERT_EQ(welcome->command, proto::cmd::kWelcome);
  }

  std::uint64_t submit(msg::TaskSpec spec) {
    const Message m =
        client_.call(proto::cmd::kSubmit, msg::encode(msg::SubmitRequest{++req_, spec}));
    EXPECT_EQ(m.command, proto::cmd::kSubmitted) << fleet_.logs();
    return spec::decoded<msg::SubmittedReply>(m).id;
  }
  msg::TaskAssignment next_task() {
    auto m = worker_.receive_work();
    if (!m) {
      ADD_FAILURE() << "no TASK came\n" << fleet_.logs();
      return {};
    }
    EXPECT_EQ(m->command, proto::cmd::kTask);
    return spec::decoded<msg::TaskAssignment>(*m);
  }
  // Everything the broker sent the worker before it answered a message of
  // ours: an unknown command is answered on the same connection, after all
  // the broker sent earlier, so nothing else may come first.
  void expect_nothing_pending_for_worker() {
    worker_.send("SPEC_BARRIER", msg::encode_empty());
    auto m = worker_.receive_work();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->command, proto::cmd::kError) << "the broker sent " << m->command;
  }
  msg::TaskView status(std::uint64_t id) {
    const Message m = client_.call(proto::cmd::kStatus, msg::encode(msg::TaskQuery{++req_, id, 0}));
    EXPECT_EQ(m.command, proto::cmd::kStatusReply);
    return spec::decoded<msg::TaskReply>(m).task;
  }
  msg::TaskView result(std::uint64_t id, std::uint64_t wait_ms = 0) {
    const Message m =
        client_.call(proto::cmd::kResult, msg::encode(msg::TaskQuery{++req_, id, wait_ms}));
    EXPECT_EQ(m.command, proto::cmd::kResultReply);
    return spec::decoded<msg::TaskReply>(m).task;
  }
  void send_failed(const msg::TaskAssignment& t, std::string reason, std::string message) {
    worker_.send(
        proto::cmd::kFailed,
        msg::encode(msg::Failed{t.task_id, t.attempt, 1, std::move(reason), std::move(message)}));
  }
  void send_done(const msg::TaskAssignment& t, msg::Outcome outcome) {
    worker_.send(proto::cmd::kDone, msg::encode(msg::Done{t.task_id, t.attempt, 1, outcome}));
  }

  SpecFleet fleet_{kBrokerArgs};
  zmq::context_t context_{1};
  WirePeer client_{context_, fleet_.clients()};
  WirePeer worker_{context_, fleet_.workers(), "spec-w1#00000001"};
  std::uint64_t req_ = 0;
};

msg::TaskSpec echo() {
  msg::TaskSpec spec;
  spec.argv = {"/bin/echo", "hi"};
  return spec;
}

// PROTOCOL.md §5.6, §6.5 (spawn): FAILED cannot_exec is kind spawn, not
// retried by the default policy: failed after one attempt, the message as
// the outcome's error, and neither exit_code, signal nor started_at_ms.
TEST_F(TaskEndings, CannotExecFailsAfterOneAttempt) {
  const std::uint64_t id = submit(echo());
  const auto t = next_task();
  ASSERT_EQ(t.task_id, id);
  send_failed(t, "cannot_exec", "spawn: No such file or directory: ./nonexistent");
  const auto view = result(id, 10'000);
  EXPECT_EQ(msg::state_name(view.state), "failed");
  EXPECT_EQ(view.attempts, 1u);
  ASSERT_TRUE(view.outcome.has_value());
  EXPECT_EQ(view.outcome->error, "spawn: No such file or directory: ./nonexistent");
  EXPECT_FALSE(view.outcome->exit_code.has_value());
  EXPECT_FALSE(view.outcome->signal.has_value());
  EXPECT_EQ(view.outcome->started_at_ms, 0);
  EXPECT_EQ(view.started_at_ms, 0);
  EXPECT_NE(view.finished_at_ms, 0);
  expect_nothing_pending_for_worker();  // no second attempt
}

// PROTOCOL.md §5.6, §6.5 (error): any other FAILED reason, and a DONE with
// error, is kind error: retried by the default policy (3 attempts) and then
// dead, with "reason: message" as the outcome's error.
TEST_F(TaskEndings, OtherSpawnFailuresAreRetriedUntilDead) {
  const std::uint64_t failed_id = submit(echo());
  for (std::uint32_t attempt = 1; attempt <= 3; ++attempt) {
    const auto t = next_task();
    ASSERT_EQ(t.task_id, failed_id);
    ASSERT_EQ(t.attempt, attempt);
    send_failed(t, "spawn_failed", "fork: Resource temporarily unavailable");
  }
  auto view = result(failed_id, 10'000);
  EXPECT_EQ(msg::state_name(view.state), "dead");
  EXPECT_EQ(view.attempts, 3u);
  ASSERT_TRUE(view.outcome.has_value());
  EXPECT_EQ(view.outcome->error, "spawn_failed: fork: Resource temporarily unavailable");

  const std::uint64_t done_id = submit(echo());
  for (std::uint32_t attempt = 1; attempt <= 3; ++attempt) {
    const auto t = next_task();
    ASSERT_EQ(t.task_id, done_id);
    msg::Outcome o;
    o.error = "execve /no/such/program: No such file or directory";
    send_done(t, o);
  }
  view = result(done_id, 10'000);
  EXPECT_EQ(msg::state_name(view.state), "dead");
  EXPECT_EQ(view.attempts, 3u);
}

// PROTOCOL.md §4.12: DLQ_REPLY lists dead tasks in ascending id, not in the
// order they died, each view with its last outcome; total counts them all.
TEST_F(TaskEndings, DlqListIsInIdOrderWithEachOutcome) {
  msg::TaskSpec once = echo();
  once.retry.max_attempts = 1;
  once.retry.retry_on = {"exit"};
  const std::uint64_t first = submit(once);
  const std::uint64_t second = submit(once);
  const auto a = next_task();
  const auto b = next_task();
  ASSERT_EQ(a.task_id, first);
  ASSERT_EQ(b.task_id, second);
  msg::Outcome exit3;
  exit3.exit_code = 3;
  send_done(b, exit3);  // the later task dies first
  ASSERT_EQ(msg::state_name(result(second, 10'000).state), "dead");
  msg::Outcome exit4;
  exit4.exit_code = 4;
  send_done(a, exit4);
  ASSERT_EQ(msg::state_name(result(first, 10'000).state), "dead");

  auto list = spec::decoded<msg::DlqReply>(
      client_.call(proto::cmd::kDlqList, msg::encode(msg::DlqListRequest{++req_, 100})));
  EXPECT_EQ(list.total, 2u);
  ASSERT_EQ(list.tasks.size(), 2u);
  EXPECT_EQ(list.tasks[0].id, first);
  EXPECT_EQ(list.tasks[1].id, second);
  EXPECT_GT(list.tasks[0].finished_at_ms, 0);
  ASSERT_TRUE(list.tasks[0].outcome.has_value());
  ASSERT_TRUE(list.tasks[1].outcome.has_value());
  EXPECT_EQ(list.tasks[0].outcome->exit_code, 4);
  EXPECT_EQ(list.tasks[1].outcome->exit_code, 3);

  list = spec::decoded<msg::DlqReply>(
      client_.call(proto::cmd::kDlqList, msg::encode(msg::DlqListRequest{++req_, 1})));
  EXPECT_EQ(list.total, 2u);
  ASSERT_EQ(list.tasks.size(), 1u);
  EXPECT_EQ(list.tasks[0].id, first);
  list = spec::decoded<msg::DlqReply>(
      client_.call(proto::cmd::kDlqList, msg::encode(msg::DlqListRequest{++req_, 0})));
  EXPECT_EQ(list.total, 2u);
  EXPECT_TRUE(list.tasks.empty());
}

// PROTOCOL.md §7.2 (no preemption): with every credit used by priority 0
// tasks, a priority 10 task waits queued; nothing running is cancelled,
// suspended or requeued. When credit returns, it goes before the priority 0
// task queued before it.
TEST_F(TaskEndings, RunningTasksAreNeverPreempted) {
  msg::TaskSpec low = echo();
  low.priority = 0;
  const std::uint64_t low1 = submit(low);
  const std::uint64_t low2 = submit(low);
  const auto t1 = next_task();
  const auto t2 = next_task();
  ASSERT_EQ(t1.task_id, low1);
  ASSERT_EQ(t2.task_id, low2);
  const std::uint64_t low3 = submit(low);
  msg::TaskSpec high = echo();
  high.priority = 10;
  const std::uint64_t urgent = submit(high);
  expect_nothing_pending_for_worker();
  EXPECT_EQ(msg::state_name(status(low1).state), "running");
  EXPECT_EQ(msg::state_name(status(low2).state), "running");
  EXPECT_EQ(msg::state_name(status(urgent).state), "queued");
  EXPECT_EQ(msg::state_name(status(low3).state), "queued");

  msg::Outcome ok;
  ok.exit_code = 0;
  send_done(t1, ok);
  const auto next = next_task();
  EXPECT_EQ(next.task_id, urgent);
  expect_nothing_pending_for_worker();
  EXPECT_EQ(msg::state_name(status(low2).state), "running");
  EXPECT_EQ(msg::state_name(status(low3).state), "queued");
}

// PROTOCOL.md §4.4, §5.4 (started_at_ms): absent until STARTED; then the
// worker's own clock as STARTED gives it, replaced by the outcome's when the
// attempt ends; finished_at_ms is the outcome's too. submitted_at_ms is the
// broker's clock.
TEST_F(TaskEndings, StartedAtIsTheWorkersClock) {
  const std::int64_t broker_before = std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count();
  const std::uint64_t id = submit(echo());
  const auto t = next_task();
  auto view = status(id);
  EXPECT_EQ(msg::state_name(view.state), "running");
  EXPECT_EQ(view.started_at_ms, 0) << "started_at_ms before STARTED";
  EXPECT_GE(view.submitted_at_ms, broker_before);

  // An hour behind the broker's clock, as a worker with a skewed clock sends
  // (within the retention age: ages run from finished_at_ms, §6.10).
  const std::int64_t spawned_at = broker_before - 3'600'000 + 123;
  worker_.send(proto::cmd::kStarted,
               msg::encode(msg::Started{t.task_id, t.attempt, 4242, spawned_at}));
  expect_nothing_pending_for_worker();  // STARTED was read before the barrier
  EXPECT_EQ(status(id).started_at_ms, spawned_at);

  msg::Outcome o;
  o.exit_code = 0;
  o.started_at_ms = spawned_at + 377;
  o.finished_at_ms = spawned_at + 1'000;
  send_done(t, o);
  view = result(id, 10'000);
  EXPECT_EQ(msg::state_name(view.state), "succeeded");
  EXPECT_EQ(view.started_at_ms, spawned_at + 377);
  EXPECT_EQ(view.finished_at_ms, spawned_at + 1'000);
  ASSERT_TRUE(view.outcome.has_value());
  EXPECT_EQ(view.outcome->started_at_ms, spawned_at + 377);
  EXPECT_GE(view.submitted_at_ms, broker_before);
}

// PROTOCOL.md §4.11, §6.7: a running task is cancelled at once; the worker
// gets CANCEL for its attempt, and the DONE it sends back becomes the task's
// outcome without changing its state or finished_at_ms.
TEST_F(TaskEndings, CancelledAttemptsOutcomeIsRecordedStateUnchanged) {
  const std::uint64_t id = submit(echo());
  const auto t = next_task();
  const Message ok = client_.call(proto::cmd::kCancel, msg::encode(msg::TaskQuery{++req_, id, 0}));
  ASSERT_EQ(ok.command, proto::cmd::kOk);
  auto cancel = worker_.receive_work();
  ASSERT_TRUE(cancel);
  ASSERT_EQ(cancel->command, proto::cmd::kCancel);
  const auto c = spec::decoded<msg::CancelAttempt>(*cancel);
  EXPECT_EQ(c.task_id, t.task_id);
  EXPECT_EQ(c.attempt, t.attempt);
  auto view = result(id);
  EXPECT_EQ(msg::state_name(view.state), "cancelled");
  EXPECT_FALSE(view.outcome.has_value());
  const std::int64_t cancelled_at = view.finished_at_ms;
  EXPECT_NE(cancelled_at, 0);

  msg::Outcome stopped;
  stopped.signal = 15;
  stopped.cancelled = true;
  stopped.finished_at_ms = cancelled_at + 5'000;
  send_done(t, stopped);
  expect_nothing_pending_for_worker();
  view = result(id);
  EXPECT_EQ(msg::state_name(view.state), "cancelled");
  EXPECT_EQ(view.finished_at_ms, cancelled_at);
  ASSERT_TRUE(view.outcome.has_value());
  EXPECT_TRUE(view.outcome->cancelled);
  EXPECT_EQ(view.outcome->signal, 15);
}

}  // namespace
}  // namespace zfleet
