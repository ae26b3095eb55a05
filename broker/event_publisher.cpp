// EventPublisher: the events XPUB socket; see event_publisher.hpp.
#include "broker/event_publisher.hpp"

namespace zfleet::broker {

EventPublisher::EventPublisher(zmq::context_t& context) : socket_(context, zmq::socket_type::xpub) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::sndhwm, kSendHighWaterMark);
  socket_.set(zmq::sockopt::xpub_nodrop, 0);
  // Subscription messages are a byte and a prefix; a topic prefix longer
  // than a topic can be is never useful.
  socket_.set(zmq::sockopt::maxmsgsize, std::int64_t{4096});
}

void EventPublisher::bind(const std::string& endpoint) {
  socket_.bind(endpoint);
}

std::string EventPublisher::endpoint() const {
  return socket_.get(zmq::sockopt::last_endpoint);
}

void EventPublisher::drain_subscriptions() {
  zmq::message_t message;
  while (socket_.recv(message, zmq::recv_flags::dontwait)) {
    on_subscription(message.to_string_view());
  }
}

void EventPublisher::on_subscription(std::string_view message) {
  if (message.empty()) return;
  const std::string_view prefix = message.substr(1);
  if (message[0] == 1) {
    prefixes_.emplace(prefix);
  } else if (message[0] == 0) {
    if (auto it = prefixes_.find(prefix); it != prefixes_.end()) prefixes_.erase(it);
  }
}

bool EventPublisher::wants(std::string_view topic) const {
  // Every prefix of the topic, the empty one ("everything") included.
  for (std::size_t n = 0; n <= topic.size(); ++n) {
    if (prefixes_.find(topic.substr(0, n)) != prefixes_.end()) return true;
  }
  return false;
}

void EventPublisher::publish(std::string_view topic, std::string_view body) {
  // With ZMQ_XPUB_NODROP off these only fail when the socket itself cannot
  // take the message; a full subscriber queue drops silently inside libzmq.
  const bool sent =
      socket_.send(zmq::buffer(topic), zmq::send_flags::sndmore | zmq::send_flags::dontwait) &&
      socket_.send(zmq::buffer(body), zmq::send_flags::dontwait);
  if (sent) {
    ++published_;
  } else {
    ++dropped_;
  }
}

}  // namespace zfleet::broker
