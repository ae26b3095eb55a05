// Hostile input: random and mutated bytes through every decoder and through
// the Broker core's message handlers. Deterministic (fixed seeds) so a
// failure reproduces; run under ASan/UBSan in CI. Passing means: no crash, no
// unbounded allocation, and every message gets a well-formed answer or none.
#include <gtest/gtest.h>

#include <random>

#include "broker/broker.hpp"

namespace zfleet {
namespace {

std::vector<std::string> seeds() {
  msg::SubmitRequest submit;
  submit.req = 1;
  submit.task.argv = {"/bin/echo", "hello"};
  submit.task.env = {{"A", "B"}};
  submit.task.stdin_data = "in";
  msg::Done done;
  done.task_id = 1;
  done.attempt = 1;
  done.outcome.exit_code = 0;
  done.outcome.stdout_tail = "out";
  msg::Ready ready;
  ready.worker_id = "w";
  ready.slots = 2;
  ready.credit = 2;
  ready.labels = {"gpu"};
  ready.running = {{1, 1}};
  ready.max_slots = 4;
  ready.layers = {"rlimits"};
  msg::Event event;
  event.kind = "progress";
  event.task_id = 1;
  event.attempt = 1;
  event.percent = 50;
  event.message = "half";
  msg::Heartbeat heartbeat;
  heartbeat.running = 1;
  heartbeat.slots = 2;
  heartbeat.tasks.push_back({1, 1, {}});
  return {msg::encode(event),
          msg::encode(msg::OutputChunk{1, 1, "stdout", 0, "out"}),
          msg::encode(heartbeat),
          msg::encode(submit),
          msg::encode(done),
          msg::encode(ready),
          msg::encode(msg::TaskQuery{1, 1, 10}),
          msg::encode(msg::SetLimitRequest{1, "p", 2}),
          msg::encode(msg::Failed{1, 1, 1, "spawn_failed", "x"})};
}

std::string mutate(std::string s, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> byte(0, 255);
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits && !s.empty(); ++i) {
    const std::size_t at = rng() % s.size();
    switch (rng() % 4) {
      case 0:
        s[at] = static_cast<char>(byte(rng));
        break;
      case 1:
        s.erase(at, 1 + rng() % 3);
        break;
      case 2:
        s.insert(at, 1, static_cast<char>(byte(rng)));
        break;
      default:
        s.resize(at);
        break;
    }
  }
  return s;
}

std::string random_bytes(std::mt19937_64& rng) {
  std::string s(rng() % 64, '\0');
  for (auto& c : s)
    c = static_cast<char>(rng());
  return s;
}

template <typename T>
void decode_as(const std::string& bytes) {
  T out;
  (void)msg::decode_bytes(bytes, out);
}

TEST(HostileInput, DecodersSurviveMutatedAndRandomBodies) {
  std::mt19937_64 rng(20261124);
  const auto base = seeds();
  for (int i = 0; i < 20'000; ++i) {
    const std::string bytes =
        i % 3 == 0 ? random_bytes(rng) : mutate(base[rng() % base.size()], rng);
    decode_as<msg::SubmitRequest>(bytes);
    decode_as<msg::TaskQuery>(bytes);
    decode_as<msg::TaskReply>(bytes);
    decode_as<msg::SetLimitRequest>(bytes);
    decode_as<msg::Ready>(bytes);
    decode_as<msg::TaskAssignment>(bytes);
    decode_as<msg::Done>(bytes);
    decode_as<msg::Failed>(bytes);
    decode_as<msg::Reject>(bytes);
    decode_as<msg::WorkersReply>(bytes);
    decode_as<msg::ProjectsReply>(bytes);
    decode_as<msg::StatsReply>(bytes);
    decode_as<msg::ErrorReply>(bytes);
    decode_as<msg::Event>(bytes);
    decode_as<msg::OutputChunk>(bytes);
    decode_as<msg::Heartbeat>(bytes);
    decode_as<msg::LogsReply>(bytes);
    decode_as<msg::PongReply>(bytes);
  }
}

TEST(HostileInput, BrokerAnswersOrIgnoresEveryHostileMessage) {
  std::mt19937_64 rng(7);
  FakeClock clock;
  broker::MemoryTaskStore store;
  broker::Broker core(broker::BrokerSettings{}, clock, store);
  const auto base = seeds();
  const std::vector<std::string> commands = {
      "SUBMIT",     "STATUS", "RESULT", "STATS",   "WORKERS", "PROJECTS", "SET_LIMIT", "PING",
      "READY",      "DONE",   "FAILED", "REJECT",  "CREDIT",  "STARTED",  "DRAIN",     "HEARTBEAT",
      "DISCONNECT", "NOPE",   "",       "SUSPEND", "RESUME",  "LOGS",     "EVENT",     "OUTPUT"};
  for (int i = 0; i < 20'000; ++i) {
    const std::string body =
        i % 3 == 0 ? random_bytes(rng) : mutate(base[rng() % base.size()], rng);
    const std::string& command = commands[rng() % commands.size()];
    const std::string identity = "peer" + std::to_string(rng() % 5);
    frames::Received m{identity, "zfleet/1", command, body};
    if (rng() % 2) {
      core.on_client(m);
    } else {
      core.on_worker(m);
    }
    core.before_sleep();
    if (i % 100 == 0) {
      clock.advance(Millis{700});
      core.on_timer();
    }
    for (const auto& out : core.outbox()) {
      // Every reply is itself a decodable map.
      codec::DecodeError error;
      EXPECT_TRUE(codec::parse_body(out.body, error).has_value()) << error.message;
    }
    core.outbox().clear();
    for (const auto& event : core.events()) {
      codec::DecodeError error;
      EXPECT_TRUE(codec::parse_body(event.body, error).has_value()) << error.message;
    }
    core.events().clear();
  }
  const auto& s = core.stats();
  EXPECT_GT(s.bad_bodies, 0u);
  EXPECT_GT(s.unknown_commands, 0u);
}

}  // namespace
}  // namespace zfleet
