// Broker core and live monitoring, through the harness with a fake clock:
// lifecycle events, relayed worker EVENTs (fenced by the attempt a worker
// holds), OUTPUT into LOGS, heartbeat activity in STATUS, SUSPEND / RESUME
// forwarding and the subscription filter. No sockets are bound.
#include <gtest/gtest.h>

#include <map>

#include "broker/broker.hpp"
#include "broker/event_publisher.hpp"
#include "tests/unit/broker_harness.hpp"

namespace zfleet::broker {
namespace {

class BrokerEvents : public ::testing::Test {
 protected:
  BrokerEvents() : h_(settings(), store_, clock_) {}

  static BrokerSettings settings() {
    BrokerSettings s;
    s.heartbeat = Millis{1000};
    s.rng_seed = 1;
    return s;
  }

  struct Seen {
    std::string topic;
    msg::Event event;
  };
  // Takes the queued task/worker events (log.* ones stay out: see chunks()).
  std::vector<Seen> events() {
    std::vector<Seen> out;
    std::vector<OutgoingEvent> rest;
    for (auto& e : h_.broker().events()) {
      if (e.topic.starts_with("log.")) {
        rest.push_back(std::move(e));
        continue;
      }
      Seen seen{e.topic, {}};
      EXPECT_FALSE(msg::decode_bytes(e.body, seen.event)) << e.topic;
      out.push_back(std::move(seen));
    }
    h_.broker().events().swap(rest);
    return out;
  }
  std::vector<std::pair<std::string, msg::OutputChunk>> chunks() {
    std::vector<std::pair<std::string, msg::OutputChunk>> out;
    for (auto& e : h_.broker().events()) {
      if (!e.topic.starts_with("log.")) continue;
      msg::OutputChunk c;
      EXPECT_FALSE(msg::decode_bytes(e.body, c)) << e.topic;
      out.emplace_back(e.topic, std::move(c));
    }
    h_.broker().events().clear();
    return out;
  }
  std::vector<std::string> topics() {
    std::vector<std::string> out;
    for (auto& s : events())
      out.push_back(s.topic);
    return out;
  }
  std::uint64_t stat(std::string_view name) {
    h_.client(proto::cmd::kStats, msg::encode(msg::Request{h_.next_req()}));
    auto r = h_.take_as<msg::StatsReply>(proto::cmd::kStatsReply);
    EXPECT_EQ(r.size(), 1u);
    for (const auto& [k, v] : r.at(0).stats) {
      if (k == name) return v;
    }
    ADD_FAILURE() << "no counter " << name;
    return 0;
  }
  // A task submitted and dispatched to worker "w1"; returns its assignment.
  msg::TaskAssignment running(std::string project = "p") {
    msg::TaskSpec spec;
    spec.project = std::move(project);
    h_.submit(spec);
    h_.ready("w1", 2);
    auto tasks = h_.dispatched();
    EXPECT_EQ(tasks.size(), 1u);
    h_.take(proto::cmd::kWelcome);
    return tasks.empty() ? msg::TaskAssignment{} : tasks[0];
  }
  void event(const std::string& worker, msg::Event e) {
    h_.worker(worker, proto::cmd::kEvent, msg::encode(e));
  }
  void output(const std::string& worker, const msg::TaskAssignment& a, std::string stream,
              std::uint64_t offset, std::string data) {
    h_.worker(worker, proto::cmd::kOutput,
              msg::encode(msg::OutputChunk{a.task_id, a.attempt, std::move(stream), offset,
                                           std::move(data)}));
  }
  msg::LogsReply logs(std::uint64_t id) {
    h_.client(proto::cmd::kLogs, msg::encode(msg::TaskQuery{h_.next_req(), id, 0}));
    auto r = h_.take_as<msg::LogsReply>(proto::cmd::kLogsReply);
    EXPECT_EQ(r.size(), 1u);
    return r.empty() ? msg::LogsReply{} : r[0];
  }
  std::vector<msg::ErrorReply> errors() { return h_.take_as<msg::ErrorReply>(proto::cmd::kError); }

  FakeClock clock_;
  MemoryTaskStore store_;
  BrokerHarness h_;
};

TEST_F(BrokerEvents, ReportsSubmittedStartedAndFinished) {
  const auto a = running();
  h_.worker("w1", proto::cmd::kStarted, msg::encode(msg::Started{a.task_id, a.attempt, 42, 0}));
  h_.done("w1", a, BrokerHarness::exited(0));
  auto seen = events();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].topic, "task.1.submitted");
  EXPECT_EQ(seen[0].event.project, "p");
  EXPECT_EQ(seen[0].event.state, "queued");
  EXPECT_EQ(seen[1].topic, "task.1.started");
  EXPECT_EQ(seen[1].event.worker, "w1");
  EXPECT_EQ(seen[1].event.message, "pid 42");
  EXPECT_EQ(seen[1].event.attempt, 1u);
  EXPECT_EQ(seen[2].topic, "task.1.finished");
  EXPECT_EQ(seen[2].event.state, "succeeded");
  EXPECT_EQ(seen[2].event.message, "exit code 0");
}

TEST_F(BrokerEvents, ReportsRetryingWithTheEndingAsReason) {
  msg::TaskSpec spec;
  spec.retry.retry_on = {"exit"};
  spec.retry.max_attempts = 2;
  h_.submit(spec);
  h_.ready("w1", 1);
  auto a = h_.dispatched().at(0);
  h_.done("w1", a, BrokerHarness::exited(3));
  auto seen = events();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].topic, "task.1.retrying");
  EXPECT_EQ(seen[1].event.reason, "exit");
  EXPECT_NE(seen[1].event.message.find("exit code 3"), std::string::npos);
}

TEST_F(BrokerEvents, ReportsRequeuedWhenTheWorkerIsLost) {
  running();
  events();
  h_.worker("w1", proto::cmd::kDisconnect, msg::encode(msg::Disconnect{"bye"}));
  auto seen = events();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].topic, "task.1.requeued");
  EXPECT_EQ(seen[0].event.reason, "lost");
}

TEST_F(BrokerEvents, ReportsCancelledThenFinished) {
  h_.submit(msg::TaskSpec{});
  events();
  h_.client(proto::cmd::kCancel, msg::encode(msg::TaskQuery{h_.next_req(), 1, 0}));
  auto seen = events();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].topic, "task.1.cancelled");
  EXPECT_EQ(seen[1].topic, "task.1.finished");
  EXPECT_EQ(seen[1].event.state, "cancelled");
}

TEST_F(BrokerEvents, RelaysWorkerEventsWithProjectAndWorkerFilled) {
  const auto a = running("etl");
  events();
  msg::Event e;
  e.kind = "progress";
  e.task_id = a.task_id;
  e.attempt = a.attempt;
  e.percent = 40;
  e.message = "copying";
  e.project = "forged";
  event("w1", e);
  auto seen = events();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].topic, "task.1.progress");
  EXPECT_EQ(seen[0].event.project, "etl");
  EXPECT_EQ(seen[0].event.worker, "w1");
  EXPECT_EQ(seen[0].event.percent, 40);
  const auto view = h_.status(a.task_id);
  ASSERT_TRUE(view.live.has_value());
  EXPECT_EQ(view.live->progress, 40);
  EXPECT_EQ(view.live->message, "copying");
}

TEST_F(BrokerEvents, DropsEventsForAttemptsTheWorkerDoesNotHold) {
  const auto a = running();
  h_.ready("w2", 1);
  events();
  msg::Event e;
  e.kind = "progress";
  e.task_id = a.task_id;
  e.attempt = a.attempt;
  e.percent = 10;
  event("w2", e);  // not its attempt
  e.attempt = a.attempt + 1;
  event("w1", e);  // not the current attempt
  e.kind = "finished";
  e.attempt = a.attempt;
  event("w1", e);  // a kind only the broker reports
  EXPECT_TRUE(events().empty());
  EXPECT_FALSE(h_.status(a.task_id).live.has_value());
  EXPECT_EQ(stat("events_rejected"), 3u);
}

TEST_F(BrokerEvents, SuspendedAndStalledEventsUpdateTheLiveStatus) {
  const auto a = running();
  msg::Event e;
  e.task_id = a.task_id;
  e.attempt = a.attempt;
  e.kind = "suspended";
  event("w1", e);
  e.kind = "stalled";
  e.idle_ms = 5000;
  event("w1", e);
  auto live = h_.status(a.task_id).live;
  ASSERT_TRUE(live.has_value());
  EXPECT_TRUE(live->suspended);
  EXPECT_TRUE(live->stalled);
  EXPECT_EQ(live->idle_ms, 5000u);
  e.kind = "resumed";
  event("w1", e);
  e.kind = "active";
  event("w1", e);
  live = h_.status(a.task_id).live;
  EXPECT_FALSE(live->suspended);
  EXPECT_FALSE(live->stalled);
}

TEST_F(BrokerEvents, WorkerEventsGoToWorkerTopicsAndMoveItsSlots) {
  msg::Ready r;
  r.worker_id = "w1";
  r.slots = 2;
  r.credit = 2;
  r.min_slots = 1;
  r.max_slots = 8;
  r.layers = {"rlimits", "cgroup"};
  r.task_types = {"shell", "module"};
  r.modules = {"resize"};
  h_.worker("w1", proto::cmd::kReady, msg::encode(r));
  msg::Event e;
  e.kind = "slots_up";
  e.from = 2;
  e.to = 4;
  event("w1", e);
  auto seen = events();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].topic, "worker.w1.slots_up");
  EXPECT_EQ(seen[0].event.to, 4u);
  h_.client(proto::cmd::kWorkers, msg::encode(msg::Request{h_.next_req()}));
  auto workers = h_.take_as<msg::WorkersReply>(proto::cmd::kWorkersReply).at(0).workers;
  ASSERT_EQ(workers.size(), 1u);
  EXPECT_EQ(workers[0].slots, 4u);
  EXPECT_EQ(workers[0].min_slots, 1u);
  EXPECT_EQ(workers[0].max_slots, 8u);
  EXPECT_EQ(workers[0].layers, r.layers);
  EXPECT_EQ(workers[0].task_types, r.task_types);
  EXPECT_EQ(workers[0].modules, r.modules);
}

TEST_F(BrokerEvents, AdaptiveWorkerMayHoldCreditUpToItsMaximum) {
  msg::Ready r;
  r.worker_id = "w1";
  r.slots = 2;
  r.credit = 2;
  r.min_slots = 1;
  r.max_slots = 4;
  h_.worker("w1", proto::cmd::kReady, msg::encode(r));
  h_.worker("w1", proto::cmd::kCredit, msg::encode(msg::Credit{2}));
  for (int i = 0; i < 5; ++i)
    h_.submit(msg::TaskSpec{});
  EXPECT_EQ(h_.dispatched().size(), 4u);
}

TEST_F(BrokerEvents, HeartbeatActivityShowsInStatusUntilTheAttemptEnds) {
  const auto a = running();
  msg::Heartbeat hb;
  hb.running = 1;
  hb.slots = 3;
  msg::TaskActivity activity;
  activity.task_id = a.task_id;
  activity.attempt = a.attempt;
  activity.status.rss_kb = 2048;
  activity.status.cpu_ms = 150;
  activity.status.progress = 70;
  hb.tasks.push_back(activity);
  activity.task_id = 99;  // not held: ignored
  hb.tasks.push_back(activity);
  h_.worker("w1", proto::cmd::kHeartbeat, msg::encode(hb));
  auto live = h_.status(a.task_id).live;
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ(live->rss_kb, 2048u);
  EXPECT_EQ(live->cpu_ms, 150u);
  EXPECT_EQ(live->progress, 70);
  h_.done("w1", a, BrokerHarness::exited(0));
  EXPECT_FALSE(h_.status(a.task_id).live.has_value());
}

TEST_F(BrokerEvents, OutputIsHeldForLogsAndRepublished) {
  const auto a = running();
  output("w1", a, "stdout", 0, "hello ");
  output("w1", a, "stdout", 6, "world");
  output("w1", a, "stdout", 0, "hello ");  // a repeat after a reconnect
  output("w1", a, "stderr", 0, "warn");
  auto sent = chunks();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].first, "log.1.stdout");
  EXPECT_EQ(sent[1].second.offset, 6u);
  EXPECT_EQ(sent[1].second.data, "world");
  EXPECT_EQ(sent[2].first, "log.1.stderr");
  const auto held = logs(a.task_id);
  EXPECT_EQ(held.state, msg::TaskState::kRunning);
  EXPECT_EQ(held.stdout_data, "hello world");
  EXPECT_EQ(held.stderr_data, "warn");
  EXPECT_EQ(held.stdout_offset, 0u);
  EXPECT_EQ(stat("output_bytes"), 15u);
}

TEST_F(BrokerEvents, OutputFromAnotherWorkerIsRejected) {
  const auto a = running();
  h_.ready("w2", 1);
  output("w2", a, "stdout", 0, "intruder");
  EXPECT_TRUE(logs(a.task_id).stdout_data.empty());
  EXPECT_EQ(stat("events_rejected"), 1u);
}

TEST_F(BrokerEvents, LogsOfAFinishedTaskAreItsOutcomeTails) {
  const auto a = running();
  output("w1", a, "stdout", 0, "partial");
  msg::Outcome o = BrokerHarness::exited(0);
  o.stdout_tail = "tail";
  o.stdout_bytes = 1000;
  o.stderr_tail = "err";
  o.stderr_bytes = 3;
  h_.done("w1", a, o);
  const auto held = logs(a.task_id);
  EXPECT_EQ(held.state, msg::TaskState::kSucceeded);
  EXPECT_EQ(held.stdout_data, "tail");
  EXPECT_EQ(held.stdout_offset, 996u);
  EXPECT_EQ(held.stderr_data, "err");
  EXPECT_EQ(held.stderr_offset, 0u);
  EXPECT_EQ(stat("live_logs"), 0u);
}

TEST_F(BrokerEvents, LogsOfAQueuedTaskAreEmptyAndOfAnUnknownOneNotFound) {
  h_.submit(msg::TaskSpec{});
  const auto held = logs(1);
  EXPECT_EQ(held.state, msg::TaskState::kQueued);
  EXPECT_TRUE(held.stdout_data.empty());
  h_.client(proto::cmd::kLogs, msg::encode(msg::TaskQuery{h_.next_req(), 77, 0}));
  auto e = errors();
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].code, ErrorCode::kNotFound);
}

TEST_F(BrokerEvents, SuspendAndResumeGoToTheWorkerHoldingTheAttempt) {
  h_.ready("w0", 0);
  const auto a = running();
  h_.take(proto::cmd::kWelcome);
  for (auto command : {proto::cmd::kSuspend, proto::cmd::kResume}) {
    h_.client(command, msg::encode(msg::TaskQuery{h_.next_req(), a.task_id, 0}));
    EXPECT_EQ(h_.take(proto::cmd::kOk).size(), 1u);
    auto sent = h_.take(command);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].identity, "w1");
    EXPECT_EQ(sent[0].peer, Peer::kWorker);
    msg::CancelAttempt body;
    ASSERT_FALSE(msg::decode_bytes(sent[0].body, body));
    EXPECT_EQ(body.task_id, a.task_id);
    EXPECT_EQ(body.attempt, a.attempt);
    EXPECT_EQ(body.reason, "client");
  }
  EXPECT_EQ(stat("suspends_sent"), 1u);
}

TEST_F(BrokerEvents, SuspendOfATaskNotRunningIsInvalidStateAndOfAnUnknownOneNotFound) {
  h_.submit(msg::TaskSpec{});
  h_.client(proto::cmd::kSuspend, msg::encode(msg::TaskQuery{h_.next_req(), 1, 0}));
  h_.client(proto::cmd::kResume, msg::encode(msg::TaskQuery{h_.next_req(), 5, 0}));
  auto e = errors();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].code, ErrorCode::kInvalidState);
  EXPECT_EQ(e[1].code, ErrorCode::kNotFound);
  EXPECT_TRUE(h_.take(proto::cmd::kSuspend).empty());
}

TEST_F(BrokerEvents, MalformedEventOutputAndHeartbeatBodiesGetAnError) {
  h_.ready("w1", 1);
  h_.take(proto::cmd::kWelcome);
  msg::OutputChunk bad_stream{1, 1, "stdin", 0, "x"};
  h_.worker("w1", proto::cmd::kEvent, msg::encode(msg::Request{1}));  // no kind
  h_.worker("w1", proto::cmd::kOutput, msg::encode(bad_stream));
  h_.worker("w1", proto::cmd::kHeartbeat, std::string("\x81\xa5tasks\x05", 8));
  EXPECT_EQ(errors().size(), 3u);
  EXPECT_EQ(stat("bad_bodies"), 3u);
}

TEST_F(BrokerEvents, PongTellsTheEventsEndpoint) {
  h_.broker().attach_events(nullptr, "tcp://0.0.0.0:5557");
  h_.client(proto::cmd::kPing, msg::encode(msg::Request{h_.next_req()}));
  auto pong = h_.take_as<msg::PongReply>(proto::cmd::kPong);
  ASSERT_EQ(pong.size(), 1u);
  EXPECT_EQ(pong[0].events, "tcp://0.0.0.0:5557");
  h_.submit(msg::TaskSpec{});
  EXPECT_TRUE(h_.broker().events().empty());  // events off: nothing encoded
}

// The core sees the stream only through EventSink: no socket needed.
class ListeningSink final : public EventSink {
 public:
  explicit ListeningSink(std::string prefix) : prefix_(std::move(prefix)) {}
  bool wants(std::string_view topic) const override { return topic.rfind(prefix_, 0) == 0; }
  std::uint64_t published() const override { return 41; }
  std::uint64_t dropped() const override { return 2; }
  std::size_t subscriptions() const override { return 1; }

 private:
  std::string prefix_;
};

TEST_F(BrokerEvents, AnEventSinkChoosesWhatIsEncodedAndFeedsTheStats) {
  ListeningSink sink("task.1.");
  h_.broker().attach_events(&sink, "tcp://127.0.0.1:5557");
  h_.submit(msg::TaskSpec{});
  h_.submit(msg::TaskSpec{});
  EXPECT_EQ(topics(), std::vector<std::string>{"task.1.submitted"});
  h_.client(proto::cmd::kStats, msg::encode(msg::Request{h_.next_req()}));
  auto stats = h_.take_as<msg::StatsReply>(proto::cmd::kStatsReply);
  ASSERT_EQ(stats.size(), 1u);
  std::map<std::string, std::uint64_t> s(stats[0].stats.begin(), stats[0].stats.end());
  EXPECT_EQ(s["events_published"], 41u);
  EXPECT_EQ(s["events_dropped"], 2u);
  EXPECT_EQ(s["event_subscriptions"], 1u);
}

TEST_F(BrokerEvents, EncodesOnlyWhatSomeoneSubscribedTo) {
  zmq::context_t context(1);
  EventPublisher publisher(context);
  h_.broker().attach_events(&publisher, "inproc://events");
  publisher.on_subscription(std::string("\x01task.2.", 8));
  h_.submit(msg::TaskSpec{});
  h_.submit(msg::TaskSpec{});
  EXPECT_EQ(topics(), std::vector<std::string>{"task.2.submitted"});
}

}  // namespace
}  // namespace zfleet::broker
