// zfleet::Client on a FakeClock: its timeouts, resends and backoffs read the
// clock it is given, so they run without real waiting. The "broker" is a
// ROUTER on an inproc endpoint of the client's own context that answers only
// when a FakeClock timer says so: the whole conversation happens on the test
// thread, in fake time.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "common/client.hpp"
#include "common/frames.hpp"

namespace zfleet {
namespace {

using namespace std::chrono_literals;

class InprocBroker {
 public:
  explicit InprocBroker(zmq::context_t& context) : socket_(context, zmq::socket_type::router) {
    frames::apply_common_options(socket_, 1000);
    socket_.bind(endpoint());
  }
  static std::string endpoint() { return "inproc://fake-clock-broker"; }

  // Every request waiting now, without blocking.
  std::vector<frames::Received> take() {
    std::vector<frames::Received> out;
    std::vector<zmq::message_t> parts;
    while (frames::receive_parts(socket_, parts)) {
      frames::Received received;
      if (!frames::parse(parts, true, received)) out.push_back(std::move(received));
    }
    return out;
  }
  void reply(const frames::Received& to, std::string_view command, const std::string& body) {
    frames::send_frames(socket_, to.identity, command, body);
  }

 private:
  zmq::socket_t socket_;
};

struct Fixture {
  zmq::context_t context{1};
  InprocBroker broker{context};
  FakeClock clock;
  Client::Options options() {
    Client::Options o;
    o.endpoint = InprocBroker::endpoint();
    o.timeout = 2000ms;
    o.submit_retries = 2;
    o.submit_backoff = 100ms;
    o.clock = &clock;
    return o;
  }
};

msg::TaskSpec noop_spec() {
  msg::TaskSpec spec;
  spec.type = "noop";
  return spec;
}

std::uint64_t req_of(const frames::Received& received) {
  msg::Request request;
  EXPECT_FALSE(msg::decode_bytes(received.body, request));
  return request.req;
}

TEST(ClientOnFakeClock, ASilentBrokerTimesOutAfterExactlyTheTimeoutOfFakeTime) {
  Fixture f;
  Client client(f.context, f.options());
  const TimePoint start = f.clock.now();
  auto pong = client.ping();
  ASSERT_FALSE(pong);
  EXPECT_EQ(pong.error().kind, ClientError::Kind::kTimeout);
  EXPECT_EQ(f.clock.now() - start, 2000ms);
  EXPECT_EQ(f.broker.take().size(), 1u);  // the request did go out
}

TEST(ClientOnFakeClock, AReplyThatComesBeforeTheTimeoutIsTaken) {
  Fixture f;
  Client client(f.context, f.options());
  const TimePoint start = f.clock.now();
  f.clock.call_after(300ms, [&] {
    for (const auto& request : f.broker.take()) {
      f.broker.reply(request, proto::cmd::kPong,
                     msg::encode(msg::PongReply{req_of(request), "9.9.9", 42, "tcp://x:1"}));
    }
  });
  auto pong = client.ping();
  ASSERT_TRUE(pong) << describe(pong.error());
  EXPECT_EQ(pong.value().version, "9.9.9");
  EXPECT_EQ(f.clock.now() - start, 300ms);
}

TEST(ClientOnFakeClock, AReplyAfterTheTimeoutIsTooLate) {
  Fixture f;
  Client client(f.context, f.options());
  f.clock.call_after(2500ms, [&] {
    for (const auto& request : f.broker.take()) {
      f.broker.reply(request, proto::cmd::kPong,
                     msg::encode(msg::PongReply{req_of(request), "late", 0, ""}));
    }
  });
  auto pong = client.ping();
  ASSERT_FALSE(pong);
  EXPECT_EQ(pong.error().kind, ClientError::Kind::kTimeout);
  EXPECT_EQ(f.clock.pending_timers(), 1u);  // the late answer never got its chance
}

// Every try waits the full timeout, and the resends back off 100 then 200 ms,
// all on the fake clock.
TEST(ClientOnFakeClock, SubmitRetriesAndBacksOffInFakeTime) {
  Fixture f;
  Client client(f.context, f.options());
  const TimePoint start = f.clock.now();
  auto id = client.submit(noop_spec());
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().kind, ClientError::Kind::kTimeout);
  EXPECT_EQ(f.clock.now() - start, 3 * 2000ms + 100ms + 200ms);
  const auto tries = f.broker.take();
  ASSERT_EQ(tries.size(), 3u);
  msg::SubmitRequest first;
  msg::SubmitRequest last;
  ASSERT_FALSE(msg::decode_bytes(tries.front().body, first));
  ASSERT_FALSE(msg::decode_bytes(tries.back().body, last));
  EXPECT_EQ(first.task.idempotency_key, last.task.idempotency_key);
}

// The second try is answered: the client stops there.
TEST(ClientOnFakeClock, ASubmitAnsweredOnItsSecondTrySucceeds) {
  Fixture f;
  Client client(f.context, f.options());
  const TimePoint start = f.clock.now();
  // First try: dropped. The second goes out at 2000 + 100 ms; answer it
  // 50 ms later.
  f.clock.call_after(2150ms, [&] {
    auto requests = f.broker.take();
    ASSERT_EQ(requests.size(), 2u);
    f.broker.reply(requests.back(), proto::cmd::kSubmitted,
                   msg::encode(msg::SubmittedReply{req_of(requests.back()), 77, false}));
  });
  auto id = client.submit(noop_spec());
  ASSERT_TRUE(id) << describe(id.error());
  EXPECT_EQ(id.value(), 77u);
  EXPECT_EQ(f.clock.now() - start, 2150ms);
}

TEST(ClientOnFakeClock, AwaitResultsGivesUpAtTheDeadlineOfFakeTime) {
  Fixture f;
  Client client(f.context, f.options());
  // A broker that keeps answering "still running" keeps the client busy
  // until the deadline, which only the fake clock can bring.
  const TimePoint deadline = f.clock.now() + 10s;
  std::function<void()> answer_running = [&] {
    for (const auto& request : f.broker.take()) {
      msg::TaskReply reply;
      reply.req = req_of(request);
      reply.task.id = 5;
      reply.task.state = msg::TaskState::kRunning;
      f.broker.reply(request, proto::cmd::kResultReply, msg::encode(reply));
    }
    f.clock.call_after(500ms, answer_running);
  };
  f.clock.call_after(500ms, answer_running);
  std::optional<ClientError> error;
  client.await_results({5}, 1, deadline, [&](std::size_t, const Result<msg::TaskView>& r) {
    ASSERT_FALSE(r);
    error = r.error();
  });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->message, "tasks still unfinished at the deadline");
  EXPECT_GE(f.clock.now(), deadline);
}

}  // namespace
}  // namespace zfleet
