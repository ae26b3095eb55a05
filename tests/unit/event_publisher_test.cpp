// EventPublisher: subscription tracking from XPUB's subscribe/unsubscribe
// messages and two-frame publishing, over a real inproc XPUB/SUB pair.
#include "broker/event_publisher.hpp"

#include <gtest/gtest.h>

namespace zfleet::broker {
namespace {

TEST(EventPublisher, WantsTopicsMatchingASubscribedPrefix) {
  zmq::context_t context(1);
  EventPublisher publisher(context);
  EXPECT_FALSE(publisher.wants("task.1.started"));
  publisher.on_subscription(std::string("\x01task.1.", 8));
  EXPECT_TRUE(publisher.wants("task.1.started"));
  EXPECT_FALSE(publisher.wants("task.10.started"));
  EXPECT_FALSE(publisher.wants("log.1.stdout"));
  publisher.on_subscription(std::string("\x01", 1));  // everything
  EXPECT_TRUE(publisher.wants("log.1.stdout"));
  publisher.on_subscription(std::string("\x00", 1));
  publisher.on_subscription(std::string("\x00task.1.", 8));
  EXPECT_FALSE(publisher.wants("task.1.started"));
  EXPECT_EQ(publisher.subscriptions(), 0u);
}

TEST(EventPublisher, IgnoresMessagesThatAreNotSubscriptions) {
  zmq::context_t context(1);
  EventPublisher publisher(context);
  publisher.on_subscription("");
  publisher.on_subscription("\x07task.");
  EXPECT_EQ(publisher.subscriptions(), 0u);
}

TEST(EventPublisher, TracksRealSubscribersAndPublishesTwoFrames) {
  zmq::context_t context(1);
  EventPublisher publisher(context);
  publisher.bind("inproc://event-publisher-test");
  zmq::socket_t sub(context, zmq::socket_type::sub);
  sub.set(zmq::sockopt::linger, 0);
  sub.connect("inproc://event-publisher-test");
  sub.set(zmq::sockopt::subscribe, "worker.");
  // inproc delivers the subscription synchronously with the connect handshake;
  // a blocking poll (bounded) waits for it without sleeping.
  zmq::pollitem_t item{publisher.socket().handle(), 0, ZMQ_POLLIN, 0};
  ASSERT_EQ(zmq::poll(&item, 1, std::chrono::milliseconds{5000}), 1);
  publisher.drain_subscriptions();
  ASSERT_TRUE(publisher.wants("worker.w1.slots_up"));
  publisher.publish("worker.w1.slots_up", "body");
  EXPECT_EQ(publisher.published(), 1u);
  zmq::message_t topic;
  zmq::message_t body;
  ASSERT_TRUE(sub.recv(topic));
  ASSERT_TRUE(topic.more());
  ASSERT_TRUE(sub.recv(body));
  EXPECT_EQ(topic.to_string_view(), "worker.w1.slots_up");
  EXPECT_EQ(body.to_string_view(), "body");
  sub.close();
  ASSERT_EQ(zmq::poll(&item, 1, std::chrono::milliseconds{5000}), 1);
  publisher.drain_subscriptions();
  EXPECT_FALSE(publisher.wants("worker.w1.slots_up"));
}

}  // namespace
}  // namespace zfleet::broker
