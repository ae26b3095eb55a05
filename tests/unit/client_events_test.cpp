// The client side of events: resolving the endpoint a PONG announces, and
// EventSubscriber decoding [topic, body] messages from a real inproc XPUB.
#include <gtest/gtest.h>

#include "common/event_subscriber.hpp"

namespace zfleet {
namespace {

TEST(ClientEvents, WildcardHostsBecomeTheBrokersHost) {
  const std::string broker = "tcp://fleet.example:5555";
  EXPECT_EQ(resolve_events_endpoint("tcp://0.0.0.0:5557", broker), "tcp://fleet.example:5557");
  EXPECT_EQ(resolve_events_endpoint("tcp://*:5557", broker), "tcp://fleet.example:5557");
  EXPECT_EQ(resolve_events_endpoint("tcp://[::]:5557", broker), "tcp://fleet.example:5557");
  EXPECT_EQ(resolve_events_endpoint("tcp://10.1.2.3:5557", broker), "tcp://10.1.2.3:5557");
  EXPECT_EQ(resolve_events_endpoint("ipc:///tmp/ev", broker), "ipc:///tmp/ev");
  EXPECT_EQ(resolve_events_endpoint("tcp://0.0.0.0:5557", "ipc:///tmp/c"), "tcp://127.0.0.1:5557");
  EXPECT_EQ(resolve_events_endpoint("", broker), "");
}

TEST(ClientEvents, SubscriberDecodesEventsAndOutputAndSkipsJunk) {
  zmq::context_t context(1);
  zmq::socket_t pub(context, zmq::socket_type::xpub);
  pub.set(zmq::sockopt::linger, 0);
  pub.bind("inproc://client-events-test");
  EventSubscriber sub(context, "inproc://client-events-test");
  sub.subscribe("task.1.");
  sub.subscribe("log.1.");
  // Wait (bounded) until both subscriptions reached the publisher.
  for (int seen = 0; seen < 2;) {
    zmq::message_t m;
    zmq::pollitem_t item{pub.handle(), 0, ZMQ_POLLIN, 0};
    ASSERT_EQ(zmq::poll(&item, 1, std::chrono::milliseconds{5000}), 1);
    ASSERT_TRUE(pub.recv(m));
    ++seen;
  }
  msg::Event e;
  e.kind = "started";
  e.task_id = 1;
  pub.send(zmq::str_buffer("task.1.junk"), zmq::send_flags::sndmore);
  pub.send(zmq::str_buffer("\xc1"));
  pub.send(zmq::str_buffer("task.1.started"), zmq::send_flags::sndmore);
  pub.send(zmq::buffer(msg::encode(e)));
  pub.send(zmq::str_buffer("log.1.stdout"), zmq::send_flags::sndmore);
  pub.send(zmq::buffer(msg::encode(msg::OutputChunk{1, 1, "stdout", 5, "hi"})));
  auto first = sub.receive(Millis{5000});
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(first->is_output());
  EXPECT_EQ(first->event().kind, "started");
  auto second = sub.receive(Millis{5000});
  ASSERT_TRUE(second.has_value());
  ASSERT_TRUE(second->is_output());
  EXPECT_EQ(second->output().offset, 5u);
  EXPECT_EQ(sub.malformed(), 1u);
  EXPECT_FALSE(sub.receive(Millis{0}).has_value());
}

}  // namespace
}  // namespace zfleet
