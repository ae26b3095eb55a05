// Broker core, driven through its message interface with a fake clock: the
// task lifecycle, dispatch by credit, fencing, heartbeats, long-polls and
// answers to bad input. No sockets.
#include "broker/broker.hpp"

#include <gtest/gtest.h>

namespace zfleet::broker {
namespace {

class BrokerCore : public ::testing::Test {
 protected:
  BrokerCore() : broker_(settings(), clock_, store_) {}

  static BrokerSettings settings() {
    BrokerSettings s;
    s.heartbeat = Millis{1000};
    s.max_tasks = 100;
    return s;
  }

  void client(std::string_view command, std::string body, std::string identity = "c1") {
    broker_.on_client(
        frames::Received{std::move(identity), "zfleet/1", std::string(command), std::move(body)});
    broker_.before_sleep();
  }
  void worker(const std::string& identity, std::string_view command, std::string body) {
    broker_.on_worker(
        frames::Received{identity, "zfleet/1", std::string(command), std::move(body)});
    broker_.before_sleep();
  }
  std::vector<Outgoing> take() {
    std::vector<Outgoing> out;
    out.swap(broker_.outbox());
    return out;
  }
  std::vector<Outgoing> take(std::string_view command) {
    std::vector<Outgoing> matching;
    for (auto& o : take()) {
      if (o.command == command) matching.push_back(std::move(o));
    }
    return matching;
  }
  std::uint64_t submit(const std::string& project = "p", std::uint32_t priority = 5) {
    msg::SubmitRequest r;
    r.req = ++req_;
    r.task.project = project;
    r.task.priority = priority;
    r.task.argv = {"/bin/true"};
    client(proto::cmd::kSubmit, msg::encode(r));
    for (auto& o : take()) {
      msg::SubmittedReply reply;
      if (o.command == proto::cmd::kSubmitted && !msg::decode_bytes(o.body, reply)) return reply.id;
    }
    ADD_FAILURE() << "no SUBMITTED";
    return 0;
  }
  void register_worker(const std::string& identity, std::uint32_t slots) {
    msg::Ready r;
    r.worker_id = identity;
    r.slots = slots;
    r.credit = slots;
    worker(identity, proto::cmd::kReady, msg::encode(r));
  }
  std::vector<msg::TaskAssignment> tasks_sent() {
    std::vector<msg::TaskAssignment> out;
    for (auto& o : take(proto::cmd::kTask)) {
      msg::TaskAssignment a;
      EXPECT_FALSE(msg::decode_bytes(o.body, a));
      out.push_back(a);
    }
    return out;
  }
  void done(const std::string& identity, const msg::TaskAssignment& a, int exit_code = 0) {
    msg::Done d;
    d.task_id = a.task_id;
    d.attempt = a.attempt;
    d.outcome.exit_code = exit_code;
    worker(identity, proto::cmd::kDone, msg::encode(d));
  }
  msg::ErrorReply error_reply() {
    for (auto& o : take()) {
      if (o.command == proto::cmd::kError) {
        msg::ErrorReply e;
        EXPECT_FALSE(msg::decode_bytes(o.body, e));
        return e;
      }
    }
    ADD_FAILURE() << "no ERROR reply";
    return {};
  }

  FakeClock clock_;
  MemoryTaskStore store_;
  Broker broker_;
  std::uint64_t req_ = 0;
};

TEST_F(BrokerCore, RunsSubmittedTaskToSuccess) {
  const auto id = submit();
  register_worker("w1", 2);
  auto sent = tasks_sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].task_id, id);
  EXPECT_EQ(sent[0].attempt, 1u);
  done("w1", sent[0]);
  EXPECT_EQ(store_.find(id)->state, msg::TaskState::kSucceeded);
  EXPECT_EQ(broker_.stats().tasks_succeeded, 1u);
}

TEST_F(BrokerCore, NonZeroExitIsFailure) {
  const auto id = submit();
  register_worker("w1", 1);
  done("w1", tasks_sent().at(0), 3);
  EXPECT_EQ(store_.find(id)->state, msg::TaskState::kFailed);
  EXPECT_EQ(store_.find(id)->outcome->exit_code, 3);
}

TEST_F(BrokerCore, NeverSendsMoreTasksThanCredit) {
  for (int i = 0; i < 10; ++i)
    submit();
  register_worker("w1", 3);
  auto sent = tasks_sent();
  EXPECT_EQ(sent.size(), 3u);
  done("w1", sent[0]);
  EXPECT_EQ(tasks_sent().size(), 1u);
}

TEST_F(BrokerCore, ProjectLimitHoldsAcrossWorkers) {
  msg::SetLimitRequest limit{1, "p", 2};
  client(proto::cmd::kSetLimit, msg::encode(limit));
  ASSERT_EQ(take(proto::cmd::kOk).size(), 1u);
  for (int i = 0; i < 6; ++i)
    submit("p");
  submit("q");
  register_worker("w1", 4);
  register_worker("w2", 4);
  auto sent = tasks_sent();
  EXPECT_EQ(sent.size(), 3u);  // two of p, one of q
  EXPECT_EQ(broker_.queue().project("p")->running, 2u);
}

TEST_F(BrokerCore, SilentWorkerIsLostAndItsTaskRequeuedToAnother) {
  const auto id = submit();
  register_worker("w1", 1);
  auto first = tasks_sent();
  ASSERT_EQ(first.size(), 1u);
  register_worker("w2", 1);
  clock_.advance(Millis{2000});
  worker("w2", proto::cmd::kHeartbeat, msg::encode(msg::Heartbeat{}));
  clock_.advance(Millis{1500});
  broker_.on_timer();
  broker_.before_sleep();
  auto second = tasks_sent();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].task_id, id);
  EXPECT_EQ(second[0].attempt, 2u);
  EXPECT_EQ(broker_.stats().workers_expired, 1u);
  // The lost worker's late result is fenced off: it is no longer registered,
  // so it is told to register again and its result changes nothing.
  done("w1", first[0]);
  EXPECT_EQ(store_.find(id)->state, msg::TaskState::kRunning);
  EXPECT_EQ(broker_.stats().unknown_worker_messages, 1u);
  done("w2", second[0]);
  EXPECT_EQ(store_.find(id)->state, msg::TaskState::kSucceeded);
}

TEST_F(BrokerCore, StaleAttemptResultIsDroppedAndCounted) {
  const auto id = submit();
  register_worker("w1", 1);
  auto a = tasks_sent().at(0);
  a.attempt = 7;
  done("w1", a);
  EXPECT_EQ(store_.find(id)->state, msg::TaskState::kRunning);
  EXPECT_EQ(broker_.stats().results_stale, 1u);
}

TEST_F(BrokerCore, HeartbeatsSentToWorkersEachInterval) {
  register_worker("w1", 1);
  take();
  clock_.advance(Millis{1000});
  broker_.on_timer();
  EXPECT_EQ(take(proto::cmd::kHeartbeat).size(), 1u);
  EXPECT_LE(broker_.next_deadline(), clock_.now() + Millis{1000});
}

TEST_F(BrokerCore, ResultLongPollAnsweredWhenTaskFinishes) {
  const auto id = submit();
  client(proto::cmd::kResult, msg::encode(msg::TaskQuery{42, id, 10'000}));
  EXPECT_TRUE(take(proto::cmd::kResultReply).empty());
  register_worker("w1", 1);
  done("w1", tasks_sent().at(0));
  auto replies = take(proto::cmd::kResultReply);
  ASSERT_EQ(replies.size(), 1u);
  msg::TaskReply r;
  ASSERT_FALSE(msg::decode_bytes(replies[0].body, r));
  EXPECT_EQ(r.req, 42u);
  EXPECT_EQ(r.task.state, msg::TaskState::kSucceeded);
  ASSERT_TRUE(r.task.outcome);
}

TEST_F(BrokerCore, ResultLongPollAnsweredAtItsDeadline) {
  const auto id = submit();
  client(proto::cmd::kResult, msg::encode(msg::TaskQuery{5, id, 500}));
  EXPECT_TRUE(take().empty());
  clock_.advance(Millis{499});
  broker_.on_timer();
  EXPECT_TRUE(take(proto::cmd::kResultReply).empty());
  clock_.advance(Millis{1});
  broker_.on_timer();
  auto replies = take(proto::cmd::kResultReply);
  ASSERT_EQ(replies.size(), 1u);
  msg::TaskReply r;
  ASSERT_FALSE(msg::decode_bytes(replies[0].body, r));
  EXPECT_EQ(r.task.state, msg::TaskState::kQueued);
}

TEST_F(BrokerCore, UnknownTaskIsNotFound) {
  client(proto::cmd::kStatus, msg::encode(msg::TaskQuery{3, 999, 0}));
  auto e = error_reply();
  EXPECT_EQ(e.code, ErrorCode::kNotFound);
  EXPECT_EQ(e.req, 3u);
}

TEST_F(BrokerCore, InvalidSubmitGetsErrorWithRequestId) {
  msg::SubmitRequest r;
  r.req = 77;
  r.task.argv = {};
  client(proto::cmd::kSubmit, msg::encode(r));
  auto e = error_reply();
  EXPECT_EQ(e.code, ErrorCode::kInvalidField);
  EXPECT_EQ(e.req, 77u);
  EXPECT_EQ(broker_.stats().bad_bodies, 1u);
}

TEST_F(BrokerCore, UnknownCommandIsRejected) {
  client("FROB", msg::encode(msg::Request{9}));
  auto e = error_reply();
  EXPECT_EQ(e.code, ErrorCode::kUnknownCommand);
  EXPECT_EQ(e.req, 9u);
}

TEST_F(BrokerCore, MessageFromUnregisteredWorkerAsksForReady) {
  worker("ghost", proto::cmd::kHeartbeat, msg::encode(msg::Heartbeat{}));
  EXPECT_EQ(error_reply().code, ErrorCode::kUnknownWorker);
  EXPECT_EQ(broker_.stats().unknown_worker_messages, 1u);
}

TEST_F(BrokerCore, QueueFullRefusesSubmit) {
  for (int i = 0; i < 100; ++i)
    submit();
  msg::SubmitRequest r;
  r.req = 1000;
  r.task.argv = {"x"};
  client(proto::cmd::kSubmit, msg::encode(r));
  EXPECT_EQ(error_reply().code, ErrorCode::kQueueFull);
}

TEST_F(BrokerCore, RejectedTaskGoesToAnotherWorker) {
  const auto id = submit();
  register_worker("w1", 1);
  auto a = tasks_sent().at(0);
  msg::Reject rej{a.task_id, a.attempt, 0, "draining"};
  worker("w1", proto::cmd::kDrain, msg::encode_empty());
  worker("w1", proto::cmd::kReject, msg::encode(rej));
  EXPECT_TRUE(tasks_sent().empty());
  register_worker("w2", 1);
  auto b = tasks_sent();
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].task_id, id);
}

TEST_F(BrokerCore, DisconnectRequeuesLeases) {
  const auto id = submit();
  register_worker("w1", 1);
  ASSERT_EQ(tasks_sent().size(), 1u);
  worker("w1", proto::cmd::kDisconnect, msg::encode(msg::Disconnect{"bye"}));
  EXPECT_EQ(store_.find(id)->state, msg::TaskState::kQueued);
  EXPECT_EQ(broker_.workers().size(), 0u);
}

TEST_F(BrokerCore, ReRegistrationKeepsReportedLeasesAndRequeuesOthers) {
  const auto a = submit();
  const auto b = submit();
  register_worker("w1", 2);
  auto sent = tasks_sent();
  ASSERT_EQ(sent.size(), 2u);
  msg::Ready r;
  r.worker_id = "w1";
  r.slots = 2;
  r.credit = 1;
  r.running = {{a, 1}};
  worker("w1", proto::cmd::kReady, msg::encode(r));
  EXPECT_EQ(store_.find(a)->state, msg::TaskState::kRunning);
  // b was lost with the old connection; requeued and sent again (one credit).
  auto again = tasks_sent();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].task_id, b);
  EXPECT_EQ(again[0].attempt, 2u);
}

TEST_F(BrokerCore, UndeliverableTaskIsRequeued) {
  const auto id = submit();
  register_worker("w1", 1);
  auto out = take(proto::cmd::kTask);
  ASSERT_EQ(out.size(), 1u);
  broker_.on_undeliverable(out[0]);
  EXPECT_EQ(store_.find(id)->state, msg::TaskState::kQueued);
}

TEST_F(BrokerCore, RetentionEvictsOldestFinishedTasks) {
  BrokerSettings s = settings();
  s.retention_count = 2;
  MemoryTaskStore store;
  Broker b(s, clock_, store);
  // Three tasks finish; the first is evicted.
  auto run = [&](std::uint64_t req) {
    msg::SubmitRequest r;
    r.req = req;
    r.task.argv = {"x"};
    b.on_client({"c", "zfleet/1", std::string(proto::cmd::kSubmit), msg::encode(r)});
  };
  run(1);
  run(2);
  run(3);
  msg::Ready ready;
  ready.worker_id = "w";
  ready.slots = 3;
  ready.credit = 3;
  b.on_worker({"w", "zfleet/1", std::string(proto::cmd::kReady), msg::encode(ready)});
  b.before_sleep();
  const std::vector<Outgoing> sent = b.outbox();
  for (const auto& o : sent) {
    if (o.command != proto::cmd::kTask) continue;
    msg::TaskAssignment a;
    ASSERT_FALSE(msg::decode_bytes(o.body, a));
    msg::Done d;
    d.task_id = a.task_id;
    d.attempt = a.attempt;
    d.outcome.exit_code = 0;
    b.on_worker({"w", "zfleet/1", std::string(proto::cmd::kDone), msg::encode(d)});
  }
  b.before_sleep();  // retention is applied there, a bounded amount per turn
  EXPECT_EQ(store.find(1), nullptr);
  EXPECT_NE(store.find(3), nullptr);
  EXPECT_EQ(b.stats().results_evicted, 1u);
}

// Retention ages run from the broker's clock at the ending, not from the
// worker's finished_at_ms: a worker a day behind must not have its results
// forgotten at once, nor one a year ahead have them kept for ever.
TEST_F(BrokerCore, RetentionAgeIgnoresTheWorkersClock) {
  BrokerSettings s = settings();
  s.retention_age_ms = 60'000;
  MemoryTaskStore store;
  Broker b(s, clock_, store);
  auto run = [&](std::uint64_t req, std::int64_t worker_finished_at) {
    msg::SubmitRequest r;
    r.req = req;
    r.task.argv = {"x"};
    b.on_client({"c", "zfleet/1", std::string(proto::cmd::kSubmit), msg::encode(r)});
    b.before_sleep();
    for (const auto& o : b.outbox()) {
      if (o.command != proto::cmd::kTask) continue;
      msg::TaskAssignment a;
      ASSERT_FALSE(msg::decode_bytes(o.body, a));
      msg::Done d;
      d.task_id = a.task_id;
      d.attempt = a.attempt;
      d.credit = 1;
      d.outcome.exit_code = 0;
      d.outcome.finished_at_ms = worker_finished_at;
      b.on_worker({"w", "zfleet/1", std::string(proto::cmd::kDone), msg::encode(d)});
    }
    b.outbox().clear();
    b.before_sleep();
  };
  msg::Ready ready;
  ready.worker_id = "w";
  ready.slots = 1;
  ready.credit = 1;
  b.on_worker({"w", "zfleet/1", std::string(proto::cmd::kReady), msg::encode(ready)});
  b.before_sleep();
  b.outbox().clear();
  const std::int64_t day = 24LL * 3600 * 1000;
  run(1, clock_.wall_ms() - day);        // a worker a day behind
  run(2, clock_.wall_ms() + 365 * day);  // a worker a year ahead
  ASSERT_NE(store.find(1), nullptr) << "forgotten as soon as it ended";
  ASSERT_NE(store.find(2), nullptr);
  // The view still shows the worker's moment (PROTOCOL.md §4.4).
  EXPECT_EQ(store.find(1)->finished_at_ms, clock_.wall_ms() - day);
  clock_.advance(Millis{59'000});
  b.before_sleep();
  EXPECT_NE(store.find(1), nullptr);
  EXPECT_NE(store.find(2), nullptr);
  clock_.advance(Millis{1'000});
  b.before_sleep();
  EXPECT_EQ(store.find(1), nullptr);
  EXPECT_EQ(store.find(2), nullptr) << "kept for as long as the worker's clock is ahead";
  EXPECT_EQ(b.stats().results_evicted, 2u);
}

}  // namespace
}  // namespace zfleet::broker
